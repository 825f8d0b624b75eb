"""Models of hierarchies (filled by its own issue)."""
