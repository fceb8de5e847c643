"""The Jira twin: Jira Cloud's REST API, v2 and v3 (see README.md in this folder)."""

from __future__ import annotations

from holdout_twins.jira.twin import JiraTwin

__all__ = ["JiraTwin"]
