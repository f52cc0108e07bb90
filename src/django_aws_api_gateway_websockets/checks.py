"""System checks for the app's settings (filled in by the checks work)."""
