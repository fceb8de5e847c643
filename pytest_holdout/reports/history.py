"""Satisfaction over runs: ``--holdout-history`` lines, and the trend as SVG, PNG or a sparkline.

A history file holds one JSON object a line, one line per run: the report's figures, gate and
meta (without per-scenario counts or ids, which a trend does not need).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_holdout.errors import HoldoutError
from pytest_holdout.store.fsutil import atomic_write, read_existing, read_regular

VERSION = 1
SPARKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Point:
    """One run in the trend. ``satisfaction`` and the interval are None for a run that judged no
    trial; ``minimum`` is the gate's, when the run had one."""

    satisfaction: float | None
    lower: float | None
    upper: float | None
    judged: int
    minimum: float | None

    @classmethod
    def from_line(cls, line: Mapping[str, Any]) -> Point:
        figures = line["figures"]
        interval = figures["interval"] or {}
        gate = line.get("gate") or {}
        return cls(
            satisfaction=figures["satisfaction"],
            lower=interval.get("lower"),
            upper=interval.get("upper"),
            # A holdout loop round under a reusable-holdout rule withholds the trial counts.
            judged=(figures["trials"] or {}).get("judged", 0),
            minimum=gate.get("minimum") if gate.get("enabled") else None,
        )


def history_line(report: Mapping[str, Any]) -> str:
    line = {
        "version": VERSION,
        "figures": report["figures"],
        "gate": report["gate"],
        "meta": report.get("meta", {}),
    }
    return json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n"


def append_history(path: Path, report: Mapping[str, Any]) -> int:
    """Add the run's line to ``path`` (created if missing); returns how many lines that are not
    history lines were dropped. The file comes from the repository, so only what parses as
    history is kept (whatever else it held is not copied into a file that gets published). The
    whole file is rewritten atomically, so an interrupted run leaves the history as it was, never
    a half line."""
    path = Path(path)
    try:
        before = read_regular(path).decode("utf-8", errors="replace")
    except FileNotFoundError:
        before = ""
    kept = [line for line in before.splitlines() if _point(line) is not None]
    dropped = sum(1 for line in before.splitlines() if line.strip()) - len(kept)
    atomic_write(
        path, "".join(f"{line}\n" for line in kept).encode() + history_line(report).encode()
    )
    return dropped


def _point(line: str) -> Point | None:
    """The run a history line records; None for a line that is not one."""
    try:
        data = json.loads(line)
        if data.get("version") != VERSION:
            return None
        return Point.from_line(data)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def read_history(path: Path) -> list[Point]:
    text = read_existing(Path(path)).decode("utf-8", errors="replace")
    points = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        point = _point(line)
        if point is None:
            raise HoldoutError(f"{path}:{number}: not a holdout history line")
        points.append(point)
    if not points:
        raise HoldoutError(f"{path}: no runs in this history")
    return points


def sparkline(points: Sequence[Point]) -> str:
    """One character per run, low to high over the runs' own range; a space for a run with no
    judged trial. Followed by the figures that give the characters their scale."""
    values = [p.satisfaction for p in points if p.satisfaction is not None]
    if not values:
        return f"{' ' * len(points)}  no judged trials in {len(points)} runs"
    low, high = min(values), max(values)
    spread = high - low

    def spark(value: float | None) -> str:
        if value is None:
            return " "
        if not spread:
            return SPARKS[-1]
        return SPARKS[round((value - low) / spread * (len(SPARKS) - 1))]

    last = values[-1]
    return (
        "".join(spark(p.satisfaction) for p in points)
        + f"  last {last:.3f}, min {low:.3f}, max {high:.3f} over {len(points)} runs"
    )


# The SVG's geometry, in pixels.
WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 40, 48


def trend_svg(points: Sequence[Point]) -> str:
    """Satisfaction per run, its 95% interval as a band, and the gate's minimum if it was the
    same in every run, on a fixed 0-1 scale so that two charts compare at a glance."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(run: int) -> float:
        return LEFT + (plot_w * run / (len(points) - 1) if len(points) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value)

    def xy(run: int, value: float) -> str:
        return f"{x(run):.1f},{y(value):.1f}"

    runs = [
        (run, value, p) for run, p in enumerate(points) if (value := p.satisfaction) is not None
    ]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="14">'
        f"holdout satisfaction over {len(points)} runs</text>",
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{LEFT - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:.2f}</text>'
        )
    for run in _x_ticks(len(points)):
        parts.append(
            f'<text x="{x(run):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{run + 1}</text>'
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" text-anchor="middle">run</text>'
        f'<text x="16" y="{TOP + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {TOP + plot_h / 2})">satisfaction</text>'
    )
    band = [xy(run, p.upper) for run, _, p in runs if p.upper is not None]
    band += [xy(run, p.lower) for run, _, p in reversed(runs) if p.lower is not None]
    if band:
        parts.append(
            f'<polygon points="{" ".join(band)}" fill="#4c78a8" fill-opacity="0.2">'
            "<title>95% interval</title></polygon>"
        )
    minimums = {p.minimum for p in points}
    if len(minimums) == 1 and (minimum := minimums.pop()) is not None:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(minimum):.1f}" y2="{y(minimum):.1f}" '
            f'stroke="#c44" stroke-dasharray="6 4"><title>gate {minimum:.3f}</title></line>'
        )
    if runs:
        line = " ".join(xy(run, value) for run, value, _ in runs)
        parts.append(f'<polyline points="{line}" fill="none" stroke="#4c78a8" stroke-width="2"/>')
        for run, value, p in runs:
            parts.append(
                f'<circle cx="{x(run):.1f}" cy="{y(value):.1f}" r="3" fill="#4c78a8">'
                f"<title>run {run + 1}: {value:.3f} over {p.judged} judged trials</title></circle>"
            )
    parts.append(
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _x_ticks(runs: int, most: int = 10) -> range:
    """At most ``most`` run numbers along the x axis, evenly spaced."""
    step = max(1, -(-runs // most))
    return range(0, runs, step)


def trend_png(points: Sequence[Point], out: Path) -> None:
    """The same chart as ``trend_svg``, drawn by matplotlib (an optional dependency)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        raise HoldoutError("--png needs matplotlib: pip install matplotlib") from None
    runs = [(run + 1, p) for run, p in enumerate(points) if p.satisfaction is not None]
    figure, axes = pyplot.subplots(figsize=(6.4, 3.2), dpi=100)
    try:
        banded = [(run, p) for run, p in runs if p.lower is not None]
        axes.fill_between(
            [run for run, _ in banded],
            [p.lower for _, p in banded],
            [p.upper for _, p in banded],
            alpha=0.2,
            label="95% interval",
        )
        axes.plot([run for run, _ in runs], [p.satisfaction for _, p in runs], marker="o")
        minimums = {p.minimum for p in points}
        if len(minimums) == 1 and (minimum := minimums.pop()) is not None:
            axes.axhline(minimum, color="#c44", linestyle="--", label=f"gate {minimum:.3f}")
        axes.set(
            title=f"holdout satisfaction over {len(points)} runs",
            xlabel="run",
            ylabel="satisfaction",
            ylim=(0, 1),
            xlim=(0.5, len(points) + 0.5),
        )
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.legend(loc="lower left")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        pyplot.close(figure)
    atomic_write(Path(out), buffer.getvalue())
