"""The end of a holdout session, in the controller: scores, the gate, and every report.

Everything here works from public ``TrialOutcome`` records and already-sealed details; nothing
in this module ever sees scenario text.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_holdout.session import HoldoutRun


def terminal_lines(run: HoldoutRun) -> list[str]:
    counts = Counter(outcome.status for outcome in run.outcomes)
    judged = counts["satisfied"] + counts["unsatisfied"]
    rate = f"{counts['satisfied'] / judged:.3f}" if judged else "n/a"
    lines = [
        f"satisfaction {rate}: {counts['satisfied']} of {judged} trials satisfied "
        f"({counts['unjudged']} unjudged, {counts['pending']} pending)"
    ]
    if run.unlisted:
        lines.append(
            f"{len(run.unlisted)} scenario file(s) not in the signed manifest were not run "
            "(a keyholder runs `holdout manifest` to count them)"
        )
    return lines


def finish_session(run: HoldoutRun, session: pytest.Session) -> None:
    if run.sealed_path is not None:
        from pytest_holdout.sealed import write_sealed

        public = {"summary": {"trials": len(run.outcomes)}}
        public["outcomes"] = [o.to_dict() for o in sorted(run.outcomes, key=_order)]
        write_sealed(
            run.sealed_path,
            {"report": public, "details": sorted(run.sealed_details)},
            run.recipients,
        )


def _order(outcome: object) -> tuple[str, int]:
    return (outcome.item_id, outcome.trial)  # type: ignore[attr-defined]
