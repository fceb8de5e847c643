"""When the loop stops, and what its lines say."""

from __future__ import annotations

import pytest

from pytest_holdout.loop.progress import NO_IMPROVEMENT, REACHED, ROUND_LIMIT, Progress, round_line


@pytest.mark.parametrize(
    ("scores", "patience", "reason", "final"),
    [
        ([0.5, 0.9], 3, REACHED, "target 0.900 reached in round 2"),
        (
            [0.5, 0.6, 0.7, 0.8, 0.85],
            3,
            ROUND_LIMIT,
            "target 0.900 not reached after 5 round(s) (--max-rounds 5): best 0.850 in round 5",
        ),
        (
            [0.6, 0.5, 0.6, None],
            3,
            NO_IMPROVEMENT,
            "target 0.900 not reached after 3 round(s) without improvement (--patience 3): "
            "best 0.600 in round 1",
        ),
        (
            [None, None, None, None, None],
            None,
            ROUND_LIMIT,
            "target 0.900 not reached after 5 round(s) (--max-rounds 5): nothing judged",
        ),
    ],
)
def test_the_loop_stops_at_the_target_the_round_limit_or_its_patience(
    scores: list[float | None], patience: int | None, reason: str, final: str
) -> None:
    progress = Progress(target=0.9, max_rounds=5, patience=patience)
    reasons = [progress.record(score) for score in scores]
    assert reasons == [None] * (len(scores) - 1) + [reason]
    assert progress.final_line(reason) == final


def test_a_round_line_shows_the_score_its_interval_and_the_time() -> None:
    feedback = {
        "satisfaction": 0.75,
        "interval": {"level": 0.95, "lower": 0.30064, "upper": 0.95441, "method": "wilson"},
        "trials": {"satisfied": 3, "judged": 4},
    }
    assert round_line(2, feedback, 4.06) == (
        "round 2: satisfaction 0.750 (95% CI 0.301-0.954, 3 of 4 judged trials) in 4.1 s"
    )
    assert round_line(1, {"satisfaction": None}, 1.0, "the agent exited 3") == (
        "round 1: no judged trial in 1.0 s; the agent exited 3"
    )
    released = {"satisfaction": 0.5, "release": {"sentence": "feedback round 3: 0.500 again (x)"}}
    assert round_line(3, released, 2.0) == "round 3: released 0.500 again (x) in 2.0 s"
