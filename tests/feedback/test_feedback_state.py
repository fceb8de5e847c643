"""The sealed feedback state: what it keeps, and each way of tampering with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_holdout.feedback.keeper import Feedback
from pytest_holdout.feedback.state import FeedbackState, FeedbackStateError
from pytest_holdout.reports.scoring import Counts
from pytest_holdout.store import keys


def scores_of(count: int, satisfied: int) -> dict[str, Counts]:
    return {
        f"S-{n:012x}-1": Counts(satisfied=int(n < satisfied), unsatisfied=int(n >= satisfied))
        for n in range(count)
    }


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "feedback.state"


def test_the_state_round_trips_and_keeps_nothing_readable(
    path: Path, identity: keys.Identity
) -> None:
    feedback = Feedback(path, [identity], "parameter-free-ladder", reset=True)
    released = feedback.round(scores_of(10, 5))
    text = path.read_text()
    assert text.startswith(f"pytest-holdout feedback state v1\nkeyholder {identity.recipient}\n")
    assert "S-000000000000" not in text and "0.5" not in text  # the rates are sealed too
    assert released.state.seed not in text
    assert FeedbackState.load(path, [identity]) == released.state
    assert path.stat().st_mode & 0o077 == 0


def test_rounds_continue_across_processes_on_the_same_file(
    path: Path, identity: keys.Identity
) -> None:
    Feedback(path, [identity], "ladder", reset=True).round(scores_of(100, 50))
    again = Feedback(path, [identity], "ladder").round(scores_of(100, 55))
    assert again.round == 2 and again.value == pytest.approx(0.5) and again.source == "last"


def test_a_missing_state_stops_with_a_clear_error(path: Path, identity: keys.Identity) -> None:
    with pytest.raises(FeedbackStateError) as raised:
        Feedback(path, [identity], "ladder")
    assert str(raised.value) == (
        f"{path}: missing (the feedback state carries over between rounds; "
        "a keyholder starts anew with --holdout-reset-feedback)"
    )
    feedback = Feedback(path, [identity], "ladder", reset=True)
    path.unlink()
    with pytest.raises(FeedbackStateError, match="missing"):
        feedback.round(scores_of(10, 5))


def test_a_changed_byte_fails_the_mac(path: Path, identity: keys.Identity) -> None:
    Feedback(path, [identity], "ladder", reset=True).round(scores_of(10, 5))
    data = bytearray(path.read_bytes())
    for position in range(len(data) - 40, len(data) - 1, 7):  # bytes of the sealed line
        changed = data.copy()
        changed[position] = ord("A") if changed[position] != ord("A") else ord("B")
        path.write_bytes(bytes(changed))
        with pytest.raises(FeedbackStateError) as raised:
            FeedbackState.load(path, [identity])
        assert str(raised.value) == (
            f"{path}: altered since it was saved (its MAC does not verify); "
            "a keyholder starts anew with --holdout-reset-feedback"
        )


def test_a_state_forged_with_another_key_is_refused(
    path: Path, identity: keys.Identity, other_identity: keys.Identity
) -> None:
    # The agent cannot seal under the keyholder's key; one sealed under its own key claiming
    # to be the keyholder's fails the MAC, and one naming its own key is not held here.
    forged = FeedbackState.fresh("plain")
    forged.save(path, [other_identity])
    with pytest.raises(FeedbackStateError, match="whose private key is not held here"):
        FeedbackState.load(path, [identity])
    text = path.read_text().replace(other_identity.recipient, identity.recipient)
    path.write_text(text)
    with pytest.raises(FeedbackStateError, match="altered since it was saved"):
        FeedbackState.load(path, [identity])


def two_rounds_then_round_one_put_back(path: Path, identity: keys.Identity) -> Feedback:
    """A ladder run of two rounds (0.5, then 0.7) whose state file is then replaced by the one
    round 1 saved: the agent's replay, to get 0.5 again and climb anew."""
    feedback = Feedback(path, [identity], "ladder", reset=True)
    feedback.round(scores_of(100, 50))
    round_one = path.read_bytes()
    feedback.round(scores_of(100, 70))
    path.write_bytes(round_one)
    return feedback


def test_an_older_state_put_back_is_detected_within_a_run(
    path: Path, identity: keys.Identity
) -> None:
    feedback = two_rounds_then_round_one_put_back(path, identity)
    with pytest.raises(FeedbackStateError) as raised:
        feedback.round(scores_of(100, 90))
    assert "replayed: it is round 1, but round 2 was already released" in str(raised.value)


def test_an_older_state_put_back_is_detected_against_a_kept_checkpoint(
    path: Path, identity: keys.Identity
) -> None:
    kept = two_rounds_then_round_one_put_back(path, identity).checkpoint  # e.g. in a history
    with pytest.raises(FeedbackStateError, match="replayed"):
        Feedback(path, [identity], "ladder", expect=kept)


def test_another_runs_state_is_not_this_ones(path: Path, identity: keys.Identity) -> None:
    feedback = Feedback(path, [identity], "ladder", reset=True)
    Feedback(path, [identity], "ladder", reset=True)  # a second run in the same place
    with pytest.raises(FeedbackStateError, match="the state of another run"):
        feedback.round(scores_of(10, 5))


def test_a_state_saved_out_of_turn_breaks_the_chain(path: Path, identity: keys.Identity) -> None:
    feedback = Feedback(path, [identity], "ladder", reset=True)
    rogue = Feedback(path, [identity], "ladder")
    rogue.round(scores_of(10, 9))  # a round the loop did not release
    feedback_round_zero = feedback.checkpoint
    assert feedback_round_zero.round == 0
    with pytest.raises(FeedbackStateError, match="does not continue round 0"):
        feedback.round(scores_of(10, 5))


def test_the_mode_and_the_public_split_are_fixed_for_a_run(
    path: Path, identity: keys.Identity
) -> None:
    Feedback(path, [identity], "thresholdout", reset=True, public_split=["S-aaaaaaaaaaaa"])
    with pytest.raises(FeedbackStateError, match="the state of a thresholdout run, not ladder"):
        Feedback(path, [identity], "ladder")
    with pytest.raises(FeedbackStateError, match="the public split changed"):
        Feedback(path, [identity], "thresholdout", public_split=["S-bbbbbbbbbbbb"])
    with pytest.raises(FeedbackStateError, match="thresholdout needs a public split"):
        Feedback(path, [identity], "thresholdout")


def test_parameters_are_fixed_when_a_run_starts(path: Path, identity: keys.Identity) -> None:
    Feedback(path, [identity], "ladder", reset=True, step=0.05)
    Feedback(path, [identity], "ladder", step=0.05)
    with pytest.raises(FeedbackStateError, match=re.escape("this run's step is 0.05, not 0.1")):
        Feedback(path, [identity], "ladder", step=0.1)


def test_not_a_state_file(path: Path, identity: keys.Identity) -> None:
    path.write_text("{}\n")
    with pytest.raises(FeedbackStateError, match="not a pytest-holdout feedback state"):
        FeedbackState.load(path, [identity])
