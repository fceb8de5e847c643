"""The JSON report, merging shards, and the score as terminal, step-summary and JUnit text."""

from __future__ import annotations

import doctest
import json
import os
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pytest_holdout.collection.selection import parse_shard, shard_of
from pytest_holdout.errors import HoldoutError
from pytest_holdout.outcomes.records import STATUSES, TrialOutcome
from pytest_holdout.reports.intervals import scenarios_for_half_width, trials_for_half_width
from pytest_holdout.reports.json_report import (
    SCHEMA,
    build_report,
    counts_by_id,
    dumps,
    merge_reports,
    read_report,
    write_report,
)
from pytest_holdout.reports.scoring import (
    NO_GATE,
    breakdown,
    count_by_scenario,
    evaluate_gate,
    score,
)
from pytest_holdout.reports.summary import (
    breakdown_lines,
    github_summary_markdown,
    junit_properties,
    terminal_lines,
)

jsonschema = pytest.importorskip("jsonschema")


def suite(scenarios: int = 24, k: int = 3, seed: int = 7) -> list[TrialOutcome]:
    """``scenarios`` scenarios of ``k`` trials each, with every status and some failing steps."""
    rng = random.Random(seed)
    outcomes = []
    for n in range(scenarios):
        item_id = f"S-{n % 6:012x}-{n // 6 + 1}"
        for trial in range(1, k + 1):
            status = rng.choices(STATUSES, weights=[10, 3, 1, 1])[0]
            failed = status == "unsatisfied"
            outcomes.append(
                TrialOutcome(
                    item_id,
                    trial,
                    status,
                    seed=rng.randrange(2**63),
                    duration=rng.random(),
                    failed_step=rng.randint(1, 5) if failed else None,
                    failed_kind=rng.choice(["Given", "When", "Then"]) if failed else None,
                    reason="assertion" if failed else None,
                )
            )
    return outcomes


def report_of(outcomes: list[TrialOutcome], disclosure: str = "ids", minimum: float | None = 0.7):
    gate = evaluate_gate(score(outcomes), minimum, "lower")
    return build_report(outcomes, disclosure=disclosure, gate=gate, meta={"finished": "now"})


def without_meta(report: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in report.items() if key != "meta"}


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# -- the report ----------------------------------------------------------------------------------


@pytest.mark.parametrize("disclosure", ["none", "ids", "steps", "full"])
def test_the_report_follows_its_schema_at_every_disclosure(validator: Any, disclosure: str) -> None:
    report = report_of(suite(), disclosure)
    validator.validate(report)
    validator.validate(json.loads(dumps(report)))
    assert report["disclosure"] == disclosure


def test_reports_without_trials_or_gate_follow_the_schema(validator: Any) -> None:
    validator.validate(report_of([], "ids", minimum=None))
    validator.validate(report_of([TrialOutcome("S-000000000000-1", 1, "pending")], "none"))


def test_the_schema_rejects_a_report_that_is_not_one(validator: Any) -> None:
    report = report_of(suite())
    report["figures"]["satisfaction"] = 1.5
    assert not validator.is_valid(report)
    report = report_of(suite())
    report["results"]["S-000000000000-1"]["trials"][0]["step_text"] = "Given a secret"
    assert not validator.is_valid(report)


def test_at_disclosure_none_the_report_names_no_scenario() -> None:
    report = report_of(suite(), "none")
    assert "results" not in report
    assert "S-0000" not in dumps(without_meta(report))
    assert len(report["counts"]) == 24


def test_at_ids_each_scenario_has_its_trials_with_the_failing_step() -> None:
    outcomes = suite()
    report = report_of(outcomes, "ids")
    failure = next(o for o in outcomes if o.status == "unsatisfied")
    result = report["results"][failure.item_id]
    trial = result["trials"][failure.trial - 1]
    assert trial == {
        "trial": failure.trial,
        "status": "unsatisfied",
        "seed": failure.seed,
        "failed_step": failure.failed_step,
        "failed_kind": failure.failed_kind,
        "reason": "assertion",
    }
    assert result["verdict"] in ("partly", "not")
    assert list(report["results"]) == sorted(report["results"])
    assert counts_by_id(report) == count_by_scenario(outcomes)


def test_the_figures_are_the_scores() -> None:
    outcomes = suite()
    figures = report_of(outcomes)["figures"]
    expected = score(outcomes)
    statuses = Counter(o.status for o in outcomes)
    assert figures["satisfaction"] == expected.satisfaction
    assert figures["trials"]["satisfied"] == statuses["satisfied"]
    assert figures["trials"]["pending"] == statuses["pending"]
    assert figures["trials"]["total"] == len(outcomes)
    assert figures["interval"]["lower"] == expected.interval.lower
    assert figures["pass_k"] == {"k": 3, "rate": expected.pass_k}
    assert figures["scenario_mean"]["mean"] == expected.scenario_mean.mean


def test_the_report_does_not_depend_on_the_order_trials_finished_in() -> None:
    outcomes = suite()
    shuffled = outcomes[:]
    random.Random(1).shuffle(shuffled)
    assert dumps(report_of(shuffled)) == dumps(report_of(outcomes))


def test_run_metadata_stays_in_meta() -> None:
    report = report_of(suite())
    assert report["meta"]["finished"] == "now"
    assert report["meta"]["trial_seconds"] == pytest.approx(sum(o.duration for o in suite()))
    for key in report:
        if key != "meta":
            assert "now" not in json.dumps(report[key])


def test_write_report_writes_canonical_json_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "holdout.json"
    path.write_text("an older report")
    report = report_of(suite())
    write_report(path, report)
    assert path.read_text() == dumps(report)
    assert read_report(path) == report
    assert os.listdir(tmp_path) == ["holdout.json"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON (a report is what --holdout-json writes)"),
        ('{"format": "something else"}', "not a pytest-holdout report"),
        ('{"format": "pytest-holdout report", "version": 2}', "report version 2, expected 1"),
        (
            '{"format": "pytest-holdout report", "version": 1, "counts": [[1, 2]]}',
            "malformed counts",
        ),
        (
            '{"format": "pytest-holdout report", "version": 1, "counts": [], "disclosure": "ids"}',
            "disclosure ids but no per-id results",
        ),
    ],
)
def test_reading_a_bad_report_is_a_one_line_error_naming_the_file(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "a.json"
    path.write_text(content)
    with pytest.raises(HoldoutError) as raised:
        read_report(path)
    assert str(raised.value) == f"{path}: {message}"


def test_reading_a_missing_report_names_it(tmp_path: Path) -> None:
    with pytest.raises(HoldoutError, match=r"missing\.json: cannot read \(No such file"):
        read_report(tmp_path / "missing.json")


# -- shards and merging --------------------------------------------------------------------------


def shards(outcomes: list[TrialOutcome], count: int) -> list[list[TrialOutcome]]:
    return [[o for o in outcomes if shard_of(o.item_id, count) == i] for i in range(1, count + 1)]


@pytest.mark.parametrize("disclosure", ["none", "ids"])
@pytest.mark.parametrize("count", [2, 3])
def test_merging_the_shards_gives_exactly_the_report_of_one_run(
    validator: Any, disclosure: str, count: int
) -> None:
    outcomes = suite(scenarios=40)
    parts = [report_of(part, disclosure) for part in shards(outcomes, count)]
    merged = merge_reports(parts, [f"shard{n}.json" for n in range(count)])
    validator.validate(merged)
    assert dumps(without_meta(merged)) == dumps(without_meta(report_of(outcomes, disclosure)))
    assert [m["finished"] for m in merged["meta"]["merged"]] == ["now"] * count


def test_a_merged_report_merges_again_like_any_other() -> None:
    outcomes = suite(scenarios=40)
    a, b, c = (report_of(part) for part in shards(outcomes, 3))
    twice = merge_reports([merge_reports([a, b], ["a", "b"]), c], ["ab", "c"])
    assert without_meta(twice) == without_meta(report_of(outcomes))


def test_merging_at_different_disclosures_keeps_the_lowest() -> None:
    first, second = shards(suite(scenarios=40), 2)
    merged = merge_reports([report_of(first, "ids"), report_of(second, "none")], ["a", "b"])
    assert merged["disclosure"] == "none"
    assert "results" not in merged
    assert merged["figures"] == report_of(first + second)["figures"]


def test_merging_a_scenario_twice_is_refused() -> None:
    report = report_of(suite())
    with pytest.raises(HoldoutError) as raised:
        merge_reports([report, report], ["a.json", "b.json"])
    assert str(raised.value) == (
        "b.json: S-000000000000-1 is in another report too (merge disjoint shards)"
    )


def test_merging_reports_gated_differently_is_refused() -> None:
    first, second = shards(suite(), 2)
    lenient = report_of(first, minimum=0.5)
    with pytest.raises(HoldoutError) as raised:
        merge_reports([lenient, report_of(second, minimum=0.9)], ["a.json", "b.json"])
    assert str(raised.value) == "a.json, b.json: the reports were gated differently"


MANIFEST_SHA = "ab" * 32


def gated_report(
    outcomes: list[TrialOutcome], shard: str | None, manifest: str = MANIFEST_SHA, not_run: int = 0
) -> dict[str, Any]:
    """The report of one shard of a gated run (--holdout-required)."""
    gate = evaluate_gate(score(outcomes), 0.7, "point")
    meta = {"shard": shard, "manifest": manifest, "trials": 3}
    return build_report(outcomes, disclosure="none", gate=gate, meta=meta, not_run=not_run)


def test_the_shards_of_a_gated_run_merge_with_their_not_run_counts(validator: Any) -> None:
    first, second = shards(suite(scenarios=40), 2)
    parts = [gated_report(first, "1/2", not_run=2), gated_report(second, "2/2", not_run=1)]
    merged = merge_reports(parts, ["a.json", "b.json"], manifest_sha256=MANIFEST_SHA)
    validator.validate(merged)
    assert merged["figures"]["trials"]["not_run"] == 3
    assert merged["figures"]["trials"]["total"] == len(first) + len(second)


@pytest.mark.parametrize(
    ("shard_names", "manifests", "error"),
    [
        (
            ["1/3", "3/3"],
            [MANIFEST_SHA] * 2,
            "shard 2/3 missing: the merge would not cover MANIFEST",
        ),
        (["1/2", "1/2"], [MANIFEST_SHA] * 2, "b.json: shard 1/2 is in another report too"),
        (["1/2", "2/3"], [MANIFEST_SHA] * 2, "shards of different splits"),
        (["1/2", "2/2"], [MANIFEST_SHA, "cd" * 32], "b.json: a.json and it ran against different"),
        ([None, None], [MANIFEST_SHA] * 2, "a.json: a run without --holdout-shard covers MANIFEST"),
        (["1/2", "2/2"], [MANIFEST_SHA, None], "b.json: not a gated run"),
    ],
    ids=["missing", "twice", "two splits", "two manifests", "unsharded", "ungated"],
)
def test_the_shards_of_a_gated_run_must_cover_its_manifest_exactly(
    shard_names: list[str | None], manifests: list[str | None], error: str
) -> None:
    parts = [
        gated_report(part, shard, manifest)  # type: ignore[arg-type]
        for part, shard, manifest in zip(shards(suite(), 2), shard_names, manifests, strict=True)
    ]
    with pytest.raises(HoldoutError, match=re.escape(error)):
        merge_reports(parts, ["a.json", "b.json"])


def test_gated_shards_must_have_run_against_the_stores_manifest() -> None:
    parts = [gated_report(part, f"{n}/2") for n, part in enumerate(shards(suite(), 2), 1)]
    with pytest.raises(HoldoutError, match="ran against another MANIFEST than the store's"):
        merge_reports(parts, ["a.json", "b.json"], manifest_sha256="cd" * 32)
    twice = merge_reports([merge_reports(parts, ["a", "b"])], ["ab"], MANIFEST_SHA)
    assert twice["figures"] == merge_reports(parts, ["a", "b"])["figures"]


def test_the_merged_gate_is_evaluated_on_the_merged_score() -> None:
    outcomes = suite(scenarios=40)
    parts = [report_of(part, minimum=0.5) for part in shards(outcomes, 2)]
    merged = merge_reports(parts, ["a", "b"])
    assert merged["gate"] == evaluate_gate(score(outcomes), 0.5, "lower").to_dict()


def test_shards_split_every_scenario_into_exactly_one_fairly() -> None:
    ids = [f"S-{n:012x}-{i}" for n in range(200) for i in (1, 2)]
    for count in (1, 2, 3, 5):
        assignment = Counter(shard_of(item_id, count) for item_id in ids)
        assert set(assignment) == set(range(1, count + 1))
        assert min(assignment.values()) > len(ids) / count / 2


def test_every_process_computes_the_same_shards() -> None:
    ids = [f"S-{n:012x}-1" for n in range(20)]
    here = [shard_of(item_id, 4) for item_id in ids]
    code = (
        "import sys; from pytest_holdout.collection.selection import shard_of; "
        "print([shard_of(i, 4) for i in sys.argv[1:]])"
    )
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code, *ids], env=env, capture_output=True, text=True, check=True
        ).stdout
        assert out.strip() == str(here)


def test_parse_shard_reads_i_of_n() -> None:
    assert parse_shard("2/3") == (2, 3)
    for wrong in ("0/3", "4/3", "2", "a/b", "1/0"):
        with pytest.raises(pytest.UsageError, match=f"--holdout-shard={wrong}: expected I/N"):
            parse_shard(wrong)


# -- the score as text ---------------------------------------------------------------------------


def test_the_terminal_section_shows_every_figure_and_the_gate() -> None:
    outcomes = [
        *(TrialOutcome(f"S-000000000000-{n}", t, "satisfied") for n in (1, 2, 3) for t in (1, 2)),
        TrialOutcome("S-000000000000-4", 1, "satisfied"),
        TrialOutcome("S-000000000000-4", 2, "unsatisfied"),
        TrialOutcome("S-000000000000-5", 1, "unjudged"),
        TrialOutcome("S-000000000000-5", 2, "pending"),
    ]
    result = score(outcomes)
    lines = terminal_lines(result, evaluate_gate(result, 0.9))
    assert lines == [
        "satisfaction  0.875  (95% CI 0.316-0.991 clustered by scenario, 7 of 8 judged trials)",
        "scenarios     3 satisfied, 1 partly, 0 not, 1 unscored (5 scenarios, 2 trials each)",
        "pass^2        0.750  (3 of 4 scenarios satisfied in every judged trial)",
        "scenario mean 0.875 ± 0.125  (standard error clustered by scenario)",
        "not counted   1 unjudged, 1 pending trials",
        "gate: satisfaction 0.875 < 0.900 (missed by 0.025)",
    ]


def test_the_terminal_section_without_judged_trials_or_gate() -> None:
    lines = terminal_lines(score([TrialOutcome("S-000000000000-1", 1, "pending")]), NO_GATE)
    assert lines[0] == "satisfaction  n/a  (no judged trials)"
    assert lines[-1] == NO_GATE.sentence


def test_the_step_summary_is_a_markdown_table_with_the_gate() -> None:
    outcomes = suite()
    result = score(outcomes)
    failed = github_summary_markdown(result, evaluate_gate(result, 0.99))
    assert failed.startswith("### Holdout satisfaction\n\n| figure | value |\n|---|---|\n")
    assert f"| satisfaction | {result.satisfaction:.3f}  (95% CI " in failed
    assert "\n❌ gate: satisfaction " in failed
    assert "\n✅ gate: " in github_summary_markdown(result, evaluate_gate(result, 0.1))
    assert "\ngate: none" in github_summary_markdown(result, NO_GATE)


def test_junit_properties_carry_the_figures() -> None:
    outcomes = suite()
    result = score(outcomes)
    gate = evaluate_gate(result, 0.5, "lower")
    properties = dict(junit_properties(result, gate))
    assert all(name.startswith("holdout_") for name in properties)
    assert float(properties["holdout_satisfaction"]) == pytest.approx(result.satisfaction, 1e-6)
    assert float(properties["holdout_interval_lower"]) == pytest.approx(gate.value, 1e-6)
    assert int(properties["holdout_trials_pending"]) == result.total.pending
    assert int(properties["holdout_k"]) == 3
    assert properties["holdout_gate"] == gate.sentence
    assert properties["holdout_gate_passed"] == str(gate.passed).lower()
    empty = dict(junit_properties(score([]), NO_GATE))
    assert empty["holdout_satisfaction"] == "n/a"


def test_breakdown_lines_give_one_aligned_line_per_label() -> None:
    outcomes = [
        TrialOutcome("S-000000000000-1", 1, "satisfied"),
        TrialOutcome("S-000000000000-2", 1, "unsatisfied"),
        TrialOutcome("S-000000000000-2", 2, "satisfied"),
    ]
    labels = {"S-000000000000-1": ["@smoke", "Sign in"], "S-000000000000-2": ["Sign in"]}
    assert breakdown_lines(breakdown(count_by_scenario(outcomes), labels)) == [
        "@smoke   1.000  (1 of 1 judged trials, 1 scenarios)",
        "Sign in  0.667  (2 of 3 judged trials, 2 scenarios)",
    ]


# -- the documented examples ---------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[1] / "docs"


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def run_pycon(path: Path) -> dict[str, Any]:
    """Run a document's ``pycon`` blocks as doctests, in order, sharing their names."""
    text = path.read_text()
    names: dict[str, Any] = {}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for number, block in enumerate(blocks(text, "pycon"), 1):
        test = doctest.DocTestParser().get_doctest(block, names, f"{path.name}#{number}", None, 0)
        runner.run(test, clear_globs=False)
        names.update(test.globs)  # a doctest runs in a copy of the names it was given
    assert runner.failures == 0 and runner.tries > 0
    return names


def test_the_satisfaction_docs_examples_and_table_are_what_the_code_computes() -> None:
    path = DOCS / "satisfaction.md"
    run_pycon(path)
    rows = re.findall(r"^\| (0\.\d+) \| (\d+) \| (\d+) \|$", path.read_text(), re.M)
    assert [float(p) for p, _, _ in rows] == [0.5, 0.8, 0.9, 0.95]
    for p, narrow, wide in rows:
        assert int(narrow) == trials_for_half_width(float(p), 0.05)
        assert int(wide) == trials_for_half_width(float(p), 0.10)
    planning = re.findall(
        r"^\| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$", path.read_text(), re.M
    )
    assert len(planning) == 8
    for number, (trials, *scenarios) in enumerate(planning):
        p, half_width = (0.9, 0.05) if number < 4 else (0.8, 0.10)
        assert [int(g) for g in scenarios] == [
            scenarios_for_half_width(p, half_width, int(trials), correlation)
            for correlation in (0, 0.1, 0.3, 1)
        ]


def test_the_reports_docs_examples_are_what_the_code_writes() -> None:
    path = DOCS / "reports.md"
    names = run_pycon(path)
    text = path.read_text()
    (documented,) = blocks(text, "json")
    assert json.loads(documented) == names["report"]
    result, gate = score(names["outcomes"]), names["gate"]
    (markdown,) = blocks(text, "markdown")
    assert markdown == github_summary_markdown(result, gate)
    properties = dict(junit_properties(result, gate))
    for name, value in re.findall(r'<property name="(\w+)" value="([^"]*)"/>', text):
        assert properties[name] == value.replace("&gt;", ">")
    report = names["report"]
    documented_fields = set(re.findall(r"^\| `([\w.\[\]]+)`", text, re.M))
    result = report["results"]["S-3f9a2c7d41b0-1"]
    every_field = {
        *(key for key in report if key not in ("figures", "gate")),
        *(f"figures.{key}" for key in report["figures"] if key != "pass_k"),
        "figures.pass_k.k",
        "figures.pass_k.rate",
        *(
            f"figures.interval.{key}"
            for key in report["figures"]["interval"]
            if key not in ("level", "lower", "upper")
        ),
        *(f"gate.{key}" for key in report["gate"]),
        *(f"results.ID.{key}" for key in result if key != "trials"),
        "results.ID.trials[]",
        "figures.trials.not_run",  # written by gated runs only
    }
    assert every_field == documented_fields
    (trials_row,) = (line for line in text.splitlines() if line.startswith("| `results.ID.trials"))
    for key in result["trials"][0]:
        assert f"`{key}`" in trials_row
