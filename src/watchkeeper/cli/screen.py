"""Commands for the screen stage (filled in by that stage's issue)."""
