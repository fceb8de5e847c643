"""pytest-holdout: encrypted holdout scenarios, digital twins and satisfaction scores."""

from __future__ import annotations

from pytest_holdout.steps import parsers
from pytest_holdout.steps.registry import given, step, then, when

__all__ = ["given", "parsers", "step", "then", "when"]
__version__ = "0.1.0"
