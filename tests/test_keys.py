"""Private identities from the environment, public recipients from RECIPIENTS."""

from __future__ import annotations

import sys
import types
import warnings
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pytest_holdout.errors import HoldoutError
from pytest_holdout.store import keys
from pytest_holdout.store.files import decrypt, encrypt


def test_identity_from_the_key_text(identity: keys.Identity) -> None:
    loaded = keys.load_identities({"HOLDOUT_IDENTITY": keys.identity_text(identity)})
    assert [keys.recipient_of(i) for i in loaded] == [identity.recipient]


def test_identity_from_a_file(identity: keys.Identity, identity_file: Path) -> None:
    loaded = keys.load_identities({"HOLDOUT_IDENTITY_FILE": str(identity_file)})
    assert [keys.recipient_of(i) for i in loaded] == [identity.recipient]


def test_both_variables_and_several_identities_in_one_file(tmp_path: Path) -> None:
    first, second, third = keys.generate(), keys.generate(), keys.generate()
    path = tmp_path / "team.txt"
    path.write_text(f"# two keys\n{first.native}\n\n{second.native}\n")
    path.chmod(0o600)
    env = {"HOLDOUT_IDENTITY": str(third.native), "HOLDOUT_IDENTITY_FILE": str(path)}
    loaded = keys.load_identities(env)
    assert {i.recipient for i in loaded} == {first.recipient, second.recipient, third.recipient}


def test_the_same_key_twice_counts_once(identity: keys.Identity, identity_file: Path) -> None:
    env = {"HOLDOUT_IDENTITY": str(identity.native), "HOLDOUT_IDENTITY_FILE": str(identity_file)}
    assert [i.recipient for i in keys.load_identities(env)] == [identity.recipient]


@pytest.mark.parametrize("pair", ["ssh_ed25519", "ssh_rsa"])
def test_openssh_private_keys(pair: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    ssh = request.getfixturevalue(pair)
    [from_text] = keys.load_identities({"HOLDOUT_IDENTITY": ssh.private_pem})
    [from_file] = keys.load_identities({"HOLDOUT_IDENTITY_FILE": str(ssh.path)})
    assert keys.recipient_of(from_text) == keys.recipient_of(from_file) == ssh.public
    sealed = encrypt(b"hello", keys.load_recipients(_one_line_file(tmp_path, ssh.public)))
    assert decrypt(sealed, [from_file], "S-1") == b"hello"


def test_a_traditional_pem_rsa_key_is_read_too(ssh_rsa, tmp_path: Path) -> None:
    pem = ssh_rsa.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    [identity] = keys.load_identities({"HOLDOUT_IDENTITY": pem})
    assert keys.recipient_of(identity) == ssh_rsa.public


def test_unusable_ssh_keys_are_named(tmp_path: Path) -> None:
    ecdsa = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    with pytest.raises(HoldoutError, match=r"^HOLDOUT_IDENTITY: only ssh-ed25519 and ssh-rsa"):
        keys.load_identities({"HOLDOUT_IDENTITY": ecdsa.decode()})
    garbled = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    with pytest.raises(HoldoutError, match=r"^HOLDOUT_IDENTITY: not a usable SSH private key"):
        keys.load_identities({"HOLDOUT_IDENTITY": garbled})


def test_no_identity_names_both_variables() -> None:
    assert not keys.has_identity({})
    with pytest.raises(keys.NoIdentityError) as caught:
        keys.load_identities({})
    assert "HOLDOUT_IDENTITY " in str(caught.value)
    assert "HOLDOUT_IDENTITY_FILE" in str(caught.value)


def test_an_identity_file_readable_by_others_is_warned_about(identity_file: Path) -> None:
    identity_file.chmod(0o644)
    with pytest.warns(keys.InsecureKeyFileWarning, match="readable by others"):
        keys.load_identities({"HOLDOUT_IDENTITY_FILE": str(identity_file)})


def test_a_private_identity_file_is_not_warned_about(identity_file: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keys.load_identities({"HOLDOUT_IDENTITY_FILE": str(identity_file)})


def test_a_missing_identity_file_is_named_by_its_variable(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(HoldoutError) as raised:
        keys.load_identities({"HOLDOUT_IDENTITY_FILE": str(missing)})
    assert str(raised.value) == (
        "HOLDOUT_IDENTITY_FILE: cannot read the file it names (No such file or directory)"
    )


@pytest.mark.parametrize("kind", ["age", "ssh"])
def test_key_text_in_the_file_variable_is_never_echoed(
    kind: str, identity: keys.Identity, ssh_ed25519, tmp_path: Path, monkeypatch
) -> None:
    """The key pasted where its path goes: the error says so, and shows neither."""
    text = keys.identity_text(identity) if kind == "age" else ssh_ed25519.private_pem
    with pytest.raises(HoldoutError) as raised:
        keys.load_identities({"HOLDOUT_IDENTITY_FILE": text})
    assert str(raised.value) == (
        "HOLDOUT_IDENTITY_FILE holds what looks like key text, not a path: the key itself goes "
        "in HOLDOUT_IDENTITY, the path of a file holding it in HOLDOUT_IDENTITY_FILE"
    )
    # A mistyped path is not shown either (it may be key text that does not look like one).
    line = str(identity.native)[:40]
    with pytest.raises(HoldoutError) as raised:
        keys.load_identities({"HOLDOUT_IDENTITY_FILE": line[15:]})
    assert line[15:] not in str(raised.value)


def test_the_readable_key_file_warning_cannot_be_made_an_error(identity_file: Path) -> None:
    """Under ``-W error`` the warning is still a warning (an error would be an INTERNALERROR);
    a filter that ignores it is obeyed."""
    identity_file.chmod(0o640)
    env = {"HOLDOUT_IDENTITY_FILE": str(identity_file)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("error")
        assert len(keys.load_identities(env)) == 1
    assert [str(warning.message) for warning in caught] == [
        "HOLDOUT_IDENTITY_FILE: the private key file is readable by others "
        '(run: chmod 600 "$HOLDOUT_IDENTITY_FILE")'
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")
        keys.load_identities(env)
    assert caught == []


def _locals_a_traceback_shows(error: BaseException, own: types.FrameType) -> str:
    """Every local of every frame of ``error`` and the exceptions chained to it (even where the
    chain is not shown), as ``pytest -l --full-trace`` would print them; not the test's own."""
    shown = []
    chained: BaseException | None = error
    while chained is not None:
        entry = chained.__traceback__
        while entry is not None:
            if entry.tb_frame is not own:
                shown += [f"{n} = {v!r}" for n, v in entry.tb_frame.f_locals.items()]
            entry = entry.tb_next
        chained = chained.__cause__ or chained.__context__
    return "\n".join(shown)


@pytest.mark.parametrize("kind", ["age", "ssh"])
def test_an_unexpected_failure_keeps_the_key_out_of_what_a_traceback_shows(
    kind: str, identity: keys.Identity, ssh_ed25519, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug, or a library raising what it should not, while the key is parsed: the error
    names the variable, and no frame a traceback shows holds the key text."""

    def bug(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    if kind == "age":
        text, secret = keys.identity_text(identity), str(identity.native)
        monkeypatch.setattr(keys, "_bech32_data", bug)
    else:
        text = secret = ssh_ed25519.private_pem
        monkeypatch.setattr(keys.serialization, "load_ssh_private_key", bug)
    environ = {"HOLDOUT_IDENTITY": text, "PATH": "/bin"}
    with pytest.raises(HoldoutError) as raised:
        # As the plugin does: the key is taken out of the environment before it is parsed.
        keys.load_identities(keys.take_keys(environ))
    assert environ == {"PATH": "/bin"}
    assert str(raised.value) == "HOLDOUT_IDENTITY: cannot be parsed (RuntimeError)"
    shown = _locals_a_traceback_shows(raised.value, sys._getframe())
    assert "key = <KeyText, not shown>" in shown
    assert secret.strip().splitlines()[1 if kind == "ssh" else 0] not in shown


def test_a_malformed_identity_is_named_by_line_and_never_quoted() -> None:
    text = "# mine\nAGE-SECRET-KEY-1NOTAKEYATALL\n"
    with pytest.raises(HoldoutError) as caught:
        keys.load_identities({"HOLDOUT_IDENTITY": text})
    assert str(caught.value) == "HOLDOUT_IDENTITY: line 2 is not a valid age identity"


def test_the_repr_of_an_identity_shows_only_its_public_key(identity: keys.Identity) -> None:
    assert repr(identity) == f"<Identity {identity.recipient}>"
    assert str(identity.native) not in repr([identity])


def test_recipients_file_with_comments_and_ssh_keys(
    tmp_path: Path, identity: keys.Identity, ssh_ed25519, ssh_rsa
) -> None:
    path = tmp_path / "RECIPIENTS"
    path.write_text(
        f"# Ada\n{identity.recipient}\n\n  # Bob, with the comment ssh-keygen adds\n"
        f"{ssh_ed25519.public} bob@laptop\n{ssh_rsa.public}\n"
    )
    texts = [str(r) for r in keys.load_recipients(path)]
    assert texts == [identity.recipient, ssh_ed25519.public, ssh_rsa.public]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no recipients"),
        ("# only a comment\n", "no recipients"),
        ("# ok\nage1notarecipient\n", "line 2: not a valid recipient"),
        ("AGE-SECRET-KEY-1ABC\n", "line 1: not an age1..., ssh-ed25519 or ssh-rsa recipient"),
    ],
)
def test_bad_recipients_files_name_the_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "RECIPIENTS"
    path.write_text(content)
    with pytest.raises(HoldoutError, match=f"^{path}: {message}"):
        keys.load_recipients(path)


def test_a_repeated_recipient_names_both_lines(tmp_path: Path, identity: keys.Identity) -> None:
    path = _one_line_file(tmp_path, f"{identity.recipient}\n# again\n{identity.recipient}")
    with pytest.raises(HoldoutError, match="line 3: same recipient as line 1"):
        keys.load_recipients(path)


def test_a_missing_recipients_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(HoldoutError, match=r"missing .*holdout init"):
        keys.load_recipients(tmp_path / "RECIPIENTS")


def _one_line_file(folder: Path, text: str) -> Path:
    path = folder / "RECIPIENTS"
    path.write_text(text + "\n")
    return path
