"""Commands for the simulate stage (filled in by that stage's issue)."""
