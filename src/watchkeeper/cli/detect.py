"""Commands for the detect stage (filled in by that stage's issue)."""
