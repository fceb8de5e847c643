"""Which trials a gated run counts: exactly the ones the signed manifest implies.

Selection options, a plugin or a conftest can stop a holdout item from running, and
``--keep-duplicates`` can run one twice. Neither may move the score: in a gated run every trial
the manifest implies (each file's scenarios times the trials, within the shard) counts once, a
trial that never reported counts as not satisfied with the reason ``not run``, and a trial
reported more than once counts once, by its least favourable outcome, whatever the order the
reports came in.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from pytest_holdout.outcomes.records import TrialOutcome, trial_seed

NOT_RUN = "not run"

# Least favourable first: the outcome a duplicated trial counts by.
_RANK = {"unsatisfied": 0, "unjudged": 1, "pending": 2, "satisfied": 3}


def account(
    outcomes: Iterable[TrialOutcome], expected: Collection[tuple[str, int]], base_seed: int = 0
) -> list[TrialOutcome]:
    """One outcome per expected ``(item_id, trial)``, sorted; others are left out."""
    kept: dict[tuple[str, int], TrialOutcome] = {}
    for outcome in outcomes:
        key = (outcome.item_id, outcome.trial)
        if key not in expected:
            continue
        if key not in kept or _order(outcome) < _order(kept[key]):
            kept[key] = outcome
    for item_id, trial in expected:
        if (item_id, trial) not in kept:
            kept[item_id, trial] = TrialOutcome(
                item_id,
                trial,
                "unsatisfied",
                seed=trial_seed(base_seed, item_id, trial),
                reason=NOT_RUN,
            )
    return [kept[key] for key in sorted(kept)]


def not_run(outcomes: Iterable[TrialOutcome]) -> int:
    return sum(1 for outcome in outcomes if outcome.reason == NOT_RUN)


def _order(outcome: TrialOutcome) -> tuple[int, int, str]:
    return (_RANK[outcome.status], outcome.failed_step or 0, outcome.reason or "")
