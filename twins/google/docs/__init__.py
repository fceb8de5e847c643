"""Google Docs v1: documents create, get and batchUpdate (see README.md here)."""
