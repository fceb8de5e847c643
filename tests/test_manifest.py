"""MANIFEST, the trust root: only a keyholder can write it or check it, and nobody can forge it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from pytest_holdout.errors import HoldoutError
from pytest_holdout.scenarios.parsing import count_scenarios
from pytest_holdout.store import keys, manifest
from pytest_holdout.store.files import Store, encrypt


def test_sign_then_verify(
    store: Store, identity: keys.Identity, feature: bytes, feature_scenarios: int
) -> None:
    ids = [store.add(feature) for _ in range(2)]
    manifest.sign(store, [identity], count_scenarios)
    signed = manifest.verify(store, [identity])
    assert sorted(signed.entries) == sorted(ids)
    assert {entry.items for entry in signed.entries.values()} == {feature_scenarios}
    assert signed.signers == [identity.recipient]
    assert manifest.compare(store, signed) == ([], [], [])


def test_manifest_holds_no_scenario_text(
    store: Store, identity: keys.Identity, feature: bytes
) -> None:
    store.add(feature)
    manifest.sign(store, [identity], count_scenarios)
    text = manifest.manifest_path(store).read_bytes()
    assert b"Sign in" not in text
    assert str(identity.native).encode() not in text


def test_compare_finds_missing_modified_and_unlisted(
    store: Store, identity: keys.Identity, feature: bytes
) -> None:
    kept, deleted, replaced = (store.add(feature) for _ in range(3))
    manifest.sign(store, [identity], count_scenarios)
    store.path(deleted).unlink()
    store.write(replaced, b"Feature: trivial\n")  # anyone can encrypt to the public recipients
    slipped_in = store.add(feature)
    signed = manifest.verify(store, [identity])
    assert manifest.compare(store, signed) == ([deleted], [replaced], [slipped_in])
    assert kept in signed.entries


def test_an_interrupted_signing_keeps_the_old_manifest(
    store: Store, identity: keys.Identity, feature: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add(feature)
    manifest.sign(store, [identity], count_scenarios)
    before = manifest.manifest_path(store).read_bytes()
    store.add(feature)

    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError):
        manifest.sign(store, [identity], count_scenarios)
    monkeypatch.undo()
    assert manifest.manifest_path(store).read_bytes() == before
    assert not [p for p in store.root.iterdir() if p.name.startswith(".")]


def test_missing_manifest(store: Store, identity: keys.Identity) -> None:
    with pytest.raises(HoldoutError, match=r"MANIFEST: missing \(a keyholder runs"):
        manifest.verify(store, [identity])


def test_an_edited_manifest_does_not_verify(
    store: Store, identity: keys.Identity, feature: bytes
) -> None:
    file_id = store.add(feature)
    manifest.sign(store, [identity], count_scenarios)
    path = manifest.manifest_path(store)
    path.write_text(path.read_text().replace(f"{file_id} ", "S-000000000000 "))
    with pytest.raises(HoldoutError, match=r"MANIFEST: altered since it was signed"):
        manifest.verify(store, [identity])


def test_a_manifest_signed_by_someone_else_does_not_verify(
    store: Store, identity: keys.Identity, other_identity: keys.Identity, feature: bytes
) -> None:
    """An agent holds no keyholder's key: the best it can do is sign with its own."""
    store.add(feature)
    store.recipients_path.write_text(f"{identity.recipient}\n{other_identity.recipient}\n")
    store.rekey([identity])
    manifest.sign(store, [other_identity], count_scenarios)
    with pytest.raises(HoldoutError, match="not signed by any identity held here"):
        manifest.verify(store, [identity])


def test_a_mac_copied_under_the_keyholders_label_does_not_verify(
    store: Store, identity: keys.Identity, other_identity: keys.Identity, feature: bytes
) -> None:
    store.add(feature)
    store.recipients_path.write_text(f"{identity.recipient}\n{other_identity.recipient}\n")
    store.rekey([identity])
    manifest.sign(store, [other_identity], count_scenarios)
    path = manifest.manifest_path(store)
    path.write_text(path.read_text().replace(other_identity.recipient, identity.recipient))
    with pytest.raises(HoldoutError, match="altered since it was signed"):
        manifest.verify(store, [identity])


def test_a_changed_recipients_file_is_refused(
    store: Store, identity: keys.Identity, other_identity: keys.Identity, feature: bytes
) -> None:
    store.add(feature)
    manifest.sign(store, [identity], count_scenarios)
    store.recipients_path.write_text(f"{identity.recipient}\n{other_identity.recipient}\n")
    with pytest.raises(HoldoutError, match="RECIPIENTS changed since it was signed"):
        manifest.verify(store, [identity])


def test_verifying_needs_a_private_key(
    store: Store, identity: keys.Identity, feature: bytes
) -> None:
    store.add(feature)
    manifest.sign(store, [identity], count_scenarios)
    with pytest.raises(HoldoutError, match="verifying it needs a private key"):
        manifest.verify(store, [])


def test_each_identity_held_signs_and_each_verifies_alone(
    store: Store, identity: keys.Identity, ssh_ed25519, ssh_rsa, feature: bytes
) -> None:
    store.recipients_path.write_text(
        f"{identity.recipient}\n{ssh_ed25519.public}\n{ssh_rsa.public}\n"
    )
    store.add(feature)
    ssh_keys = [
        *keys.load_identities({"HOLDOUT_IDENTITY_FILE": str(ssh_ed25519.path)}),
        *keys.load_identities({"HOLDOUT_IDENTITY_FILE": str(ssh_rsa.path)}),
    ]
    manifest.sign(store, [identity, *ssh_keys], count_scenarios)
    for held in (identity, *ssh_keys):
        assert len(manifest.verify(store, [held]).signers) == 3


def test_keyholders_can_sign_in_turn(
    store: Store, identity: keys.Identity, other_identity: keys.Identity, feature: bytes
) -> None:
    store.recipients_path.write_text(f"{identity.recipient}\n{other_identity.recipient}\n")
    store.add(feature)
    manifest.sign(store, [identity], count_scenarios)
    # The same content: the first signature is kept.
    manifest.sign(store, [other_identity], count_scenarios)
    assert manifest.verify(store, [identity]).signers == [
        other_identity.recipient,
        identity.recipient,
    ]
    store.add(feature)
    manifest.sign(store, [other_identity], count_scenarios)  # new content: the stale signature goes
    with pytest.raises(HoldoutError, match="not signed by any identity held here"):
        manifest.verify(store, [identity])


def test_an_ssh_key_signs_the_same_whichever_way_it_is_saved(
    store: Store, ssh_rsa, feature: bytes, tmp_path: Path
) -> None:
    """The MAC key comes from the key material, not from its (randomised) OpenSSH encoding."""
    store.recipients_path.write_text(f"{ssh_rsa.public}\n")
    store.add(feature)
    [openssh] = keys.load_identities({"HOLDOUT_IDENTITY_FILE": str(ssh_rsa.path)})
    manifest.sign(store, [openssh], count_scenarios)
    pem = ssh_rsa.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    [traditional] = keys.load_identities({"HOLDOUT_IDENTITY": pem})
    assert manifest.verify(store, [traditional]).signers == [ssh_rsa.public]


def test_signing_refuses_a_file_that_does_not_decrypt_or_parse(
    store: Store, identity: keys.Identity, other_identity: keys.Identity, feature: bytes
) -> None:
    store.add(feature)
    broken = store.add(b"Feature: no colon on the scenario\n  Scenario oops\n    Given x\n")
    with pytest.raises(HoldoutError, match=f"^{broken}: malformed scenario at line"):
        manifest.sign(store, [identity], count_scenarios)
    store.path(broken).write_bytes(encrypt(feature, [other_identity.native.to_public()]))
    with pytest.raises(HoldoutError, match=f"^{broken}: no identity matches"):
        manifest.sign(store, [identity], count_scenarios)
    assert not manifest.manifest_path(store).exists()
