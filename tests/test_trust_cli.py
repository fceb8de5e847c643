"""The trust root's commands as a keyholder and a writer use them: what `holdout manifest` says
before it signs, how commands that encrypt check RECIPIENTS, `signer`, `trust` and `status`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_cli import project, run, signed  # noqa: F401 (project: a fixture)

from pytest_holdout.scenarios.parsing import count_scenarios
from pytest_holdout.store import keys, manifest, signing, trusted
from pytest_holdout.store.files import Store


@pytest.fixture
def store(project: Path) -> Store:  # noqa: F811 (project: the fixture)
    return Store(project / "scenarios_encrypted")


@pytest.fixture
def attacker() -> keys.Identity:
    return keys.generate()


@pytest.fixture
def writer(project: Path, store: Store, feature: bytes, no_key_env: None) -> Store:  # noqa: F811
    """A scenario writer's checkout: no key, a draft login.feature, a store of one file."""
    (project / "login.feature").write_bytes(feature)
    store.add(feature)
    return store


def append_recipient(store: Store, identity: keys.Identity) -> None:
    with store.recipients_path.open("a") as recipients:
        recipients.write(f"{identity.recipient}\n")


# -- holdout manifest (issue 15, finding 3) --------------------------------------------------------


def test_manifest_shows_every_change_it_signs(
    store: Store,
    feature: bytes,
    holdout_env: dict[str, str],
    attacker: keys.Identity,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An agent deletes a scenario, adds a recipient of its own and a trivial scenario. The
    keyholder's `holdout manifest` used to print only `signed ...: 3 file(s), 3 scenario(s)`."""
    kept, deleted = store.add(feature), store.add(feature)
    assert run(capsys, "manifest")[0] == 0
    store.path(deleted).unlink()
    append_recipient(store, attacker)
    trivial = store.add(b"Feature: easy\n  Scenario: easy\n    Given x\n")
    code, out, _ = run(capsys, "manifest")
    assert code == 0
    assert out.splitlines() == [
        f"signed {manifest.manifest_path(store)}: version 2, 2 file(s), 4 scenario(s), "
        "1 signature(s)",
        f"recipient added {attacker.recipient}",
        *sorted([f"added   {trivial}", f"removed {deleted}"], key=lambda line: line.split()[1]),
    ]
    assert kept not in out


def test_manifest_shows_a_change_to_recipients_comments(
    store: Store, feature: bytes, holdout_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    store.add(feature)
    assert run(capsys, "manifest")[0] == 0
    with store.recipients_path.open("a") as recipients:
        recipients.write("# a comment line\n")
    code, out, _ = run(capsys, "manifest")
    assert (code, out.splitlines()[1:]) == (
        0,
        ["RECIPIENTS comments or layout only, the same recipients"],
    )
    code, out, _ = run(capsys, "manifest")  # signed again, nothing changed
    assert out.splitlines()[1:] == ["no change since the previous MANIFEST"]


def test_manifest_refuses_to_sign_over_one_that_does_not_verify(
    store: Store,
    feature: bytes,
    holdout_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    store.add(feature)
    assert run(capsys, "manifest")[0] == 0
    path = manifest.manifest_path(store)
    path.write_text(path.read_text().replace("version 1", "version 9"))
    code, out, err = run(capsys, "manifest")
    assert (code, out) == (1, "")
    assert err == (
        f"holdout: {path}: altered since it was signed (its signature does not verify); not "
        "signing over it: check the store (`holdout status`), then run `holdout manifest --force`\n"
    )
    code, out, err = run(capsys, "manifest", "--force")
    assert code == 0
    assert "version 10," in out.splitlines()[0]  # still above what anyone may have required
    assert err == "the previous MANIFEST did not verify: all of this one is listed\n"
    assert out.splitlines()[1].startswith("recipient added age1")


def test_manifest_needs_the_store_identity_once(
    store: Store,
    feature: bytes,
    holdout_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store.add(feature)
    monkeypatch.delenv("HOLDOUT_STORE_ID")
    code, _, err = run(capsys, "manifest")
    assert code == 2
    assert err.startswith("holdout: MANIFEST needs the store's identity, the name the gated job")
    assert run(capsys, "manifest", "--store-id", "acme/web")[0] == 0
    store.add(feature)
    assert run(capsys, "manifest")[0] == 0  # from then on, the previous MANIFEST's
    assert manifest.read_required(store).store_id == "acme/web"


def test_an_old_manifest_is_replaced_with_force(
    store: Store, feature: bytes, holdout_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    store.add(feature)
    path = manifest.manifest_path(store)
    path.write_text(f"pytest-holdout manifest v1\nrecipients {'0' * 64}\n")
    code, out, _ = run(capsys, "check")
    assert (code, out) == (
        1,
        f"{path}: written by an older pytest-holdout: re-sign with `holdout manifest --force`\n",
    )
    assert run(capsys, "manifest")[0] == 1
    assert run(capsys, "manifest", "--force")[0] == 0
    assert manifest.read_required(store).version == 1


# -- commands that encrypt check RECIPIENTS (issue 15, finding 8) ---------------------------------


def test_rekey_skips_a_link_and_refuses_an_unsigned_recipient(
    project: Path,  # noqa: F811 (the fixture)
    store: Store,
    feature: bytes,
    holdout_env: dict[str, str],
    identity: keys.Identity,
    attacker: keys.Identity,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A link named like a scenario file, to any age file the keyholder can open, plus the
    agent's recipient: `holdout rekey` used to replace the link with that file encrypted to
    the agent."""
    outside = project.parent / "outside"
    outside.mkdir()
    (outside / "wifi.age").write_bytes(store.path(store.add(b"psk: hunter2\n")).read_bytes())
    store.path(store.ids()[0]).unlink()
    store.add(feature)
    signed(store, identity)
    link = store.root / "S-0000000000aa.age"
    link.symlink_to(Path("..", "..", "outside", "wifi.age"))
    append_recipient(store, attacker)
    code, _, err = run(capsys, "rekey")
    assert code == 1
    assert err.splitlines() == [
        f"holdout: {store.recipients_path}: changed since MANIFEST was signed (added "
        f"{attacker.recipient}): a keyholder reviews it and runs `holdout manifest`",
        f"holdout: would encrypt to: {identity.recipient}, {attacker.recipient}",
        "holdout: nothing written: check RECIPIENTS, then run again with --yes",
    ]
    assert run(capsys, "rekey", "--yes")[0] == 0  # the keyholder did mean to add it
    assert link.is_symlink()
    assert "S-0000000000aa" not in store.ids()
    assert "S-0000000000aa.age: not a regular file (skipped)" in run(capsys, "check")[1]


def test_edit_checks_recipients_before_the_editor_opens(
    store: Store,
    feature: bytes,
    holdout_env: dict[str, str],
    identity: keys.Identity,
    attacker: keys.Identity,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    file_id = store.add(feature)
    signed(store, identity)
    append_recipient(store, attacker)
    monkeypatch.setenv("EDITOR", "false-editor-never-started")
    code, _, err = run(capsys, "edit", file_id)
    assert code == 1
    assert err.endswith("holdout: nothing written: check RECIPIENTS, then run again with --yes\n")


def test_merge_sealed_checks_recipients(
    store: Store,
    feature: bytes,
    holdout_env: dict[str, str],
    identity: keys.Identity,
    attacker: keys.Identity,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store.add(feature)
    signed(store, identity)
    append_recipient(store, attacker)
    code, _, err = run(capsys, "report", "merge", "--sealed", "-o", str(tmp_path / "m.age"), "x")
    assert (code, err.splitlines()[-1]) == (
        1,
        "holdout: nothing written: check RECIPIENTS, then run again with --yes",
    )
    assert not (tmp_path / "m.age").exists()


# -- writers: signer, trust, add (issue 9, point 4) ------------------------------------------------


def test_signer_prints_the_key_a_writer_trusts(
    store: Store,
    feature: bytes,
    holdout_env: dict[str, str],
    identity: keys.Identity,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "signer")
    assert (code, out, err) == (
        0,
        f"{signing.public_key(identity)}\n",
        f"the signing key of {identity.recipient}\n",
    )
    assert out.startswith("ed25519:") and len(out.strip()) == len("ed25519:") + 64


def test_trust_records_keys_in_the_users_config(
    no_key_env: None, identity: keys.Identity, capsys: pytest.CaptureFixture[str]
) -> None:
    key = signing.public_key(identity)
    assert run(capsys, "trust", key.upper().replace("ED25519:", "ed25519:"))[:2] == (
        0,
        f"trusted {key}\n",
    )
    assert run(capsys, "trust", key)[1] == f"already trusted {key}\n"
    path = trusted.trusted_path()
    assert path.parent == Path(os.environ["XDG_CONFIG_HOME"]) / "holdout"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    code, out, err = run(capsys, "trust")
    assert (code, out, err) == (0, f"{key}\n", f"1 trusted signing key(s) in {path}\n")
    code, _, err = run(capsys, "trust", "age1notasigningkey")
    assert (code, err) == (
        2,
        "holdout: not a signing key (`holdout signer` prints one: ed25519:<64 hex>)\n",
    )


def test_add_refuses_a_recipients_no_trusted_signature_vouches_for(
    writer: Store,
    identity: keys.Identity,
    attacker: keys.Identity,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = writer
    signed(store, identity)
    code, _, err = run(capsys, "add", "login.feature")  # nothing trusted yet: one warning
    assert code == 0
    assert err == (
        f"holdout: warning: {store.recipients_path} is not checked: no signing key is trusted "
        "yet (ask a keyholder for `holdout signer`, then run `holdout trust KEY`)\n"
    )
    assert run(capsys, "trust", signing.public_key(identity))[0] == 0
    assert run(capsys, "add", "login.feature")[::2] == (0, "")  # checked, and as signed
    append_recipient(store, attacker)
    code, out, err = run(capsys, "add", "login.feature")
    assert (code, out) == (1, "")
    assert err == (
        f"holdout: {store.recipients_path}: changed since MANIFEST was signed (added "
        f"{attacker.recipient}): a keyholder reviews it and runs `holdout manifest`\n"
    )
    manifest.manifest_path(store).unlink()
    code, _, err = run(capsys, "add", "login.feature")
    assert (code, err) == (
        1,
        f"holdout: {store.recipients_path}: no signature vouches for it (there is no MANIFEST "
        "yet)\n",
    )
    assert len(store.ids()) == 3


def test_add_refuses_a_manifest_signed_by_a_key_not_trusted(
    writer: Store,
    identity: keys.Identity,
    attacker: keys.Identity,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = writer
    append_recipient(store, attacker)
    store.rekey([identity])
    signed(store, attacker)  # the agent signs its own RECIPIENTS, with its own key
    assert run(capsys, "trust", signing.public_key(identity))[0] == 0
    code, _, err = run(capsys, "add", "login.feature")
    assert code == 1
    assert err.startswith(
        f"holdout: {store.recipients_path}: no trusted signature vouches for it "
        f"({manifest.manifest_path(store)}: no trusted signature (signed by {attacker.recipient};"
    )


# -- holdout status (issue 9, point 5) -------------------------------------------------------------


def test_status_needs_no_key(
    project: Path,  # noqa: F811 (the fixture)
    store: Store,
    feature: bytes,
    identity: keys.Identity,
    no_key_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    approved, missing, modified = (store.add(feature) for _ in range(3))
    (project / "conftest.py").write_text("# the steps\n")
    manifest.sign(
        store,
        [identity],
        count_scenarios,
        store_id="acme/shop",
        harness_digests={"conftest.py": manifest.sha256_of(b"# the steps\n")},
    )
    store.path(missing).unlink()
    store.write(modified, feature)
    pending = store.add(feature)
    (project / "conftest.py").write_text("# the steps, changed\n")
    code, out, err = run(capsys, "status")
    assert code == 0
    assert out.splitlines() == [
        "MANIFEST: version 1, store acme/shop, 3 file(s), 9 scenario(s)",
        "signature: not checked: you trust no signing key yet (a keyholder's `holdout signer` "
        "prints theirs; `holdout trust KEY` records it)",
        "RECIPIENTS: as signed",
        f"approved  {approved}",
        f"pending   {pending}",
        f"missing   {missing}",
        f"modified  {modified}",
        "harness   conftest.py changed since MANIFEST was signed",
    ]
    assert err == "1 approved, 1 pending, 1 missing, 1 modified\n"
    run(capsys, "trust", signing.public_key(identity))
    out = run(capsys, "status")[1]
    assert (
        f"signature: checks (signed by {identity.recipient}, {signing.public_key(identity)})"
        in out.splitlines()
    )
