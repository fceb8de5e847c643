"""Each mode's release rule, on fixed score sequences."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pytest_holdout.errors import UsageError
from pytest_holdout.feedback import rules
from pytest_holdout.feedback.mechanisms import Released, release
from pytest_holdout.feedback.state import FeedbackState
from pytest_holdout.reports.scoring import Counts


def holdout_of(*outcomes: int, trials: int = 1) -> dict[str, Counts]:
    """Scenarios by opaque id, each with ``outcome`` satisfied trials of ``trials``."""
    return {
        f"S-{n:012x}-1": Counts(satisfied=s, unsatisfied=trials - s) for n, s in enumerate(outcomes)
    }


def scores_of(count: int, satisfied: int) -> dict[str, Counts]:
    """``count`` scenarios of one trial, the first ``satisfied`` of them satisfied."""
    return holdout_of(*([1] * satisfied + [0] * (count - satisfied)))


def run(state: FeedbackState, rounds: list[dict[str, Counts]], **public: dict[str, Counts]):
    released: list[Released] = []
    for holdout in rounds:
        released.append(release(state, holdout, public.get("public")))
        state = released[-1].state
    return released


# -- the rules on numbers ------------------------------------------------------------------------


def test_the_ladder_releases_only_a_climb_of_more_than_a_step_rounded_to_the_step() -> None:
    last = None
    shown = []
    for score in [0.52, 0.55, 0.61, 0.62, 0.71, 0.40, 0.93]:
        value = rules.ladder(last, score, 0.1)
        last = last if value is None else value
        shown.append(last)
    assert shown == pytest.approx([0.5, 0.5, 0.6, 0.6, 0.7, 0.7, 0.9])


def test_a_climb_of_exactly_the_step_is_not_a_climb() -> None:
    assert rules.ladder(0.5, 0.625, 0.125) is None
    assert rules.ladder(0.5, 0.626, 0.125) == 0.625


def test_the_parameter_free_test_is_one_standard_error_of_the_paired_differences() -> None:
    # mean 0.25, sd 0.5, n 4: standard error 0.25, not beaten; one more +1 beats it
    assert not rules.beats_one_standard_error([1, 0, 0, 0])
    assert rules.beats_one_standard_error([1, 1, 0, 0])
    assert not rules.beats_one_standard_error([0, 0, 0])
    assert rules.beats_one_standard_error([0.1, 0.1])  # no spread: any gain counts
    assert not rules.beats_one_standard_error([])


def test_thresholdout_answers_with_the_public_score_unless_the_holdout_differs() -> None:
    assert rules.thresholdout(0.60, 0.62, 0.05, 0.0, 0.01) is None
    assert rules.thresholdout(0.60, 0.70, 0.05, 0.0, 0.01) == pytest.approx(0.61)
    assert rules.thresholdout(0.60, 0.70, 0.05, 0.06, 0.01) is None  # the test's noise
    assert rules.thresholdout(0.99, 0.50, 0.05, 0.0, 0.05) == 1.0  # clipped


# -- a round at a time ---------------------------------------------------------------------------


def test_plain_releases_every_score_as_measured() -> None:
    released = run(FeedbackState.fresh("plain"), [scores_of(10, 5), scores_of(10, 7)])
    assert [r.value for r in released] == [0.5, 0.7]
    assert [r.round for r in released] == [1, 2]
    assert released[1].sentence == "feedback round 2: 0.700 (plain: the score as measured)"


def test_the_ladders_step_defaults_to_one_over_root_n_of_the_first_round() -> None:
    # N = 100 judged trials: a step of 0.1
    rounds = [scores_of(100, s) for s in (52, 58, 61, 74, 70, 81)]
    released = run(FeedbackState.fresh("ladder"), rounds)
    assert [r.value for r in released] == pytest.approx([0.5, 0.5, 0.6, 0.7, 0.7, 0.8])
    assert [r.source for r in released] == [
        "holdout",
        "last",
        "holdout",
        "holdout",
        "last",
        "holdout",
    ]
    assert released[-1].state.step == pytest.approx(0.1)
    assert released[1].sentence == (
        "feedback round 2: 0.500 again (ladder: not better than the last by more than 0.100)"
    )


def test_a_ladder_step_given_at_the_start_is_kept() -> None:
    released = run(FeedbackState.fresh("ladder", step=0.25), [scores_of(4, 2), scores_of(4, 3)])
    assert [r.value for r in released] == [0.5, 0.5]


def test_the_parameter_free_ladder_compares_scenario_by_scenario() -> None:
    first = holdout_of(1, 1, 0, 0, 0, 0, 0, 0)
    one_more = holdout_of(1, 1, 1, 0, 0, 0, 0, 0)  # +1 on one of 8: mean 0.125, SE 0.125
    two_more = holdout_of(1, 1, 1, 1, 0, 0, 0, 0)  # +1 on two of 8 since the last release
    swapped = holdout_of(0, 0, 1, 1, 1, 1, 0, 0)  # higher, but half of it is losses elsewhere
    released = run(FeedbackState.fresh("parameter-free-ladder"), [first, one_more, two_more])
    assert [r.value for r in released] == [0.25, 0.25, 0.5]
    assert released[1].sentence.endswith(
        "again (parameter-free ladder: not better than the last by one standard error)"
    )
    after = run(released[-1].state, [swapped])
    assert after[0].value == 0.5 and after[0].source == "last"


def test_the_parameter_free_ladder_with_several_trials_pairs_scenario_rates() -> None:
    first = holdout_of(2, 2, 1, 0, trials=2)
    better = holdout_of(2, 2, 2, 1, trials=2)
    released = run(FeedbackState.fresh("parameter-free-ladder"), [first, better])
    assert [r.value for r in released] == [5 / 8, 7 / 8]
    assert released[-1].state.baseline == {
        "S-000000000000-1": 1.0,
        "S-000000000001-1": 1.0,
        "S-000000000002-1": 1.0,
        "S-000000000003-1": 0.5,
    }


def test_a_round_that_judged_nothing_repeats_the_last_release() -> None:
    pending = {"S-000000000000-1": Counts(pending=3)}
    released = run(FeedbackState.fresh("ladder"), [pending, scores_of(4, 2), pending])
    assert [r.value for r in released] == [None, 0.5, 0.5]
    assert released[0].source == "none" and released[2].source == "last"


def thresholdout_state(**parameters: float) -> FeedbackState:
    # A fixed seed, so that the noise, and so each answer, is the same on every run.
    fresh = FeedbackState.fresh("thresholdout", public_split="0" * 64, **parameters)
    return replace(fresh, seed="42" * 32)


def test_thresholdout_answers_from_the_public_split_while_they_agree() -> None:
    state = thresholdout_state(threshold=0.1, noise=0.001, budget=3)
    released = run(state, [scores_of(100, 60)] * 5, public=scores_of(100, 62))
    assert [r.value for r in released] == [0.62] * 5
    assert {r.source for r in released} == {"public"}
    assert released[-1].budget_left == 3


def test_thresholdout_answers_from_the_holdout_with_noise_and_spends_its_budget() -> None:
    state = thresholdout_state(threshold=0.05, noise=0.01, budget=2)
    released = run(state, [scores_of(100, 50)] * 4, public=scores_of(100, 90))
    assert [r.source for r in released] == ["holdout", "holdout", "none", "none"]
    for answer in released[:2]:
        assert answer.value is not None and answer.value == pytest.approx(0.5, abs=0.1)
        assert answer.value != 0.5  # the noise
    assert [r.budget_left for r in released] == [1, 0, 0, 0]
    assert released[2].value is None
    assert released[2].sentence == (
        "feedback round 3: none (thresholdout: the budget of 2 is spent, nothing more is "
        "released until a keyholder starts anew with fresh scenarios)"
    )


def test_thresholdouts_noise_is_the_same_when_a_round_is_asked_again() -> None:
    state = thresholdout_state(threshold=0.05, noise=0.01, budget=5)
    holdout, public = scores_of(100, 50), scores_of(100, 90)
    assert release(state, holdout, public).value == release(state, holdout, public).value
    other = replace(state, seed="17" * 32)
    assert release(other, holdout, public).value != release(state, holdout, public).value


def test_thresholdouts_defaults_scale_with_the_holdout() -> None:
    released = run(thresholdout_state(), [scores_of(400, 200)], public=scores_of(400, 200))
    after = released[0].state
    assert (after.threshold, after.noise, after.budget) == (0.05, 0.0125, 10)


def test_thresholdout_without_the_public_split_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="public split"):
        release(thresholdout_state(), scores_of(10, 5))


def test_the_public_record_holds_nothing_secret() -> None:
    released = run(FeedbackState.fresh("parameter-free-ladder"), [scores_of(10, 5)])[0]
    record = released.to_dict()
    assert set(record) == {
        "mode",
        "round",
        "value",
        "source",
        "budget",
        "budget_left",
        "sentence",
        "checkpoint",
    }
    assert released.state.seed not in repr(record)
    assert "S-" not in repr(record)


def test_a_report_whose_figures_are_withheld_does_not_merge() -> None:
    from pytest_holdout.errors import HoldoutError
    from pytest_holdout.reports.json_report import check_report

    withheld = {"format": "pytest-holdout report", "version": 1, "feedback": {}}
    with pytest.raises(HoldoutError, match=r"shard\.json: its figures are withheld"):
        check_report(withheld, "shard.json")
