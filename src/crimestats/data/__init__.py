"""Package reference data (see README.md in this folder)."""
