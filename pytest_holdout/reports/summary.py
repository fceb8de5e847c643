"""A score as text: the terminal section, the GitHub step summary, JUnit properties.

Pure functions of a ``Score`` and a ``GateResult``; the plugin prints, appends or attaches what
they return. They hold numbers only, so they are safe at every disclosure level.
"""

from __future__ import annotations

from collections.abc import Mapping

from pytest_holdout.reports.scoring import VERDICTS, GateResult, Score

LABEL_WIDTH = 14


def rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def figure_rows(score: Score) -> list[tuple[str, str]]:
    """The figures as (label, text) rows, shared by the terminal and the step summary."""
    total = score.total
    interval = score.interval
    satisfaction = f"{rate(score.satisfaction)}  "
    if interval is not None:
        satisfaction += f"(95% CI {interval.lower:.3f}-{interval.upper:.3f}"
        if interval.method == "clustered":
            satisfaction += " clustered by scenario"
        satisfaction += f", {total.satisfied} of {total.judged} judged trials)"
    else:
        satisfaction += "(no judged trials)"
    scenarios = (
        f"{score.scenarios('satisfied')} satisfied, {score.scenarios('partly')} partly, "
        f"{score.scenarios('not')} not"
    )
    if score.scenarios("unscored"):
        scenarios += f", {score.scenarios('unscored')} unscored"
    each = "trial" if score.k == 1 else "trials"
    rows = [
        ("satisfaction", satisfaction),
        ("scenarios", f"{scenarios} ({len(score.counts)} scenarios, {score.k} {each} each)"),
        (
            f"pass^{score.k}",
            f"{rate(score.pass_k)}  ({score.scenarios('satisfied')} of {score.scored} "
            "scenarios satisfied in every judged trial)",
        ),
    ]
    mean = score.scenario_mean
    if mean is not None:
        error = "" if mean.standard_error is None else f" ± {mean.standard_error:.3f}"
        rows.append(
            ("scenario mean", f"{mean.mean:.3f}{error}  (standard error clustered by scenario)")
        )
    if score.not_run is not None:
        rows.append(
            (
                "not run",
                f"{score.not_run} of the {total.trials} trials MANIFEST implies "
                "(each counted as not satisfied)",
            )
        )
    rows.append(("not counted", f"{total.unjudged} unjudged, {total.pending} pending trials"))
    return rows


def terminal_lines(score: Score, gate: GateResult) -> list[str]:
    """The lines of the ``holdout satisfaction`` section."""
    rows = [f"{label:<{LABEL_WIDTH}}{text}" for label, text in figure_rows(score)]
    return [*rows, gate.sentence]


def github_summary_markdown(score: Score, gate: GateResult) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``."""
    mark = "" if not (gate.enabled and gate.enforced) else ("✅ " if gate.passed else "❌ ")
    lines = ["### Holdout satisfaction", "", "| figure | value |", "|---|---|"]
    lines += [f"| {label} | {text} |" for label, text in figure_rows(score)]
    lines += ["", f"{mark}{gate.sentence}", ""]
    return "\n".join(lines)


def junit_properties(score: Score, gate: GateResult) -> list[tuple[str, str]]:
    """The figures as JUnit ``<testsuite>`` properties, all prefixed ``holdout_``."""
    total = score.total
    interval = score.interval
    mean = score.scenario_mean
    values: list[tuple[str, object]] = [
        ("satisfaction", score.satisfaction),
        ("interval_lower", interval.lower if interval else None),
        ("interval_upper", interval.upper if interval else None),
        ("interval_method", interval.method if interval else None),
        ("trials_satisfied", total.satisfied),
        ("trials_unsatisfied", total.unsatisfied),
        ("trials_unjudged", total.unjudged),
        ("trials_pending", total.pending),
        *((("trials_not_run", score.not_run),) if score.not_run is not None else ()),
        *((f"scenarios_{verdict}", score.scenarios(verdict)) for verdict in VERDICTS),
        ("k", score.k),
        ("pass_k", score.pass_k),
        ("scenario_mean", mean.mean if mean else None),
        ("scenario_mean_se", mean.standard_error if mean else None),
        ("gate", gate.sentence),
        ("gate_passed", str(gate.passed).lower()),
        ("gate_enforced", str(gate.enabled and gate.enforced).lower()),
    ]
    return [(f"holdout_{name}", _text(value)) for name, value in values]


def breakdown_lines(groups: Mapping[str, Score]) -> list[str]:
    """One line per feature or tag, for the sealed report (never public: labels are secret)."""
    width = max((len(label) for label in groups), default=0)
    return [
        f"{label:<{width}}  {rate(group.satisfaction)}  "
        f"({group.total.satisfied} of {group.total.judged} judged trials, "
        f"{len(group.counts)} scenarios)"
        for label, group in groups.items()
    ]


def _text(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.6f}"
    return str(value)
