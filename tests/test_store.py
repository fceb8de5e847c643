"""The encrypted store: round trips, several recipients, SSH keys, bad input, atomic writes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pytest_holdout.errors import HoldoutError
from pytest_holdout.store import keys
from pytest_holdout.store.files import Store, decrypt, encrypt, find_store, recipient_stanzas
from pytest_holdout.store.fsutil import atomic_create, atomic_write


def test_add_then_read(feature: bytes, store: Store, identity: keys.Identity) -> None:
    file_id = store.add(feature)
    assert re.fullmatch(r"S-[0-9a-f]{12}", file_id)
    assert store.ids() == [file_id]
    assert store.read(file_id, [identity]) == feature
    assert feature not in store.path(file_id).read_bytes()


def test_ids_are_opaque_fresh_and_sorted(feature: bytes, store: Store) -> None:
    ids = [store.add(feature) for _ in range(5)]
    assert len(set(ids)) == 5
    assert store.ids() == sorted(ids)


def test_an_added_file_is_readable_by_every_recipient(
    feature: bytes, store: Store, identity: keys.Identity, ssh_ed25519, ssh_rsa
) -> None:
    second = keys.generate()
    store.recipients_path.write_text(
        f"{identity.recipient}\n{second.recipient}\n{ssh_ed25519.public}\n{ssh_rsa.public}\n"
    )
    file_id = store.add(feature)
    for env in (
        {"HOLDOUT_IDENTITY": str(identity.native)},
        {"HOLDOUT_IDENTITY": str(second.native)},
        {"HOLDOUT_IDENTITY_FILE": str(ssh_ed25519.path)},
        {"HOLDOUT_IDENTITY_FILE": str(ssh_rsa.path)},
    ):
        assert store.read(file_id, keys.load_identities(env)) == feature
    assert recipient_stanzas(store.path(file_id).read_bytes()) == 4


@pytest.mark.parametrize("armored", [False, True])
def test_armored_and_binary_files_are_read(
    feature: bytes, store: Store, identity: keys.Identity, armored: bool
) -> None:
    data = encrypt(feature, store.recipients(), armored=armored)
    assert data.startswith(b"-----BEGIN AGE") == armored
    store.path("S-0123456789ab").write_bytes(data)
    assert store.read("S-0123456789ab", [identity]) == feature
    assert recipient_stanzas(data) == 1


def test_the_pyrage_identity_itself_is_accepted(
    feature: bytes, store: Store, identity: keys.Identity
) -> None:
    file_id = store.add(feature)
    assert store.read(file_id, [identity.native]) == feature


def test_wrong_identity(feature: bytes, store: Store, other_identity: keys.Identity) -> None:
    file_id = store.add(feature)
    with pytest.raises(HoldoutError) as caught:
        store.read(file_id, [other_identity])
    assert str(caught.value) == f"{file_id}: no identity matches (encrypted to other recipients)"


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:-1], id="last byte cut"),
        pytest.param(lambda data: data[:-20] + bytes([data[-20] ^ 1]) + data[-19:], id="altered"),
        pytest.param(lambda data: b"", id="emptied"),
    ],
)
def test_corrupted_or_modified(
    feature: bytes, store: Store, identity: keys.Identity, spoil
) -> None:
    file_id = store.add(feature)
    path = store.path(file_id)
    path.write_bytes(spoil(path.read_bytes()))
    with pytest.raises(HoldoutError) as caught:
        store.read(file_id, [identity])
    assert str(caught.value) == f"{file_id}: corrupted or modified"


def test_missing_file_and_bad_ids(store: Store, identity: keys.Identity) -> None:
    with pytest.raises(HoldoutError, match=r"^S-000000000000: no such scenario file$"):
        store.read("S-000000000000", [identity])
    for bad in ("../RECIPIENTS", "a/b", ".hidden", ""):
        with pytest.raises(HoldoutError, match="is not a scenario id"):
            store.path(bad)


def test_temp_and_hidden_files_are_not_ids(feature: bytes, store: Store) -> None:
    file_id = store.add(feature)
    (store.root / f".{file_id}.age.x1y2.tmp").write_bytes(b"partial")
    (store.root / ".S-0123456789ab.age").write_bytes(b"hidden")
    (store.root / "notes.txt").write_text("not a scenario")
    assert store.ids() == [file_id]


def test_find_store_from_inside_the_project(store_dir: Path) -> None:
    nested = store_dir.parent / "src" / "pkg"
    nested.mkdir(parents=True)
    assert find_store(nested) == store_dir
    assert find_store(store_dir) == store_dir


def test_find_store_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(HoldoutError, match=r"no scenarios_encrypted/ in .* \(run `holdout init`\)"):
        find_store(tmp_path)


def test_decrypt_names_what_it_was_given(identity: keys.Identity) -> None:
    with pytest.raises(HoldoutError, match=r"^report\.age: corrupted or modified$"):
        decrypt(b"not age at all", [identity], "report.age")


# -- atomicity ---------------------------------------------------------------------------------


def _fail(*args: object, **kwargs: object) -> None:
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("step", ["fsync", "replace", "write"])
def test_an_interrupted_write_keeps_the_old_file_and_no_temp(
    feature: bytes,
    store: Store,
    identity: keys.Identity,
    monkeypatch: pytest.MonkeyPatch,
    step: str,
) -> None:
    file_id = store.add(feature)
    before = store.path(file_id).read_bytes()
    if step == "write":
        monkeypatch.setattr(os, "fdopen", _open_failing_on_write)
    else:
        monkeypatch.setattr(os, step, _fail)
    with pytest.raises(OSError, match="No space left"):
        store.write(file_id, b"Feature: replaced\n")
    monkeypatch.undo()
    assert store.path(file_id).read_bytes() == before
    assert sorted(p.name for p in store.root.iterdir()) == ["RECIPIENTS", f"{file_id}.age"]


def _open_failing_on_write(fd: int, mode: str) -> object:
    real = open(fd, mode)  # noqa: SIM115 - handed to the code under test, which closes it

    class Failing:
        def __enter__(self) -> Failing:
            return self

        def __exit__(self, *exc: object) -> None:
            real.close()

        def fileno(self) -> int:
            return real.fileno()

        def write(self, data: bytes) -> int:
            real.write(data[: len(data) // 2])
            real.flush()
            _fail()
            return 0

    return Failing()


def test_atomic_write_sets_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "report.age"
    atomic_write(path, b"one", mode=0o600)
    atomic_write(path, b"two", mode=0o600)
    assert path.read_bytes() == b"two"
    assert path.stat().st_mode & 0o777 == 0o600


def test_atomic_create_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "key.txt"
    atomic_create(path, b"first")
    with pytest.raises(FileExistsError):
        atomic_create(path, b"second")
    assert path.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["key.txt"]


# -- rekey -------------------------------------------------------------------------------------


def test_rekey_lets_a_new_keyholder_in_and_an_old_one_out(
    feature: bytes, store: Store, identity: keys.Identity
) -> None:
    ids = [store.add(feature) for _ in range(3)]
    newcomer = keys.generate()
    store.recipients_path.write_text(f"{newcomer.recipient}\n")
    assert store.rekey([identity]) == sorted(ids)
    for file_id in ids:
        assert store.read(file_id, [newcomer]) == feature
        with pytest.raises(HoldoutError, match="no identity matches"):
            store.read(file_id, [identity])


@pytest.mark.parametrize("failing_call", [1, 3])
def test_rekey_changes_all_files_or_none(
    feature: bytes,
    store: Store,
    identity: keys.Identity,
    monkeypatch: pytest.MonkeyPatch,
    failing_call: int,
) -> None:
    """A rename failing midway (the first, or the third of four) puts every file back."""
    ids = [store.add(feature) for _ in range(4)]
    before = {file_id: store.path(file_id).read_bytes() for file_id in ids}
    store.recipients_path.write_text(f"{identity.recipient}\n{keys.generate().recipient}\n")
    real_replace = os.replace
    calls = []

    def replace(src: object, dst: object) -> None:
        calls.append(dst)
        if len(calls) == failing_call:
            _fail()
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError, match="No space left"):
        store.rekey([identity])
    monkeypatch.undo()
    assert {file_id: store.path(file_id).read_bytes() for file_id in ids} == before
    assert sorted(p.name for p in store.root.iterdir()) == sorted(
        ["RECIPIENTS", *(f"{file_id}.age" for file_id in ids)]
    )


def test_rekey_stops_before_any_change_when_fsync_fails(
    feature: bytes, store: Store, identity: keys.Identity, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [store.add(feature) for _ in range(3)]
    before = {file_id: store.path(file_id).read_bytes() for file_id in ids}
    monkeypatch.setattr(os, "fsync", _fail)
    with pytest.raises(OSError):
        store.rekey([identity])
    monkeypatch.undo()
    assert {file_id: store.path(file_id).read_bytes() for file_id in ids} == before
    assert len(list(store.root.iterdir())) == 4


def test_rekey_refuses_when_a_file_cannot_be_read(
    feature: bytes, store: Store, identity: keys.Identity, other_identity: keys.Identity
) -> None:
    good = store.add(feature)
    foreign = "S-ffffffffffff"
    store.path(foreign).write_bytes(encrypt(feature, [other_identity.native.to_public()]))
    before = store.path(good).read_bytes()
    with pytest.raises(HoldoutError, match=f"^{foreign}: no identity matches"):
        store.rekey([identity])
    assert store.path(good).read_bytes() == before
