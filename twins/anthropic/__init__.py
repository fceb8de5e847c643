"""The Anthropic twin: the Messages API with scripted replies (see README.md in this folder)."""

from __future__ import annotations

from holdout_twins.anthropic.script import Reply, Rule, Script, ScriptError, text, tool_use
from holdout_twins.anthropic.twin import AnthropicTwin

__all__ = ["AnthropicTwin", "Reply", "Rule", "Script", "ScriptError", "text", "tool_use"]
