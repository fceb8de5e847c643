"""``holdout report merge | trend | open``, as a user runs them: output, files, exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_holdout.cli import main as cli
from pytest_holdout.collection.selection import shard_of
from pytest_holdout.outcomes.records import TrialDetail, TrialOutcome
from pytest_holdout.reports.history import append_history
from pytest_holdout.reports.json_report import build_report, dumps, write_report
from pytest_holdout.reports.scoring import evaluate_gate, score
from pytest_holdout.store.files import Store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def outcomes() -> list[TrialOutcome]:
    return [
        TrialOutcome(
            f"S-{n:012x}-1",
            trial,
            "unsatisfied" if (n + trial) % 5 == 0 else "satisfied",
            failed_step=2 if (n + trial) % 5 == 0 else None,
            failed_kind="Then" if (n + trial) % 5 == 0 else None,
            reason="assertion" if (n + trial) % 5 == 0 else None,
        )
        for n in range(12)
        for trial in (1, 2)
    ]


def report_of(part: list[TrialOutcome]) -> dict[str, Any]:
    gate = evaluate_gate(score(part), 0.75, "point")
    return build_report(part, disclosure="ids", gate=gate, meta={"finished": "now"})


@pytest.fixture
def shard_reports(tmp_path: Path) -> list[Path]:
    paths = []
    for shard in (1, 2):
        path = tmp_path / f"shard{shard}.json"
        write_report(path, report_of([o for o in outcomes() if shard_of(o.item_id, 2) == shard]))
        paths.append(path)
    return paths


def test_report_has_merge_trend_and_open(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "report", "--help")
    assert code == 0
    for command in ("merge", "trend", "open"):
        assert f"    {command} " in out
        assert run(capsys, "report", command, "--help")[0] == 0


def test_merge_prints_the_merged_report(
    capsys: pytest.CaptureFixture[str], shard_reports: list[Path]
) -> None:
    code, out, err = run(capsys, "report", "merge", *map(str, shard_reports))
    assert (code, err) == (0, "")
    merged = json.loads(out)
    expected = report_of(outcomes())
    assert {k: v for k, v in merged.items() if k != "meta"} == {
        k: v for k, v in expected.items() if k != "meta"
    }


def test_merge_to_a_file_prints_the_figures(
    capsys: pytest.CaptureFixture[str], shard_reports: list[Path], tmp_path: Path
) -> None:
    out_path = tmp_path / "all.json"
    code, out, _ = run(capsys, "report", "merge", *map(str, shard_reports), "-o", str(out_path))
    assert code == 0
    merged = json.loads(out_path.read_text())
    assert merged["figures"] == report_of(outcomes())["figures"]
    assert out.splitlines()[0].startswith("satisfaction  0.833  (95% CI ")
    assert out.splitlines()[-1] == "gate: satisfaction 0.833 >= 0.750 (cleared by 0.083)"


def test_merge_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], shard_reports: list[Path], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.json"
    code, out, err = run(capsys, "report", "merge", str(shard_reports[0]), str(missing))
    assert (code, out) == (1, "")
    assert err == f"holdout: {missing}: cannot read (No such file or directory)\n"
    first = str(shard_reports[0])
    code, _, err = run(capsys, "report", "merge", first, first)
    assert code == 1
    assert err.startswith(f"holdout: {first}: S-") and err.count("\n") == 1


def test_merging_a_gated_run_checks_the_shards_against_the_stores_manifest(
    capsys: pytest.CaptureFixture[str], store: Store, tmp_path: Path
) -> None:
    import hashlib

    (store.root / "MANIFEST").write_bytes(b"pytest-holdout manifest v1\n")
    signed = hashlib.sha256(b"pytest-holdout manifest v1\n").hexdigest()
    paths = []
    for shard in (1, 2, 3):
        part = [o for o in outcomes() if shard_of(o.item_id, 3) == shard]
        report = build_report(
            part,
            disclosure="ids",
            gate=evaluate_gate(score(part), 0.75, "point"),
            meta={"shard": f"{shard}/3", "manifest": signed, "trials": 2},
            not_run=0,
        )
        paths.append(tmp_path / f"shard{shard}.json")
        write_report(paths[-1], report)
    merge = ("--store", str(store.root), "report", "merge")
    code, out, err = run(capsys, *merge, *map(str, paths))
    assert (code, err) == (0, "")
    assert json.loads(out)["figures"]["trials"]["not_run"] == 0
    code, out, err = run(capsys, *merge, *map(str, paths[:2]))
    assert (code, out) == (1, "")
    assert err == (
        "holdout: shard 3/3 missing: the merge would not cover MANIFEST (merge every shard of "
        "the gated run)\n"
    )
    (store.root / "MANIFEST").write_bytes(b"pytest-holdout manifest v1\nsigned again\n")
    code, out, err = run(capsys, *merge, *map(str, paths))
    assert code == 1 and "ran against another MANIFEST than the store's" in err


def test_trend_prints_a_sparkline_and_draws_charts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    history = tmp_path / "history.jsonl"
    everything = outcomes()
    for size in (8, 16, 24):
        append_history(history, report_of(everything[:size]))
    svg = tmp_path / "trend.svg"
    code, out, err = run(capsys, "report", "trend", str(history), "--svg", str(svg))
    assert (code, err) == (0, "")
    assert out.endswith("  last 0.833, min 0.833, max 0.875 over 3 runs\n")
    assert svg.read_text().startswith("<svg ")


def test_trend_png_without_matplotlib_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = tmp_path / "history.jsonl"
    append_history(history, report_of(outcomes()))
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, out, err = run(capsys, "report", "trend", str(history), "--png", str(tmp_path / "t.png"))
    assert (code, out) == (1, "")
    assert err == "holdout: --png needs matplotlib: pip install matplotlib\n"


# -- sealed reports (keyholders) ---------------------------------------------------------------


def detail(outcome: TrialOutcome) -> TrialDetail:
    return TrialDetail(
        item_id=outcome.item_id,
        trial=outcome.trial,
        feature="Sign in",
        scenario=f"secret scenario {outcome.item_id}",
    )


@pytest.fixture
def sealed_shards(tmp_path: Path, store: Store) -> list[Path]:
    sealed = pytest.importorskip("pytest_holdout.reports.sealed")
    recipients = store.recipients()
    paths = []
    for shard in (1, 2):
        part = [o for o in outcomes() if shard_of(o.item_id, 2) == shard]
        blobs = [sealed.seal_detail(detail(o), recipients) for o in part]
        path = tmp_path / f"shard{shard}.age"
        sealed.write_sealed(path, {"report": report_of(part), "details": blobs}, recipients)
        paths.append(path)
    return paths


@pytest.mark.usefixtures("holdout_env")
def test_merge_sealed_gives_one_sealed_report_over_every_shard(
    capsys: pytest.CaptureFixture[str],
    sealed_shards: list[Path],
    store: Store,
    tmp_path: Path,
) -> None:
    from pytest_holdout.reports.sealed import read_sealed
    from pytest_holdout.scenarios.parsing import count_scenarios
    from pytest_holdout.store import keys, manifest

    # Sealed to RECIPIENTS as the keyholder signed it.
    manifest.sign(store, keys.load_identities(), count_scenarios, store_id="acme/shop")
    out_path = tmp_path / "all.age"
    code, out, err = run(
        capsys,
        "--store",
        str(store.root),
        "report",
        "merge",
        "--sealed",
        *map(str, sealed_shards),
        "-o",
        str(out_path),
    )
    assert (code, err) == (0, "")
    assert "secret" not in out
    body = read_sealed(out_path, keys.load_identities())
    assert dumps({**body["report"], "meta": None}) == dumps({**report_of(outcomes()), "meta": None})
    assert [(d["item_id"], d["trial"]) for d in body["details"]] == sorted(
        (o.item_id, o.trial) for o in outcomes()
    )


@pytest.mark.usefixtures("holdout_env")
def test_merge_sealed_needs_an_output_file(
    capsys: pytest.CaptureFixture[str], sealed_shards: list[Path]
) -> None:
    code, out, err = run(capsys, "report", "merge", "--sealed", *map(str, sealed_shards))
    assert (code, out) == (2, "")
    assert err == "holdout: merge --sealed: give -o OUT (a sealed report is not for the terminal)\n"


@pytest.mark.usefixtures("holdout_env")
def test_open_prints_a_sealed_report_to_the_keyholder(
    capsys: pytest.CaptureFixture[str], sealed_shards: list[Path]
) -> None:
    code, out, err = run(capsys, "report", "open", str(sealed_shards[0]))
    assert (code, err) == (0, "")
    opened = [o.item_id for o in outcomes() if shard_of(o.item_id, 2) == 1]
    assert f"secret scenario {opened[0]}" in out


@pytest.mark.usefixtures("no_key_env")
def test_open_without_the_key_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], sealed_shards: list[Path]
) -> None:
    code, out, err = run(capsys, "report", "open", str(sealed_shards[0]))
    assert (code, out) == (1, "")
    assert err.startswith("holdout: no private key: set HOLDOUT_IDENTITY") and err.count("\n") == 1


# -- the other kind of report: say what it is and what to run instead --------------------------


@pytest.mark.usefixtures("holdout_env")
def test_open_of_a_json_report_says_it_is_plain_json(
    capsys: pytest.CaptureFixture[str], shard_reports: list[Path]
) -> None:
    report = shard_reports[0]
    code, out, err = run(capsys, "report", "open", str(report))
    assert (code, out) == (1, "")
    assert err == (
        f"holdout: {report}: a JSON report (--holdout-json), not a sealed one: it is plain JSON "
        "and holds no secret, so read it as it is; merge JSON reports without --sealed\n"
    )
    code, _, err = run(capsys, "report", "merge", "--sealed", str(report), "-o", "out.age")
    assert code == 1 and "merge JSON reports without --sealed" in err


@pytest.mark.usefixtures("holdout_env")
def test_merge_of_sealed_reports_without_sealed_suggests_it(
    capsys: pytest.CaptureFixture[str], sealed_shards: list[Path]
) -> None:
    code, out, err = run(capsys, "report", "merge", *map(str, sealed_shards))
    assert (code, out) == (1, "")
    assert err == (
        f"holdout: {sealed_shards[0]}: a sealed report (age-encrypted), not a JSON report: merge "
        "sealed reports with `holdout report merge --sealed ... -o OUT` (keyholders), open one "
        "with `holdout report open`\n"
    )


def test_open_of_something_else_says_what_a_sealed_report_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    code, _, err = run(capsys, "report", "open", str(notes))
    assert code == 1
    assert err == (
        f"holdout: {notes}: not a sealed report (not an age file: a sealed report is what "
        "--holdout-sealed-report writes)\n"
    )
    code, _, err = run(capsys, "report", "merge", str(notes))
    assert err == f"holdout: {notes}: not JSON (a report is what --holdout-json writes)\n"


# -- open: alike trials once, --failed, --id ---------------------------------------------------


@pytest.mark.usefixtures("holdout_env")
def test_open_shows_alike_trials_once_with_their_numbers(
    capsys: pytest.CaptureFixture[str], sealed_shards: list[Path]
) -> None:
    code, out, _ = run(capsys, "report", "open", str(sealed_shards[0]))
    assert code == 0
    # Each scenario's two trials came out alike (the same details), so each is shown once.
    scenarios = sorted({o.item_id for o in outcomes() if shard_of(o.item_id, 2) == 1})
    heads = [line for line in out.splitlines() if line.startswith("S-")]
    assert sorted(heads) == [
        f"{item_id} trials 1, 2 (2 alike): Sign in / secret scenario {item_id}"
        for item_id in scenarios
    ]


@pytest.mark.usefixtures("holdout_env")
def test_open_failed_and_id_show_only_those_trials(
    capsys: pytest.CaptureFixture[str], sealed_shards: list[Path]
) -> None:
    shard = [o for o in outcomes() if shard_of(o.item_id, 2) == 1]
    unsatisfied = [o for o in shard if o.status == "unsatisfied"]
    code, out, _ = run(capsys, "report", "open", "--failed", str(sealed_shards[0]))
    assert code == 0
    assert f"showing {len(unsatisfied)} of {len(shard)} trials" in out
    shown = {line.split()[0] for line in out.splitlines() if line.startswith("S-")}
    assert shown == {o.item_id for o in unsatisfied}

    wanted = shard[0].item_id
    code, out, _ = run(capsys, "report", "open", "--id", wanted, str(sealed_shards[0]))
    assert [line.split()[0] for line in out.splitlines() if line.startswith("S-")] == [wanted]
    code, _, err = run(capsys, "report", "open", "--id", "S-000000000099", str(sealed_shards[0]))
    assert code == 1
    assert err == f"holdout: {sealed_shards[0]}: no trial of S-000000000099 in this report\n"


@pytest.mark.usefixtures("holdout_env")
def test_open_makes_control_characters_visible(
    capsys: pytest.CaptureFixture[str], store: Store, tmp_path: Path
) -> None:
    # The app's captured output kept OSC 52 (write the clipboard) and cursor codes (issue 15,
    # finding 9): a keyholder's terminal shows them, and never obeys them.
    from pytest_holdout.reports import sealed

    outcome = outcomes()[0]
    captured = "ok\x1b]52;c;aGk=\x07\x1b[2A\x1b[2K\rall good\x9b2J\r\nnext line\n"
    trial = TrialDetail(
        item_id=outcome.item_id,
        trial=outcome.trial,
        feature="Sign in\x1b[31m",
        scenario="s",
        stdout=captured,
        judge_reasons=["\x1b[1A fine"],
    )
    recipients = store.recipients()
    path = tmp_path / "run.age"
    blobs = [sealed.seal_detail(trial, recipients)]
    sealed.write_sealed(path, {"report": report_of([outcome]), "details": blobs}, recipients)
    code, out, err = run(capsys, "report", "open", str(path))
    assert (code, err) == (0, "")
    # A carriage return that ends a line (Windows line endings) is harmless, and kept.
    assert not any(char in out.replace("\r\n", "\n") for char in "\x1b\x07\x9b\r")
    assert "Sign in\\x1b[31m" in out
    assert "    ok\\x1b]52;c;aGk=\\x07\\x1b[2A\\x1b[2K\\x0dall good\\x9b2J" in out.splitlines()
    assert "    next line" in out.splitlines()
    assert "  judge: \\x1b[1A fine" in out.splitlines()
