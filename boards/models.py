"""Models of boards (filled by its own issue)."""
