"""One agent round for a ``pytest_holdout_build`` hook: the agent in the sandbox, as a round of
``holdout loop`` runs it, from a process that holds the key (the gated pytest run)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_holdout.loop.agents import Agent, AgentRun, AgentSandbox, key_paths
from pytest_holdout.loop.feedback_file import FeedbackFile


def build_once(
    config: pytest.Config,
    agent: str,
    *,
    specs: Path,
    feedback: Mapping[str, Any] | None,
    workdir: Path,
    target: float = 1.0,
    timeout: float = 3600.0,
) -> AgentRun:
    """Run ``agent`` (``--agent``'s syntax: a command line, or ``anthropic:MODEL``) once in
    ``workdir``, with ``feedback`` (the hook's) in ``LOOP_FEEDBACK``. The agent sees the rootdir
    read-only, minus its pytest cache; the key file and its folder are masked."""
    workdir.mkdir(parents=True, exist_ok=True)
    feedback_file = FeedbackFile(target)
    if feedback is not None:
        feedback_file.write(feedback)
    try:
        agents = AgentSandbox(
            Agent.parse(agent),
            workdir=workdir,
            specs=specs,
            feedback_file=feedback_file.path,
            readable=[config.rootpath],
            hide=[*key_paths(os.environ), config.rootpath / ".pytest_cache"],
            env={},
            forward=[],
            allow=[],
            timeout=timeout,
        )
        try:
            return agents.run(1 if feedback is None else int(feedback["round"]) + 1)
        finally:
            agents.close()
    finally:
        feedback_file.close()
