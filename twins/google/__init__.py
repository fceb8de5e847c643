"""The Google twin: Drive v3, Docs v1 and Sheets v4 over one state (see README.md here)."""

from __future__ import annotations

from holdout_twins.google.twin import GoogleTwin

__all__ = ["GoogleTwin"]
