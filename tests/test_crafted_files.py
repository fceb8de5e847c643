"""Crafted files that stalled or crashed pytest-holdout (issue 15, finding 11), and the limits that
refuse them (pytest_holdout.limits). The inputs are scaled down to just past each limit, so that
the tests stay fast: each asserts the clear refusal, never a time."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pyrage
import pytest

from pytest_holdout import limits
from pytest_holdout.cli import main as cli
from pytest_holdout.errors import HoldoutError
from pytest_holdout.scenarios.parsing import ScenarioSyntaxError, count_scenarios, parse_feature
from pytest_holdout.store import keys, manifest
from pytest_holdout.store.files import Store, decrypt

FILE_ID = "S-3f9a2c7d41b0"


@pytest.fixture
def project(store_dir: Path, monkeypatch: pytest.MonkeyPatch, holdout_env: object) -> Path:
    """The current folder: a keyholder's project."""
    monkeypatch.chdir(store_dir.parent)
    return store_dir.parent


@pytest.fixture
def lowered() -> Iterator[object]:
    """``lowered(steps=10)``: put lower limits in force for one test."""
    previous = limits.active()

    def lower(**values: int) -> None:
        limits.use(limits.Limits(**{**vars(limits.DEFAULTS), **values}))

    yield lower
    limits.use(previous)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def refusal(text: str) -> str:
    with pytest.raises(ScenarioSyntaxError) as caught:
        parse_feature(text.encode(), FILE_ID)
    assert "SECRET" not in str(caught.value)
    return str(caught.value)


# -- age headers: measured before pyrage parses them -----------------------------------------


def test_junk_in_an_age_header_is_refused_before_pyrage_reads_it(
    identity: keys.Identity,
) -> None:
    # 300 KB took pyrage 98 s per attempt; 20 KB is past the 16 KiB limit.
    junk = b"age-encryption.org/v1\n-> X25519 " + b"A" * 20_000 + b"\n"
    with pytest.raises(HoldoutError) as caught:
        decrypt(junk, [identity], FILE_ID)
    assert str(caught.value) == (
        f"{FILE_ID}: its header is larger than the header_bytes limit (16,384; "
        "HOLDOUT_LIMITS raises it)"
    )


def test_junk_in_an_armored_header_is_refused_too(identity: keys.Identity) -> None:
    import base64

    junk = base64.b64encode(b"age-encryption.org/v1\n-> X25519 " + b"A" * 20_000 + b"\n")
    lines = b"\n".join(junk[i : i + 64] for i in range(0, len(junk), 64))
    armored = b"-----BEGIN AGE ENCRYPTED FILE-----\n" + lines
    armored += b"\n-----END AGE ENCRYPTED FILE-----\n"
    with pytest.raises(HoldoutError, match="its header is larger than the header_bytes limit"):
        decrypt(armored, [identity], FILE_ID)


def test_a_file_with_too_many_recipients_is_refused_by_check(
    project: Path, identity: keys.Identity, feature: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    # 1,500 extra recipients made `holdout check` take 35 s; 64 (with ours and age's grease
    # stanza, 66 stanzas) are past the limit.
    extra = [pyrage.x25519.Identity.generate().to_public() for _ in range(64)]
    data = pyrage.encrypt(feature, [keys.parse_recipient(identity.recipient).native, *extra])
    (project / "scenarios_encrypted" / f"{FILE_ID}.age").write_bytes(data)
    code, out, _ = run(capsys, "check")
    assert code == 1
    assert (
        f"{FILE_ID}: its header holds 66 stanzas, more than the stanzas limit (64; "
        "HOLDOUT_LIMITS raises it)"
    ) in out.splitlines()


def test_a_file_within_the_limits_still_decrypts(store: Store, identity: keys.Identity) -> None:
    extra = [pyrage.x25519.Identity.generate().to_public() for _ in range(60)]
    data = pyrage.encrypt(b"x", [keys.parse_recipient(identity.recipient).native, *extra])
    assert decrypt(data, [identity], FILE_ID) == b"x"


# -- reading: bounded, whatever the file is -----------------------------------------------------


def test_the_bounded_read_stops_one_byte_past_the_limit() -> None:
    # `S-x.age -> /dev/zero` was read until memory ran out: a device has no size to check first.
    with open("/dev/zero", "rb") as zero, pytest.raises(HoldoutError) as caught:
        limits.read_bounded(zero, "S-x")
    assert str(caught.value) == (
        "S-x: larger than the file_bytes limit (1,048,576; HOLDOUT_LIMITS raises it)"
    )


def test_a_large_store_file_is_refused_before_it_is_read(store: Store) -> None:
    path = store.root / f"{FILE_ID}.age"
    with path.open("wb") as file:
        file.truncate(8 << 30)  # sparse: 8 GiB that take no disk, and would take the memory
    with pytest.raises(HoldoutError, match=f"^{FILE_ID}: larger than the file_bytes limit"):
        store.read_bytes(FILE_ID)


def test_a_manifest_of_a_device_is_not_read_forever(store: Store) -> None:
    (store.root / "MANIFEST").symlink_to("/dev/zero")
    with pytest.raises(HoldoutError, match="MANIFEST: "):
        manifest.read(store)


# -- names and MANIFEST lines that raised ---------------------------------------------------------


def test_a_file_whose_name_is_not_an_id_is_reported_not_raised(
    project: Path, identity: keys.Identity, feature: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    # `S-x y.age` made `holdout list` and `manifest` exit 2.
    store = Store(project / "scenarios_encrypted")
    file_id = store.add(feature)
    (store.root / "S-x y.age").write_bytes(store.read_bytes(file_id))
    code, out, err = run(capsys, "list")
    assert code == 0
    assert out.split()[0] == file_id
    assert err == "holdout: warning: S-x y.age: not a scenario id (skipped)\n"
    code, out, _ = run(capsys, "manifest", "--store-id", "acme/shop")
    assert code == 0
    assert f"added   {file_id}" in out and "S-x y" not in out
    code, out, _ = run(capsys, "check")
    assert code == 1
    assert out.splitlines() == ["S-x y.age: not a scenario id (skipped)"]


def test_a_misnamed_file_name_cannot_drive_the_terminal(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "scenarios_encrypted" / "S-\x1b]52;c;aGk=\x07.age").write_bytes(b"x")
    code, out, _ = run(capsys, "check")
    assert code == 1
    assert "\x1b" not in out and "\x07" not in out
    assert "S-\\x1b]52;c;aGk=\\x07.age: not a scenario id (skipped)" in out


def test_a_manifest_line_that_is_not_ascii_is_malformed_and_can_be_signed_over(
    project: Path, identity: keys.Identity, feature: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    # A `mac \xc3\xa9 ...` first line raised TypeError (an INTERNALERROR) in `manifest`, `check`
    # and pytest, and the keyholder could not sign over it.
    store = Store(project / "scenarios_encrypted")
    store.add(feature)
    path = manifest.manifest_path(store)
    path.write_bytes(b"mac \xc3\xa9 " + b"ab" * 32 + b"\n")
    with pytest.raises(HoldoutError) as caught:
        manifest.read(store)
    assert str(caught.value) == f"{path}: line 1: not printable ASCII"
    code, out, _ = run(capsys, "check")
    assert code == 1 and f"{path}: line 1: not printable ASCII" in out
    code, _, err = run(capsys, "manifest", "--store-id", "acme/shop")
    assert code == 1 and "line 1: not printable ASCII" in err
    code, _, _ = run(capsys, "manifest", "--store-id", "acme/shop", "--force")
    assert code == 0
    assert manifest.verify(store, [identity]).items == count_scenarios(feature, "x")


# -- expansion: Backgrounds, Outlines, YAML aliases ----------------------------------------------


def _background_times_scenarios(steps: int, scenarios: int) -> str:
    background = "".join(f"    Given background step {n}\n" for n in range(steps))
    each = "".join(f"  Scenario: s{n}\n    Then SECRET {n}\n" for n in range(scenarios))
    return f"Feature: F\n  Background:\n{background}{each}"


def test_backgrounds_cannot_expand_a_small_file_into_millions_of_steps() -> None:
    # 2,000 Background steps in each of 2,000 scenarios (90 KB) made 4 million steps; 200 x 200
    # (9 KB) are 40,200, past the limit.
    text = _background_times_scenarios(200, 200)
    assert refusal(text).endswith(
        ": more steps once expanded than the steps limit (20,000; HOLDOUT_LIMITS raises it)"
    )


def test_yaml_aliases_cannot_expand_past_the_step_limit_under_the_node_limit() -> None:
    # The YAML form's node count (its alias guard) counts an alias once per use, but the
    # Background's steps are copied into every scenario: 200 scenarios reusing 200 steps are
    # 120,000 nodes (under the node limit) and 80,200 steps.
    steps = "".join(f"  - given: step {n}\n" for n in range(200))
    scenarios = "".join(f"  - scenario: s{n}\n    steps: *steps\n" for n in range(200))
    text = f"feature: F\nbackground: &steps\n{steps}scenarios:\n{scenarios}"
    assert "more steps once expanded than the steps limit (20,000" in refusal(text)


def test_an_outline_cannot_make_more_scenarios_than_the_limit() -> None:
    rows = "".join(f"      | {n} |\n" for n in range(1_001))
    text = "Feature: F\n  Scenario Outline: S\n    Given <n>\n    Examples:\n      | n |\n" + rows
    assert refusal(text).endswith(
        "at line 1006: more scenarios once expanded than the scenarios limit (1,000; "
        "HOLDOUT_LIMITS raises it)"
    )


def test_a_long_value_in_many_placeholders_is_refused_before_it_is_substituted() -> None:
    # 2,000 placeholders of a 5,000-character value: 10 million characters from 25 KB.
    docstring = "<v>" * 2_000
    text = (
        "Feature: F\n  Scenario Outline: S\n    Given a doc string\n"
        f'      """\n      {docstring}\n      """\n'
        f"    Examples:\n      | v |\n      | {'x' * 5_000} |\n"
    )
    assert "more characters once expanded than the text_chars limit (8,000,000" in refusal(text)


def test_table_cells_are_counted_once_expanded(lowered: object) -> None:
    lowered(cells=1_000)  # type: ignore[operator]
    table = "".join("      | a | b | c | d | e | f | g | h | i | j |\n" for _ in range(10))
    each = "".join(f"  Scenario: s{n}\n    Then SECRET {n}\n" for n in range(11))
    text = f"Feature: F\n  Background:\n    Given a table\n{table}{each}"
    assert "more cells once expanded than the cells limit (1,000" in refusal(text)
    lowered(cells=1_100)  # type: ignore[operator]
    assert len(parse_feature(text.encode(), FILE_ID).scenarios) == 11


# -- where the limits come from ---------------------------------------------------------------


def test_the_environment_raises_a_limit_and_pyproject_may_only_lower_one(tmp_path: Path) -> None:
    env = {"HOLDOUT_LIMITS": "stanzas=128, steps=50_000"}
    assert limits.configure(tmp_path, env).stanzas == 128
    (tmp_path / "pyproject.toml").write_text("[tool.holdout.limits]\nsteps = 1000\n")
    found = limits.configure(tmp_path, env)
    assert (found.stanzas, found.steps, found.cells) == (128, 1_000, limits.DEFAULTS.cells)
    (tmp_path / "pyproject.toml").write_text("[tool.holdout.limits]\nstanzas = 100\n")
    assert limits.configure(tmp_path, env).stanzas == 100  # below the environment's 128
    with pytest.raises(HoldoutError) as caught:
        limits.configure(tmp_path, {})
    assert str(caught.value) == (
        f"{tmp_path / 'pyproject.toml'}: [tool.holdout.limits] stanzas = 100 is above the "
        "limit in force (64): the repository may only lower a limit; HOLDOUT_LIMITS in the "
        "environment raises one"
    )


@pytest.mark.parametrize(
    ("env", "pyproject", "message"),
    [
        ({"HOLDOUT_LIMITS": "stanza=3"}, "", "HOLDOUT_LIMITS: unknown limit 'stanza'"),
        ({"HOLDOUT_LIMITS": "steps=lots"}, "", "HOLDOUT_LIMITS: steps must be a whole number"),
        ({}, "steps = 0", "[tool.holdout.limits]: steps must be a whole number of at least 1"),
        ({}, 'steps = "9"', "[tool.holdout.limits]: steps must be a whole number"),
    ],
)
def test_a_bad_limit_setting_is_one_line(
    tmp_path: Path, env: dict[str, str], pyproject: str, message: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.holdout.limits]\n{pyproject}\n")
    with pytest.raises(HoldoutError) as caught:
        limits.configure(tmp_path, env)
    assert message in str(caught.value)


def test_the_cli_applies_the_projects_lower_limits(
    project: Path, feature: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text("[tool.holdout.limits]\nscenarios = 2\n")
    store = Store(project / "scenarios_encrypted")
    file_id = store.add(feature)  # three scenarios
    code, out, _ = run(capsys, "check")
    assert code == 1
    assert f"{file_id}: malformed scenario at line 14: more scenarios once expanded" in out
    assert limits.active() == limits.DEFAULTS  # put back when the command ends
    assert os.environ.get("HOLDOUT_LIMITS") is None
