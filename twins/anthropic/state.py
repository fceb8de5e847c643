"""What an Anthropic twin holds: the models it serves and the script of its replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from holdout_twins.anthropic.script import Script


@dataclass(frozen=True)
class Model:
    """One model as ``GET /v1/models`` lists it. ``aliases`` name it too (``claude-sonnet-4-5``)."""

    id: str
    display_name: str
    created_at: str  # RFC 3339
    max_input_tokens: int
    max_tokens: int
    aliases: tuple[str, ...] = ()
    lifecycle: str = "active"  # "active", "deprecated" or "retired"
    retires_at: str | None = None  # RFC 3339, set on a deprecated model

    def to_api(self) -> dict[str, Any]:
        return {
            "type": "model",
            "id": self.id,
            "display_name": self.display_name,
            "created_at": self.created_at,
            "lifecycle": self.lifecycle,
            "retires_at": self.retires_at,
            "max_input_tokens": self.max_input_tokens,
            "max_tokens": self.max_tokens,
        }


@dataclass
class Account:
    """The whole state of an Anthropic twin: its models, newest first, and its script."""

    script: Script
    models: list[Model] = field(default_factory=list)

    def model(self, name: str) -> Model | None:
        """The model with this id or alias."""
        for model in self.models:
            if name == model.id or name in model.aliases:
                return model
        return None
