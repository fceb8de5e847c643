"""The history of runs and its trend: lines appended, a sparkline, SVG and PNG charts."""

from __future__ import annotations

import json
import os
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

from pytest_holdout.errors import HoldoutError
from pytest_holdout.outcomes.records import TrialOutcome
from pytest_holdout.reports.history import (
    HEIGHT,
    SPARKS,
    TOP,
    append_history,
    read_history,
    sparkline,
    trend_png,
    trend_svg,
)
from pytest_holdout.reports.json_report import build_report
from pytest_holdout.reports.scoring import evaluate_gate, score

SVG = "{http://www.w3.org/2000/svg}"


def report_with(satisfied: int, unsatisfied: int, minimum: float | None = 0.8) -> dict[str, Any]:
    outcomes = [
        TrialOutcome(f"S-000000000000-{n}", 1, "satisfied" if n < satisfied else "unsatisfied")
        for n in range(satisfied + unsatisfied)
    ]
    gate = evaluate_gate(score(outcomes), minimum)
    return build_report(outcomes, disclosure="ids", gate=gate, meta={"finished": "then"})


@pytest.fixture
def history(tmp_path: Path) -> Path:
    path = tmp_path / "history.jsonl"
    for satisfied in (6, 8, 7, 9):
        append_history(path, report_with(satisfied, 10 - satisfied))
    return path


def test_each_run_appends_one_line_with_its_figures_gate_and_meta(history: Path) -> None:
    lines = history.read_text().splitlines()
    assert len(lines) == 4
    last = json.loads(lines[-1])
    report = report_with(9, 1)
    assert last["figures"] == report["figures"]
    assert last["gate"] == report["gate"]
    assert last["meta"]["finished"] == "then"
    assert "S-000000000000" not in lines[-1]  # a trend needs no ids
    assert [p.satisfaction for p in read_history(history)] == [0.6, 0.8, 0.7, 0.9]


def test_appending_leaves_no_temp_file_and_completes_a_cut_last_line(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    append_history(path, report_with(5, 5))
    path.write_text(path.read_text().rstrip("\n"))
    append_history(path, report_with(6, 4))
    assert [p.satisfaction for p in read_history(path)] == [0.5, 0.6]
    assert os.listdir(tmp_path) == ["history.jsonl"]


def test_a_bad_line_is_an_error_naming_the_file_and_line(history: Path) -> None:
    with history.open("a") as file:
        file.write('{"version": 1, "figures": {}}\n')
    with pytest.raises(HoldoutError) as raised:
        read_history(history)
    assert str(raised.value) == f"{history}:5: not a holdout history line"


def test_an_empty_or_missing_history_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(HoldoutError, match="no runs in this history"):
        read_history(empty)
    with pytest.raises(HoldoutError, match=r"cannot read \(No such file"):
        read_history(tmp_path / "missing.jsonl")


def test_the_sparkline_rises_and_falls_with_satisfaction(history: Path) -> None:
    # 0.6, 0.8, 0.7, 0.9 on eight levels from the lowest (0.6) to the highest (0.9)
    assert sparkline(read_history(history)) == "▁▆▃█  last 0.900, min 0.600, max 0.900 over 4 runs"


def test_a_run_without_judged_trials_is_a_gap_in_the_sparkline(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    append_history(path, report_with(5, 5))
    append_history(
        path, build_report([], disclosure="none", gate=evaluate_gate(score([]), None), meta={})
    )
    append_history(path, report_with(5, 5))
    points = read_history(path)
    assert points[1].satisfaction is None
    assert sparkline(points).startswith(f"{SPARKS[-1]} {SPARKS[-1]}  last 0.500")


def test_the_svg_draws_each_run_its_interval_band_the_gate_and_labels_its_axes(
    history: Path,
) -> None:
    points = read_history(history)
    root = ElementTree.fromstring(trend_svg(points))
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert {"run", "satisfaction", "holdout satisfaction over 4 runs"} <= set(texts)
    assert {"1", "2", "3", "4", "0.00", "1.00"} <= set(texts)
    plot_height = HEIGHT - TOP - 48
    circles = list(root.iter(f"{SVG}circle"))
    values = [1 - (float(c.get("cy")) - TOP) / plot_height for c in circles]
    assert values == pytest.approx([0.6, 0.8, 0.7, 0.9], abs=0.01)
    (band,) = root.iter(f"{SVG}polygon")
    assert len(band.get("points").split()) == 2 * len(points)
    assert band.find(f"{SVG}title").text == "95% interval"
    gates = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert [g.find(f"{SVG}title").text for g in gates] == ["gate 0.800"]


def test_the_svg_leaves_out_a_gate_line_when_runs_were_gated_differently(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    append_history(path, report_with(5, 5, minimum=0.8))
    append_history(path, report_with(6, 4, minimum=None))
    root = ElementTree.fromstring(trend_svg(read_history(path)))
    assert not [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]


def test_a_single_run_is_drawn_in_the_middle(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    append_history(path, report_with(5, 5))
    root = ElementTree.fromstring(trend_svg(read_history(path)))
    (circle,) = root.iter(f"{SVG}circle")
    assert 0 < float(circle.get("cx")) < float(root.get("width"))


def test_the_png_is_a_png(history: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "trend.png"
    trend_png(read_history(history), out)
    assert out.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_without_matplotlib_the_png_is_a_one_line_error(
    history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(HoldoutError) as raised:
        trend_png(read_history(history), tmp_path / "trend.png")
    assert str(raised.value) == "--png needs matplotlib: pip install matplotlib"
    assert not (tmp_path / "trend.png").exists()
