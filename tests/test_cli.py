"""The ``holdout`` command, as a user runs it: exit codes, one-line errors, what each prints."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import pytest

from pytest_holdout.cli import main as cli
from pytest_holdout.scenarios.parsing import count_scenarios
from pytest_holdout.store import keys, manifest
from pytest_holdout.store.files import Store, encrypt


@pytest.fixture
def project(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder: a project whose store names the keyholder's identity."""
    monkeypatch.chdir(store_dir.parent)
    return store_dir.parent


def signed(store: Store, identity: keys.Identity) -> None:
    """A MANIFEST that vouches for the store as it is (the harness left out)."""
    manifest.sign(store, [identity], count_scenarios, store_id="acme/shop")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_documents_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    commands = ("init", "keygen", "add", "list", "show", "edit", "rekey", "check", "manifest")
    for command in (*commands, "status", "signer", "trust"):
        assert f"    {command} " in out
        assert run(capsys, command, "--help")[0] == 0


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "frobnicate")[0] == 2
    assert run(capsys)[0] == 2
    assert run(capsys, "init")[::2] == (
        2,
        "holdout: init needs at least one RECIPIENT (see `holdout keygen`)\n",
    )
    code, _, err = run(capsys, "init", "not-a-key")
    assert (code, err) == (
        2,
        "holdout: recipient 'not-a-key': not an age1..., ssh-ed25519 or ssh-rsa recipient\n",
    )


# -- keygen and init ---------------------------------------------------------------------------


def test_keygen_writes_a_private_file_and_prints_the_recipient(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "key.txt"
    code, out, _ = run(capsys, "keygen", "-o", str(path))
    assert code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [identity] = keys.load_identities({"HOLDOUT_IDENTITY_FILE": str(path)})
    assert out == f"{identity.recipient}\n"


def test_keygen_makes_a_private_folder_for_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config" / "holdout" / "key.txt"
    assert run(capsys, "keygen", "-o", str(path))[0] == 0
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_keygen_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "key.txt"
    path.write_text("precious")
    code, out, err = run(capsys, "keygen", "-o", str(path))
    assert (code, out) == (1, "")
    assert err == f"holdout: {path}: already exists (not overwritten)\n"
    assert path.read_text() == "precious"


def test_keygen_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "keygen")
    [identity] = keys.load_identities({"HOLDOUT_IDENTITY": out})
    assert code == 0
    assert err == f"Public key: {identity.recipient}\n"


def test_init_creates_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], ssh_rsa
) -> None:
    monkeypatch.chdir(tmp_path)
    identity = keys.generate()
    code, _, _ = run(capsys, "init", identity.recipient, "-r", f"{ssh_rsa.public} me@host")
    assert code == 0
    recipients = keys.load_recipients(tmp_path / "scenarios_encrypted" / "RECIPIENTS")
    assert [str(r) for r in recipients] == [identity.recipient, ssh_rsa.public]
    code, _, err = run(capsys, "init", identity.recipient)
    assert code == 1
    assert "RECIPIENTS: already exists" in err


# -- add, list, show ---------------------------------------------------------------------------


def test_add_needs_no_key_and_show_needs_one(
    project: Path,
    feature: bytes,
    no_key_env: None,
    identity_file: Path,
    monkeypatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = project / "login.feature"
    source.write_bytes(feature)
    code, out, _ = run(capsys, "add", "login.feature")
    file_id = out.strip()
    assert code == 0
    assert source.exists()
    code, out, err = run(capsys, "show", file_id)
    assert (code, out) == (1, "")
    assert "HOLDOUT_IDENTITY" in err and "HOLDOUT_IDENTITY_FILE" in err
    monkeypatch.setenv("HOLDOUT_IDENTITY_FILE", str(identity_file))
    code = cli.main(["show", file_id])
    assert code == 0
    assert capsys.readouterr().out == feature.decode()


def test_add_from_stdin(
    project: Path,
    feature: bytes,
    holdout_env: dict[str, str],
    monkeypatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(feature)))
    code, out, err = run(capsys, "add", "-")
    assert code == 0
    assert Store(project / "scenarios_encrypted").ids() == [out.strip()]
    assert err == (  # a keyholder setting a store up: nothing signed to check RECIPIENTS against
        f"holdout: warning: {project / 'scenarios_encrypted' / 'RECIPIENTS'} is not checked: "
        "there is no MANIFEST yet\n"
    )


def test_add_delete_source(
    project: Path, feature: bytes, identity: keys.Identity, capsys: pytest.CaptureFixture[str]
) -> None:
    source = project / "login.feature"
    source.write_bytes(feature)
    code, out, _ = run(capsys, "add", "--delete-source", str(source))
    assert code == 0
    assert not source.exists()
    assert Store(project / "scenarios_encrypted").read(out.strip(), [identity]) == feature


def test_add_delete_source_keeps_the_source_when_verification_fails(
    project: Path, feature: bytes, monkeypatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = project / "login.feature"
    source.write_bytes(feature)
    monkeypatch.setattr(cli, "recipient_stanzas", lambda data: 0)
    code, _, err = run(capsys, "add", "--delete-source", str(source))
    assert code == 1
    assert err.endswith(f"written file failed verification; {source} kept\n")
    assert source.exists()


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Feature: x\n  Scenario: s\n    Given y\n  stray text\n", "line 4: expected: #EOF"),
        ("Feature: x\n  Just a description.\n", "line 1: the feature has no scenarios"),
        (
            "Feature: x\n\n  Background:\n    Given y\n\n  Scenario: empty\n",
            "line 6: the scenario has no steps",
        ),
    ],
    ids=["the parser's message", "no scenario", "a scenario without steps"],
)
def test_add_says_why_it_refuses_a_scenario(
    project: Path, capsys: pytest.CaptureFixture[str], text: str, why: str
) -> None:
    # Its writer holds the plaintext: `add` says what is wrong, where a run says only the line.
    source = project / "bad.feature"
    source.write_text(text)
    code, _, err = run(capsys, "add", str(source))
    assert code == 1
    assert err.startswith(f"holdout: {source}: {why}")
    assert err.endswith("(not encrypted)\n")
    assert Store(project / "scenarios_encrypted").ids() == []


def test_list_shows_ids_sizes_and_dates_only(
    project: Path, feature: bytes, no_key_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(project / "scenarios_encrypted")
    ids = sorted(store.add(feature) for _ in range(2))
    code, out, _ = run(capsys, "list")
    assert code == 0
    rows = [line.split() for line in out.splitlines()]
    assert [row[0] for row in rows] == ids
    assert [int(row[1]) for row in rows] == [store.path(i).stat().st_size for i in ids]
    assert all(len(row) == 4 for row in rows)  # id, size, date, time


def test_show_errors_are_one_line_naming_the_id(
    project: Path,
    feature: bytes,
    holdout_env: dict[str, str],
    other_identity: keys.Identity,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = Store(project / "scenarios_encrypted")
    foreign = store.add(feature)
    store.path(foreign).write_bytes(encrypt(feature, [other_identity.native.to_public()]))
    assert run(capsys, "show", foreign)[1:] == (
        "",
        f"holdout: {foreign}: no identity matches (encrypted to other recipients)\n",
    )
    assert run(capsys, "show", "S-000000000000") == (
        1,
        "",
        "holdout: S-000000000000: no such scenario file\n",
    )


def test_an_identity_file_readable_by_others_gets_a_one_line_warning(
    project: Path,
    feature: bytes,
    holdout_env: dict[str, str],
    identity_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    file_id = Store(project / "scenarios_encrypted").add(feature)
    identity_file.chmod(0o644)
    code, _, err = run(capsys, "show", file_id)
    assert code == 0
    assert err == (
        "holdout: warning: HOLDOUT_IDENTITY_FILE: the private key file is readable by others "
        '(run: chmod 600 "$HOLDOUT_IDENTITY_FILE")\n'
    )


# -- edit --------------------------------------------------------------------------------------

EDITOR = textwrap.dedent(
    """\
    import json, os, stat, sys
    path = sys.argv[1]
    log = os.environ["EDITOR_LOG"]
    folder = os.path.dirname(path)
    with open(log, "w") as f:
        json.dump({"path": path, "mode": stat.S_IMODE(os.stat(path).st_mode),
                   "folder_mode": stat.S_IMODE(os.stat(folder).st_mode),
                   "key_variables": [n for n in os.environ if n.startswith("HOLDOUT_IDENTITY")]},
                  f)
    open(path + ".swp", "w").write("editor leftovers")
    if os.environ.get("EDITOR_EXIT"):
        sys.exit(int(os.environ["EDITOR_EXIT"]))
    with open(path, "a") as f:
        f.write("\\n  Scenario: Added in the editor\\n    Given a thing\\n")
    """
)


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR)
    log = tmp_path / "editor.json"
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.setenv("EDITOR_LOG", str(log))
    return log


def test_edit_reencrypts_and_leaves_no_plaintext(
    project: Path,
    feature: bytes,
    holdout_env: dict[str, str],
    identity: keys.Identity,
    editor: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = Store(project / "scenarios_encrypted")
    file_id = store.add(feature)
    signed(store, identity)
    code, _, err = run(capsys, "edit", file_id)
    assert (code, err) == (0, f"{file_id}: saved\n")
    assert store.read(file_id, [identity]).endswith(b"Given a thing\n")
    seen = json.loads(editor.read_text())
    assert (seen["mode"], seen["folder_mode"]) == (0o600, 0o700)
    assert seen["path"].endswith(f"{file_id}.feature")
    if Path("/dev/shm").is_dir():
        assert seen["path"].startswith("/dev/shm/")
    assert not Path(seen["path"]).parent.exists()


def test_edit_when_the_editor_fails(
    project: Path,
    feature: bytes,
    holdout_env: dict[str, str],
    identity: keys.Identity,
    editor: Path,
    monkeypatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = Store(project / "scenarios_encrypted")
    file_id = store.add(feature)
    signed(store, identity)
    before = store.path(file_id).read_bytes()
    monkeypatch.setenv("EDITOR_EXIT", "3")
    code, _, err = run(capsys, "edit", file_id)
    assert (code, err) == (1, f"holdout: {file_id}: editor exited with status 3; file unchanged\n")
    assert store.path(file_id).read_bytes() == before
    assert not Path(json.loads(editor.read_text())["path"]).parent.exists()


def test_edit_interrupted_removes_the_plaintext(
    project: Path,
    feature: bytes,
    holdout_env: dict[str, str],
    identity: keys.Identity,
    monkeypatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = Store(project / "scenarios_encrypted")
    file_id = store.add(feature)
    signed(store, identity)
    before = store.path(file_id).read_bytes()
    seen: list[Path] = []

    def ctrl_c(command: list[str], **kwargs: object) -> int:
        seen.append(Path(command[-1]))
        assert seen[0].read_bytes() == feature
        raise KeyboardInterrupt

    monkeypatch.setattr(subprocess, "call", ctrl_c)
    assert run(capsys, "edit", file_id)[::2] == (130, "holdout: interrupted\n")
    assert not seen[0].parent.exists()
    assert store.path(file_id).read_bytes() == before


@pytest.fixture
def signed_file(
    project: Path, feature: bytes, holdout_env: dict[str, str], identity: keys.Identity
) -> str:
    """The id of the one scenario file of a store whose MANIFEST the held key signed."""
    store = Store(project / "scenarios_encrypted")
    file_id = store.add(feature)
    signed(store, identity)
    return file_id


def _edit_as_a_process(file_id: str, editor: str, folder: Path) -> tuple[list[str], dict[str, str]]:
    """The command and environment of `holdout edit FILE_ID` in a process of its own, with the
    Python source ``editor`` (written to ``folder``) as the editor: a test can signal or kill
    either of them."""
    script = folder / "editor.py"
    script.write_text(editor)
    env = {**os.environ, "EDITOR": f"{sys.executable} {script}"}
    env.pop("VISUAL", None)
    return [sys.executable, "-m", "pytest_holdout.cli.main", "edit", file_id], env


def test_edit_terminated_removes_the_plaintext(
    project: Path, signed_file: str, tmp_path: Path
) -> None:
    """SIGTERM (a closed terminal, a CI timeout) while the editor runs: no plaintext is left."""
    file_id, log = signed_file, tmp_path / "path.txt"
    kill_parent = (
        "import os, signal, sys, time\n"
        f"open({str(log)!r}, 'w').write(sys.argv[1])\n"
        "os.kill(os.getppid(), signal.SIGTERM)\n"
        "time.sleep(30)\n"
    )
    command, env = _edit_as_a_process(file_id, kill_parent, tmp_path)
    result = subprocess.run(
        command,
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert (result.returncode, result.stderr) == (130, "holdout: interrupted\n")
    assert not Path(log.read_text()).parent.exists()


def test_the_editor_runs_without_the_key(
    project: Path,
    feature: bytes,
    holdout_env: dict[str, str],
    identity: keys.Identity,
    editor: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The editor, its plugins and language servers: none of them inherits the key."""
    monkeypatch.setenv(keys.IDENTITY_VAR, str(identity.native))
    store = Store(project / "scenarios_encrypted")
    file_id = store.add(feature)
    signed(store, identity)
    assert run(capsys, "edit", file_id)[0] == 0
    assert json.loads(editor.read_text())["key_variables"] == []


def test_a_killed_edit_leaves_no_plaintext_after_the_next_start(
    project: Path, feature: bytes, signed_file: str, tmp_path: Path
) -> None:
    """SIGKILL cannot be caught: the folder stays until the next `holdout edit` removes it."""
    file_id, log = signed_file, tmp_path / "path.txt"
    wait = (
        "import os, sys, time\n"
        f"open({str(log)!r}, 'w').write(f'{{os.getpid()}} {{sys.argv[1]}}')\n"
        "time.sleep(60)\n"
    )
    command, env = _edit_as_a_process(file_id, wait, tmp_path)
    edit = subprocess.Popen(command, cwd=project, env=env, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if log.exists() and log.read_text():
            break
        edit.poll()
        time.sleep(0.05)
    editor_pid, plaintext = log.read_text().split(" ", 1)
    edit.kill()
    edit.wait(timeout=10)
    os.kill(int(editor_pid), signal.SIGKILL)
    assert Path(plaintext).read_bytes() == feature  # what SIGKILL left behind
    env["EDITOR"] = "true"
    result = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=20
    )
    assert result.returncode == 0
    assert "holdout: removed the plaintext left in" in result.stderr
    assert "by 1 edit(s) that did not finish" in result.stderr
    assert not Path(plaintext).parent.exists()


def test_edit_unchanged(
    project: Path,
    feature: bytes,
    holdout_env: dict[str, str],
    identity: keys.Identity,
    monkeypatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = Store(project / "scenarios_encrypted")
    file_id = store.add(feature)
    signed(store, identity)
    before = store.path(file_id).read_bytes()
    monkeypatch.setenv("EDITOR", "true")
    monkeypatch.delenv("VISUAL", raising=False)
    assert run(capsys, "edit", file_id) == (0, "", f"{file_id}: unchanged\n")
    assert store.path(file_id).read_bytes() == before


# -- rekey, manifest, check --------------------------------------------------------------------


def test_rekey(
    project: Path,
    feature: bytes,
    holdout_env: dict[str, str],
    identity: keys.Identity,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = Store(project / "scenarios_encrypted")
    ids = [store.add(feature) for _ in range(2)]
    signed(store, identity)
    newcomer = keys.generate()
    store.recipients_path.write_text(f"{identity.recipient}\n{newcomer.recipient}\n")
    code, _, err = run(capsys, "rekey")  # not a terminal: nobody to ask
    assert (code, err.splitlines()[-1]) == (
        1,
        "holdout: nothing written: check RECIPIENTS, then run again with --yes",
    )
    assert f"changed since MANIFEST was signed (added {newcomer.recipient})" in err
    code, out, _ = run(capsys, "rekey", "--yes")
    assert (code, out) == (0, "re-encrypted 2 file(s) to 2 recipient(s)\n")
    assert all(store.read(i, [newcomer]) == feature for i in ids)


def test_manifest_then_check(
    project: Path,
    feature: bytes,
    feature_scenarios: int,
    holdout_env: dict[str, str],
    identity: keys.Identity,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = Store(project / "scenarios_encrypted")
    store.add(feature)
    code, out, err = run(capsys, "check")
    assert (code, out) == (
        1,
        f"{store.root / 'MANIFEST'}: missing (a keyholder runs `holdout manifest`)\n",
    )
    code, out, _ = run(capsys, "manifest")
    assert code == 0
    assert f"1 file(s), {feature_scenarios} scenario(s), 1 signature(s)" in out
    assert manifest.verify(store, [identity]).items == feature_scenarios
    code, out, err = run(capsys, "check")
    assert (code, out) == (0, "")
    assert err == f"1 file(s), {feature_scenarios} scenario(s), 0 problem(s)\n"


def test_manifest_lists_what_changed_since_the_last_signature(
    project: Path,
    feature: bytes,
    holdout_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = Store(project / "scenarios_encrypted")
    kept, edited, deleted = (store.add(feature) for _ in range(3))
    assert run(capsys, "manifest")[0] == 0
    store.write(edited, feature + b"\n  Scenario: another\n    Given x\n")
    store.path(deleted).unlink()
    added = store.add(feature)
    code, out, _ = run(capsys, "manifest")
    assert code == 0
    assert set(out.splitlines()[1:]) == {
        f"added   {added}",
        f"changed {edited}",
        f"removed {deleted}",
    }
    assert kept not in out


def test_check_lists_bad_files_by_id(
    project: Path,
    feature: bytes,
    holdout_env: dict[str, str],
    other_identity: keys.Identity,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = Store(project / "scenarios_encrypted")
    good, altered, removed = (store.add(feature) for _ in range(3))
    assert run(capsys, "manifest")[0] == 0
    path = store.path(altered)
    data = path.read_bytes()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    store.path(removed).unlink()
    foreign = store.add(feature)
    store.path(foreign).write_bytes(encrypt(feature, [other_identity.native.to_public()]))
    unparsable = store.add(b"Feature: x\n  Scenario no colon\n")
    code, out, _ = run(capsys, "check")
    assert code == 1
    problems = [re.sub(r"at line \d+$", "at line N", line) for line in out.splitlines()]
    assert sorted(problems) == sorted(
        [
            f"{altered}: corrupted or modified",
            f"{foreign}: no identity matches (encrypted to other recipients)",
            f"{unparsable}: malformed scenario at line N",
            f"{removed}: missing (listed in MANIFEST)",
            f"{altered}: modified since MANIFEST was signed",
            f"{foreign}: not in MANIFEST (does not count)",
            f"{unparsable}: not in MANIFEST (does not count)",
        ]
    )
    assert good not in out


# -- the contract with other modules -----------------------------------------------------------


def test_extensions_that_do_not_exist_yet_are_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "holdout_ext_hello.py").write_text(
        textwrap.dedent(
            """\
            def register(subparsers):
                parser = subparsers.add_parser("hello", help="say hello")
                parser.set_defaults(func=lambda args: print("hello") or 0)
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "EXTENSIONS", ["holdout_ext_not_written", "holdout_ext_hello"])
    assert run(capsys, "hello") == (0, "hello\n", "")


def test_an_extension_with_a_broken_import_is_not_hidden(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "holdout_ext_broken.py").write_text("import holdout_ext_no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "EXTENSIONS", ["holdout_ext_broken"])
    with pytest.raises(ModuleNotFoundError, match="holdout_ext_no_such_dependency"):
        cli.main(["--help"])


def test_the_installed_command_prints_no_traceback(project: Path, no_key_env: None) -> None:
    holdout = Path(sys.executable).parent / "holdout"
    if not holdout.exists():
        pytest.skip("the holdout script is not installed next to this Python")
    result = subprocess.run(
        [str(holdout), "show", "S-000000000000"],
        capture_output=True,
        text=True,
        env={**os.environ},
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_show_makes_control_characters_visible(
    project: Path, identity: keys.Identity, holdout_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 15, finding 9: after "Then a step that passes", a comment that moves the cursor up,
    # erases the line and writes another step made `holdout show` display a step that does not
    # run. `add` refuses such a file, but anyone can encrypt one with `age`.
    text = (
        b"Feature: Refunds\n  Scenario: S\n    Then a step that passes\n"
        b"#\x1b[1A\x1b[2K\r    Then the order is refunded\n"
    )
    store = Store(project / "scenarios_encrypted")
    file_id = "S-0000000000aa"
    (store.root / f"{file_id}.age").write_bytes(encrypt(text, store.recipients()))
    code, out, err = run(capsys, "show", file_id)
    assert code == 0
    assert out.splitlines()[3] == "#\\x1b[1A\\x1b[2K\\x0d    Then the order is refunded"
    assert "\x1b" not in out and "\r" not in out
    assert err == (
        f"holdout: warning: {file_id}: holds control characters or bytes that are not UTF-8, "
        "shown as \\xNN (it does not parse)\n"
    )


def test_show_prints_a_scenario_without_control_characters_byte_for_byte(
    project: Path, feature: bytes, holdout_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(project / "scenarios_encrypted")
    text = b"\xef\xbb\xbf" + feature.replace(b"\n", b"\r\n").replace(b"    Given", b"\tGiven")
    file_id = store.add(text)
    code, out, err = run(capsys, "show", file_id)
    assert (code, err) == (0, "")
    assert out.encode() == text


def test_add_refuses_control_characters_naming_the_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = project / "sneaky.feature"
    source.write_bytes(b"Feature: F\n  Scenario: S\n    Then a step\n#\x1b[1A\r    Then x\n")
    code, _, err = run(capsys, "add", str(source))
    assert code == 1
    assert err == f"holdout: {source}: line 4: control character U+001B (not encrypted)\n"
    assert Store(project / "scenarios_encrypted").ids() == []
