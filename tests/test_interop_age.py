"""Interop with Debian's ``age`` CLI, both ways: the store's files are plain age files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_holdout.cli import main as cli
from pytest_holdout.store import keys
from pytest_holdout.store.files import Store, decrypt

AGE = shutil.which("age") or "/usr/bin/age"

pytestmark = pytest.mark.skipif(
    not Path(AGE).exists(), reason="the age CLI is not installed (apt-get install age)"
)


def age(*args: str, data: bytes = b"") -> bytes:
    return subprocess.run([AGE, *args], input=data, capture_output=True, check=True).stdout


def test_holdout_add_decrypts_with_age(
    store: Store,
    identity_file: Path,
    feature: bytes,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = store.root.parent / "login.feature"
    source.write_bytes(feature)
    assert cli.main(["--store", str(store.root), "add", str(source)]) == 0
    file_id = capsys.readouterr().out.strip()
    assert age("-d", "-i", str(identity_file), str(store.path(file_id))) == feature


@pytest.mark.parametrize("armor", [[], ["-a"]], ids=["binary", "armored"])
def test_age_encrypted_file_reads_with_holdout_show(
    store: Store,
    holdout_env: dict[str, str],
    feature: bytes,
    armor: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = store.root / "S-a1b2c3d4e5f6.age"
    age("-R", str(store.recipients_path), *armor, "-o", str(path), data=feature)
    monkeypatch.chdir(store.root.parent)
    assert cli.main(["show", "S-a1b2c3d4e5f6"]) == 0
    assert capsys.readouterr().out == feature.decode()


@pytest.mark.parametrize("pair", ["ssh_ed25519", "ssh_rsa"])
def test_ssh_keys_both_ways(
    pair: str,
    request: pytest.FixtureRequest,
    store: Store,
    identity: keys.Identity,
    feature: bytes,
) -> None:
    ssh = request.getfixturevalue(pair)
    store.recipients_path.write_text(f"{identity.recipient}\n{ssh.public} someone@laptop\n")
    ours = store.add(feature)
    assert age("-d", "-i", str(ssh.path), str(store.path(ours))) == feature
    theirs = store.root / "S-0a1b2c3d4e5f.age"
    age("-R", str(store.recipients_path), "-o", str(theirs), data=feature)
    [ssh_identity] = keys.load_identities({"HOLDOUT_IDENTITY_FILE": str(ssh.path)})
    assert store.read("S-0a1b2c3d4e5f", [ssh_identity]) == feature


def test_age_keygen_identities_and_holdout_keygen_identities_interoperate(
    tmp_path: Path, feature: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    ours = tmp_path / "ours.txt"
    assert cli.main(["keygen", "-o", str(ours)]) == 0
    recipient = capsys.readouterr().out.strip()
    assert age("-d", "-i", str(ours), data=age("-r", recipient, data=feature)) == feature
    theirs = tmp_path / "theirs.txt"
    age_keygen = shutil.which("age-keygen") or pytest.skip("age-keygen is not installed")
    subprocess.run([age_keygen, "-o", str(theirs)], capture_output=True, check=True)
    [identity] = keys.load_identities({"HOLDOUT_IDENTITY_FILE": str(theirs)})
    sealed = age("-r", identity.recipient, data=feature)
    assert decrypt(sealed, [identity], "theirs") == feature
