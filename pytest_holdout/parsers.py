"""Step text parsers (being written: see the scenarios work)."""
