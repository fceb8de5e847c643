"""pytest fixtures for the twins (being written)."""
