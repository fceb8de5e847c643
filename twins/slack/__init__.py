"""The Slack twin: the Slack Web API (see README.md in this folder)."""

from __future__ import annotations

from holdout_twins.slack.twin import SlackTwin

__all__ = ["SlackTwin"]
