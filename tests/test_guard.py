"""`holdout guard`: a commit that adds a plaintext scenario or a private key is refused, in a real
git repository, through the hook that .pre-commit-hooks.yaml ships."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pytest_holdout.cli.main import main
from pytest_holdout.store import keys

ROOT = Path(__file__).resolve().parents[1]
CANARY = "CANARY-5d2e8a"
GHERKIN = f"# a draft\n@billing\nFeature: {CANARY} refunds\n  Scenario: Full\n    Given a shop\n"
YAML_FORM = f"feature: {CANARY} refunds\nscenarios:\n  - scenario: Full\n    steps: []\n"


def _guard(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, str]:
    status = main(["guard", *map(str, paths)])
    return status, capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "text", "form"),
    [
        ("refunds.feature", GHERKIN, "Gherkin"),
        ("notes.txt", GHERKIN, "Gherkin"),  # whatever the name
        ("refunds.yaml", YAML_FORM, "YAML"),
        ("draft", "Feature: half written\n  Scenario:\n    Givn a typo\n", "Gherkin"),
    ],
)
def test_a_plaintext_scenario_is_refused_by_name_never_by_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, form: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    status, err = _guard(capsys, path)
    assert status == 1
    assert f"{path}: a plaintext scenario ({form} form)" in err
    assert f"holdout add {path} --delete-source" in err
    assert CANARY not in err


def _pkcs8_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.mark.parametrize("kind", ["age", "ssh-ed25519", "ssh-rsa", "pkcs8", "inside a file"])
def test_an_identity_file_is_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    ssh_ed25519: Any,
    ssh_rsa: Any,
    kind: str,
) -> None:
    age_key = keys.identity_text(keys.generate())
    text = {
        "age": age_key,
        "ssh-ed25519": ssh_ed25519.private_pem,
        "ssh-rsa": ssh_rsa.private_pem,
        "pkcs8": _pkcs8_pem(),
        "inside a file": f"settings = 1\nKEY = '{age_key.splitlines()[-1]}'\n",
    }[kind]
    path = tmp_path / "secrets.py"
    path.write_text(text)
    status, err = _guard(capsys, path)
    assert status == 1
    assert f"{path}: holds a" in err and "keep keys out of the repository" in err
    assert text.strip().splitlines()[-1] not in err


def test_what_may_be_committed_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], identity: keys.Identity
) -> None:
    import pyrage

    files = {
        "S-0a1b2c3d4e5f.age": pyrage.encrypt(GHERKIN.encode(), [identity.native.to_public()]),
        "RECIPIENTS": f"# keyholders\n{identity.recipient}\n".encode(),
        "app.py": b'"""Feature: not a scenario."""\nprint("hi")\n',
        "config.yaml": b"feature: dark-mode\nenabled: true\n",  # a feature flag, not a scenario
        "README.md": b"# Refunds\n\n```gherkin\nFeature: Refunds\n```\n",
        "logo.png": bytes(range(256)),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    status, err = _guard(capsys, *(tmp_path / name for name in files))
    assert (status, err) == (0, "")


def test_a_file_that_cannot_be_read_is_one_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = _guard(capsys, tmp_path / "gone.feature")
    assert status == 1
    assert (
        err.strip()
        == f"holdout: {tmp_path / 'gone.feature'}: cannot read (No such file or directory)"
    )


# -- a real repository -----------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository whose pre-commit hook runs the hook of .pre-commit-hooks.yaml as
    pre-commit does: its entry, with the staged files' names."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "holdout-guard"
    root = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    script = root / ".git" / "hooks" / "pre-commit"
    script.write_text(
        "#!/bin/sh\n"
        "git diff --cached --name-only -z --diff-filter=ACMR | "
        f"xargs -0 -r {hook['entry']}\n"
    )
    script.chmod(0o755)
    monkeypatch.chdir(root)
    return root


def _commit(*paths: str) -> subprocess.CompletedProcess[str]:
    subprocess.run(["git", "add", *paths], check=True)
    return subprocess.run(["git", "commit", "-q", "-m", "work"], capture_output=True, text=True)


def test_the_hook_refuses_a_commit_with_a_plaintext_scenario(repo: Path) -> None:
    Path("docs").mkdir()
    Path("docs/refunds.feature").write_text(GHERKIN)
    Path("app.py").write_text("print('hi')\n")
    done = _commit("docs", "app.py")
    assert done.returncode != 0
    assert "docs/refunds.feature: a plaintext scenario (Gherkin form)" in done.stderr
    assert CANARY not in done.stderr + done.stdout
    assert subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True).returncode != 0


def test_the_hook_refuses_a_key_and_lets_the_rest_through(repo: Path) -> None:
    Path("key.txt").write_text(keys.identity_text(keys.generate()))
    assert _commit("key.txt").returncode != 0
    subprocess.run(["git", "rm", "-q", "--cached", "key.txt"], check=True)
    Path("app.py").write_text("print('hi')\n")
    assert _commit("app.py").returncode == 0


def test_without_names_it_checks_what_is_staged_not_the_working_tree(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("notes.md").write_text(GHERKIN)
    subprocess.run(["git", "add", "notes.md"], check=True)
    Path("notes.md").write_text("harmless now, but the index still holds the scenario\n")
    assert main(["guard"]) == 1
    assert "notes.md: a plaintext scenario" in capsys.readouterr().err
