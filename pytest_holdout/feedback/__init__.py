"""Feedback that an agent cannot overfit: which score a run releases (plain, the Ladder,
thresholdout), and the sealed state that carries the rule from one round to the next.

Imports ``reports``, ``outcomes`` and ``store``; nothing below imports it. See
docs/reusable-holdout.md.
"""
