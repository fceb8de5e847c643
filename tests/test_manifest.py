"""MANIFEST, the trust root: only a keyholder can write it, anyone can check it against a key
they trust, nobody can forge it, and a MANIFEST of another store or an older one is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from pytest_holdout.errors import HoldoutError
from pytest_holdout.scenarios.parsing import count_scenarios
from pytest_holdout.store import keys, manifest, signing
from pytest_holdout.store.files import Store, encrypt

STORE_ID = ("acme/shop", "HOLDOUT_STORE_ID")


def sign(store: Store, *identities: keys.Identity, **options: object) -> manifest.Manifest:
    """Sign as `holdout manifest` does: over the MANIFEST there is, for the store acme/shop."""
    options.setdefault("store_id", "acme/shop")
    return manifest.sign(
        store, identities, count_scenarios, previous=manifest.read(store), **options
    )


def test_sign_then_verify(
    store: Store, identity: keys.Identity, feature: bytes, feature_scenarios: int
) -> None:
    ids = [store.add(feature) for _ in range(2)]
    sign(store, identity, harness_digests={"conftest.py": "ab" * 32})
    signed = manifest.verify(store, [identity], expected_store=STORE_ID, minimum_version=1)
    assert sorted(signed.entries) == sorted(ids)
    assert {entry.items for entry in signed.entries.values()} == {feature_scenarios}
    assert signed.signers == [identity.recipient]
    assert signed.recipients == (identity.recipient,)
    assert signed.harness == {"conftest.py": "ab" * 32}
    assert (signed.store_id, signed.version) == ("acme/shop", 1)
    assert manifest.compare(store, signed) == ([], [], [])


def test_manifest_is_line_based_ascii_holding_no_scenario_text(
    store: Store, identity: keys.Identity, feature: bytes
) -> None:
    file_id = store.add(feature)
    sign(store, identity, harness_digests={"steps/my steps.py": "cd" * 32})
    text = manifest.manifest_path(store).read_bytes()
    assert b"Sign in" not in text
    assert str(identity.native).encode() not in text
    lines = text.decode("ascii").splitlines()
    assert lines[:3] == ["pytest-holdout manifest v2", "store acme/shop", "version 1"]
    assert f"recipient {identity.recipient}" in lines
    assert f"harness {'cd' * 32} steps/my%20steps.py" in lines  # every name one ASCII word
    assert lines[-2].startswith(f"file {file_id} ")
    assert lines[-1].startswith(f"sig {signing.public_key(identity)} ")


def test_compare_finds_missing_modified_and_unlisted(
    store: Store, identity: keys.Identity, feature: bytes
) -> None:
    kept, deleted, replaced = (store.add(feature) for _ in range(3))
    sign(store, identity)
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
    sign(store, identity)
    before = manifest.manifest_path(store).read_bytes()
    store.add(feature)

    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError):
        sign(store, identity)
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
    sign(store, identity)
    path = manifest.manifest_path(store)
    path.write_text(path.read_text().replace(f"{file_id} ", "S-000000000000 "))
    with pytest.raises(HoldoutError, match=r"MANIFEST: altered since it was signed"):
        manifest.verify(store, [identity])


def test_a_manifest_signed_by_someone_else_names_who_signed_and_what_is_held(
    store: Store, identity: keys.Identity, other_identity: keys.Identity, feature: bytes
) -> None:
    """An agent holds no keyholder's key: the best it can do is sign with its own. The same
    message tells a keyholder whose CI key did not sign which key to add (issue 16)."""
    store.add(feature)
    store.recipients_path.write_text(f"{identity.recipient}\n{other_identity.recipient}\n")
    store.rekey([identity])
    sign(store, other_identity)
    with pytest.raises(HoldoutError) as raised:
        manifest.verify(store, [identity])
    assert str(raised.value) == (
        f"{store.root / 'MANIFEST'}: not signed by any identity held here (signed by "
        f"{other_identity.recipient}; this process holds {identity.recipient}): sign it with "
        'this key too, e.g. `HOLDOUT_IDENTITY="$(cat YOUR-KEY THIS-KEY)" holdout manifest`'
    )


def test_a_signature_put_under_the_keyholders_signing_key_does_not_verify(
    store: Store, identity: keys.Identity, other_identity: keys.Identity, feature: bytes
) -> None:
    """The keyholder's public signing key is public: writing it over an agent's signature
    makes a line that claims to be theirs, and does not verify."""
    store.recipients_path.write_text(f"{identity.recipient}\n{other_identity.recipient}\n")
    store.add(feature)
    sign(store, other_identity)
    path = manifest.manifest_path(store)
    body, sig = path.read_text().split("sig ")
    _, value, _ = sig.split(" ", 2)
    path.write_text(f"{body}sig {signing.public_key(identity)} {value} {identity.recipient}\n")
    with pytest.raises(HoldoutError, match="altered since it was signed"):
        manifest.verify(store, [identity])


def test_a_changed_recipients_file_is_refused_naming_the_change(
    store: Store, identity: keys.Identity, other_identity: keys.Identity, feature: bytes
) -> None:
    store.add(feature)
    sign(store, identity)
    store.recipients_path.write_text(f"{identity.recipient}\n{other_identity.recipient}\n")
    with pytest.raises(HoldoutError) as raised:
        manifest.verify(store, [identity])
    assert str(raised.value) == (
        f"{store.recipients_path}: changed since MANIFEST was signed (added "
        f"{other_identity.recipient}): a keyholder reviews it and runs `holdout manifest`"
    )
    store.recipients_path.write_text(f"# only a comment more\n{identity.recipient}\n")
    with pytest.raises(HoldoutError, match=r"\(comments or layout only, the same recipients\)"):
        manifest.verify(store, [identity])


def test_a_manifest_of_another_store_is_refused(
    store: Store, identity: keys.Identity, feature: bytes
) -> None:
    """The same CI key signs every repository of an organisation: a store copied from one of
    them verifies, but it was signed for another store (issue 15, finding 5)."""
    store.add(feature)
    sign(store, identity, store_id="acme/other")
    with pytest.raises(HoldoutError) as raised:
        manifest.verify(store, [identity], expected_store=("acme/shop", "GITHUB_REPOSITORY"))
    assert str(raised.value) == (
        f"{store.root / 'MANIFEST'}: signed for store 'acme/other', but this is 'acme/shop' "
        "(GITHUB_REPOSITORY): a MANIFEST from another repository?"
    )
    # GitHub's names are case-insensitive: a keyholder who typed them in lower case is fine.
    manifest.verify(store, [identity], expected_store=("ACME/Other", "GITHUB_REPOSITORY"))


def test_the_store_identity_comes_from_the_jobs_protected_setting_first() -> None:
    both = {"GITHUB_REPOSITORY": "acme/shop", "HOLDOUT_STORE_ID": "acme/shop-ci"}
    assert manifest.expected_store_id(both) == ("acme/shop-ci", "HOLDOUT_STORE_ID")
    assert manifest.expected_store_id({"CI_PROJECT_PATH": "g/sub/p"}) == (
        "g/sub/p",
        "CI_PROJECT_PATH",
    )
    assert manifest.expected_store_id({}) is None


def test_each_signing_raises_the_version_and_an_older_manifest_is_refused(
    store: Store, identity: keys.Identity, feature: bytes
) -> None:
    store.add(feature)
    assert sign(store, identity).version == 1
    older = manifest.manifest_path(store).read_bytes()
    assert sign(store, identity).version == 1  # the same content: not a new version
    store.add(feature)
    assert sign(store, identity).version == 2
    assert sign(store, identity, at_least=7).version == 7
    manifest.manifest_path(store).write_bytes(older)  # put back, with the files it lists
    with pytest.raises(HoldoutError) as raised:
        manifest.verify(store, [identity], minimum_version=7)
    assert str(raised.value).endswith(
        "MANIFEST: version 1 is below HOLDOUT_MIN_VERSION 7 (an older MANIFEST put back?)"
    )


def test_a_bad_minimum_version_is_named() -> None:
    with pytest.raises(HoldoutError, match=r"^HOLDOUT_MIN_VERSION='seven': not a version number"):
        manifest.min_version({"HOLDOUT_MIN_VERSION": "seven"})
    assert manifest.min_version({"HOLDOUT_MIN_VERSION": " 3 "}) == 3
    assert manifest.min_version({}) is None


def test_verifying_needs_a_private_key(
    store: Store, identity: keys.Identity, feature: bytes
) -> None:
    store.add(feature)
    sign(store, identity)
    with pytest.raises(HoldoutError, match="verifying it needs a private key"):
        manifest.verify(store, [])


def test_anyone_checks_the_signature_against_a_key_they_trust(
    store: Store, identity: keys.Identity, other_identity: keys.Identity, feature: bytes
) -> None:
    store.add(feature)
    sign(store, identity)
    signed = manifest.read_required(store)
    found = manifest.verify_signature(store, signed, trusted=[signing.public_key(identity)])
    assert found.recipient == identity.recipient
    with pytest.raises(HoldoutError, match=r"no trusted signature \(signed by age1"):
        manifest.verify_signature(store, signed, trusted=[signing.public_key(other_identity)])


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
    sign(store, identity, *ssh_keys)
    for held in (identity, *ssh_keys):
        assert len(manifest.verify(store, [held]).signers) == 3


def test_keyholders_can_sign_in_turn(
    store: Store, identity: keys.Identity, other_identity: keys.Identity, feature: bytes
) -> None:
    store.recipients_path.write_text(f"{identity.recipient}\n{other_identity.recipient}\n")
    store.add(feature)
    sign(store, identity)
    # The same content: the first signature is kept, and so is the version.
    assert sign(store, other_identity).version == 1
    assert manifest.verify(store, [identity]).signers == [
        other_identity.recipient,
        identity.recipient,
    ]
    store.add(feature)
    sign(store, other_identity)  # new content: the stale signature goes
    with pytest.raises(HoldoutError, match="not signed by any identity held here"):
        manifest.verify(store, [identity])


def test_an_ssh_key_signs_the_same_whichever_way_it_is_saved(
    store: Store, ssh_rsa, feature: bytes, tmp_path: Path
) -> None:
    """The signing key comes from the key material, not from its (randomised) encoding."""
    store.recipients_path.write_text(f"{ssh_rsa.public}\n")
    store.add(feature)
    [openssh] = keys.load_identities({"HOLDOUT_IDENTITY_FILE": str(ssh_rsa.path)})
    sign(store, openssh)
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
        sign(store, identity)
    store.path(broken).write_bytes(encrypt(feature, [other_identity.native.to_public()]))
    with pytest.raises(HoldoutError, match=f"^{broken}: no identity matches"):
        sign(store, identity)
    assert not manifest.manifest_path(store).exists()


def test_changes_list_what_a_signature_approves(
    store: Store, identity: keys.Identity, other_identity: keys.Identity, feature: bytes
) -> None:
    kept, deleted = store.add(feature), store.add(feature)
    before = sign(store, identity, harness_digests={"conftest.py": "ab" * 32, "old.py": "cd" * 32})
    assert manifest.changes(None, before) == [
        f"recipient added {identity.recipient}",
        "harness added   conftest.py",
        "harness added   old.py",
        *sorted(f"added   {file_id}" for file_id in (kept, deleted)),
    ]
    store.path(deleted).unlink()
    added = store.add(feature)
    store.recipients_path.write_text(f"{identity.recipient}\n{other_identity.recipient}\n")
    after = sign(store, identity, harness_digests={"conftest.py": "ef" * 32})
    assert manifest.changes(before, after) == [
        f"recipient added {other_identity.recipient}",
        "harness changed conftest.py",
        "harness removed old.py",
        *sorted([f"added   {added}", f"removed {deleted}"], key=lambda line: line.split()[1]),
    ]
    store.recipients_path.write_text(f"{identity.recipient}\n# Bob\n{other_identity.recipient}\n")
    commented = sign(store, identity, harness_digests={"conftest.py": "ef" * 32})
    assert manifest.changes(after, commented) == [
        "RECIPIENTS comments or layout only, the same recipients"
    ]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # Issue 15, finding 11: this used to raise TypeError (an INTERNALERROR in pytest).
        (lambda text: text.replace("sig ed25519:", "sig \u00e9", 1), r"line 8: not printable"),
        (lambda text: text.replace("version 1", "version 01"), r"line 3: not a version number"),
        (lambda text: text.replace("store acme/shop", "store  acme"), r"line 2: not a store"),
        (lambda text: text.replace("\nfile S-", "\nfile ../S-"), r"line 7: expected `file ID"),
        (lambda text: text.replace("\nfile", "\nharness 00 x\nfile"), r"line 7: expected `harness"),
        (lambda text: text.replace("\n", "\r\n"), r"line 1: not printable ASCII"),
        (lambda text: text[: text.index("sig ")], r"line 8: expected `sig KEY SIGNATURE"),
        (lambda text: text + "file S-x\n", r"line 9: expected `sig KEY"),
        (lambda text: "", r"line 1: not a pytest-holdout manifest v2"),
    ],
)
def test_a_malformed_manifest_is_named_by_line(
    store: Store, identity: keys.Identity, feature: bytes, edit, message: str
) -> None:
    store.add(feature)
    sign(store, identity, harness_digests={"conftest.py": "ab" * 32})
    path = manifest.manifest_path(store)
    path.write_bytes(edit(path.read_text()).encode())
    with pytest.raises(HoldoutError, match=f"^{path}: {message}"):
        manifest.verify(store, [identity])


def test_a_manifest_of_an_older_pytest_holdout_asks_for_a_new_signature(
    store: Store, identity: keys.Identity
) -> None:
    mac = f"mac {'cd' * 32} {identity.recipient}"
    manifest.manifest_path(store).write_text(
        f"pytest-holdout manifest v1\nrecipients {'ab' * 32}\n{mac}\n"
    )
    with pytest.raises(HoldoutError) as raised:
        manifest.verify(store, [identity])
    assert str(raised.value) == (
        f"{store.root / 'MANIFEST'}: written by an older pytest-holdout: re-sign with "
        "`holdout manifest --force`"
    )
