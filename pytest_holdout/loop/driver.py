"""The loop: each round the agent works, the holdout judges, the agent gets the public feedback.

A round's files go to ``<loop folder>/round-N/``: ``agent.log`` (what the agent printed),
``evaluation.log`` (pytest's public output), ``holdout.json`` (the public report) and
``holdout-report.age`` (the sealed report, for keyholders). The loop folder is masked in the
agent's sandbox: the agent sees none of it, only ``LOOP_FEEDBACK``.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_holdout.loop.agents import Agent, AgentSandbox, key_paths
from pytest_holdout.loop.evaluation import Evaluator
from pytest_holdout.loop.feedback_file import FeedbackFile
from pytest_holdout.loop.progress import REACHED, Progress, round_line
from pytest_holdout.reports.history import append_history
from pytest_holdout.reports.public_feedback import public_feedback

AGENT_LOG = "agent.log"
FEEDBACK_STATE = "feedback.state"
PYTEST_CACHE = "pytest-cache"


@dataclass(frozen=True)
class LoopSettings:
    agent: Agent
    project: Path  # the keyholder's: the harness and the store; the evaluation runs here
    store: Path
    specs: Path
    workdir: Path  # the agent's working copy
    loop_dir: Path
    history: Path
    target: float
    max_rounds: int
    patience: int | None
    trials: int | None
    pytest_args: Sequence[str]
    feedback_ids: bool
    feedback_mode: str
    reset_feedback: bool
    agent_env: Mapping[str, str]
    forward: Sequence[str]
    allow: Sequence[str]
    agent_timeout: float


def run_loop(
    settings: LoopSettings, environ: Mapping[str, str], say: Callable[[str], None] | None = None
) -> bool:
    """Run rounds until a reason to stop; True when the target was reached. Each line goes to
    ``say`` (default: stdout, as it happens)."""
    say = say or _print
    settings.loop_dir.mkdir(parents=True, exist_ok=True)
    for stale in settings.loop_dir.glob("round-*"):  # the last run's; history keeps their figures
        shutil.rmtree(stale)
    state = settings.loop_dir / FEEDBACK_STATE
    evaluator = Evaluator(
        project=settings.project,
        store=settings.store,
        workdir=settings.workdir,
        trials=settings.trials,
        pytest_args=settings.pytest_args,
        cache_dir=settings.loop_dir / PYTEST_CACHE,
        feedback_mode=settings.feedback_mode,
        feedback_state=state,
    )
    progress = Progress(settings.target, settings.max_rounds, settings.patience)
    with contextlib.ExitStack() as cleanup:
        feedback_file = FeedbackFile(settings.target)
        cleanup.callback(feedback_file.close)
        agents = AgentSandbox(
            settings.agent,
            workdir=settings.workdir,
            specs=settings.specs,
            feedback_file=feedback_file.path,
            readable=[settings.project],
            # The project's own pytest cache may hold a keyholder's run's last failed ids.
            hide=[*key_paths(environ), settings.loop_dir, settings.project / ".pytest_cache"],
            env=settings.agent_env,
            forward=settings.forward,
            allow=settings.allow,
            timeout=settings.agent_timeout,
        )
        cleanup.callback(agents.close)
        say(
            f"holdout loop: agent {settings.agent.description} in {settings.workdir}, "
            f"target {settings.target:.3f}, at most {settings.max_rounds} round(s); "
            f"logs in {settings.loop_dir}"
        )
        reason = None
        while reason is None:
            number = progress.rounds + 1
            started = time.monotonic()
            agent_run = agents.run(number)
            folder = settings.loop_dir / f"round-{number}"
            folder.mkdir()
            (folder / AGENT_LOG).write_text(agent_run.log_text(), encoding="utf-8")
            reset = number == 1 and (settings.reset_feedback or not state.exists())
            evaluation = evaluator.run(folder, reset_feedback=reset)
            feedback = public_feedback(evaluation.report, number, ids=settings.feedback_ids)
            feedback_file.write(feedback)
            seconds = time.monotonic() - started
            append_history(settings.history, history_entry(feedback, settings.target, seconds))
            say(round_line(number, feedback, seconds, agent_run.note()))
            reason = progress.record(feedback["satisfaction"])
    say(progress.final_line(reason))
    return reason == REACHED


def _print(line: str) -> None:
    print(line, flush=True)  # a line per round as it goes, even into a pipe


def history_entry(feedback: Mapping[str, Any], target: float, seconds: float) -> dict[str, Any]:
    """A round as a ``--holdout-history`` line (for ``holdout report trend``), holding what the
    agent was told and no more; the target is drawn as the gate."""
    satisfaction = feedback["satisfaction"]
    return {
        "figures": {
            "satisfaction": satisfaction,
            "interval": feedback["interval"],
            "trials": feedback["trials"],
        },
        "gate": {
            "enabled": True,
            "mode": "point",
            "minimum": target,
            "passed": satisfaction is not None and satisfaction >= target,
        },
        "meta": {
            "loop_round": feedback["round"],
            "seconds": round(seconds, 3),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
    }
