"""Digital twins: stateful behavioural clones of the services software talks to (import name
``holdout_twins``).

``TWINS`` maps a twin's name to where its class lives. Adding a service is one folder under
``twins/`` plus one line here (and its package in pyproject.toml): see docs/twins.md.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from holdout_twins.core import Twin

TWINS: dict[str, str] = {
    "slack": "holdout_twins.slack:SlackTwin",
    "jira": "holdout_twins.jira:JiraTwin",
    "okta": "holdout_twins.okta:OktaTwin",
    "anthropic": "holdout_twins.anthropic:AnthropicTwin",
    "google": "holdout_twins.google:GoogleTwin",
}


class UnknownTwin(LookupError):
    """A twin name that is not in ``TWINS`` or whose module does not provide it."""


def twin_class(name: str) -> type[Twin]:
    """The ``Twin`` subclass registered under ``name`` (imported on first use)."""
    try:
        module_name, _, class_name = TWINS[name].partition(":")
    except KeyError:
        known = ", ".join(sorted(TWINS))
        raise UnknownTwin(f"no twin named {name!r} (known: {known})") from None
    try:
        return getattr(import_module(module_name), class_name)
    except (ImportError, AttributeError):
        raise UnknownTwin(f"the {name!r} twin is not available ({TWINS[name]})") from None
