"""Shared fixtures: keys (X25519 and SSH, made at test time), a store, a keyholder's environment.

Nothing here is a real key: every key is generated for the test session and lives in its
temporary folders.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from project_plugins import PROJECT_PLUGINS

from pytest_holdout.sandbox import why_no_sandbox
from pytest_holdout.store import keys
from pytest_holdout.store.files import RECIPIENTS, STORE_DIR, Store

NO_SANDBOX = why_no_sandbox()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """``@pytest.mark.bwrap`` tests need the real sandbox; .ci/run installs bubblewrap."""
    if item.get_closest_marker("bwrap") and NO_SANDBOX:
        pytest.skip(f"no sandbox here: {NO_SANDBOX}")


# Three runnable scenarios: a plain Scenario and an Outline with two Examples rows.
_FEATURE = textwrap.dedent(
    """\
    Feature: Sign in
      Scenario: A known user signs in
        Given a user "ada"
        When she signs in
        Then she sees her inbox

      Scenario Outline: A wrong password is refused
        Given a user "<name>"
        When she signs in with password "<password>"
        Then she is refused
        Examples:
          | name | password |
          | ada  | nope     |
          | bob  | wrong    |
    """
).encode()


@pytest.fixture(scope="session", autouse=True)
def project_plugins_only() -> Iterator[None]:
    # Set in the session, not at import: under xdist the suite's own workers start after the
    # conftest is imported, and they need every plugin (anyio's runs the twins' async tests).
    with pytest.MonkeyPatch.context() as patch:
        for name, value in PROJECT_PLUGINS.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(autouse=True)
def trust_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every test sees the same trust settings, whatever machine or CI runs it: the store is
    acme/shop, no minimum version, and the user's config (trusted signing keys) is empty."""
    for name in ("GITHUB_REPOSITORY", "CI_PROJECT_PATH", "HOLDOUT_MIN_VERSION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOLDOUT_STORE_ID", "acme/shop")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


@pytest.fixture
def feature() -> bytes:
    """A valid Gherkin scenario file holding three runnable scenarios (see feature_scenarios)."""
    return _FEATURE


@pytest.fixture
def feature_scenarios() -> int:
    """How many runnable scenarios ``feature`` holds: one Scenario plus two Outline rows."""
    return 3


@dataclass(frozen=True)
class SSHKeyPair:
    private_pem: str  # OpenSSH format, unencrypted
    public: str  # "ssh-ed25519 AAAA..." as in authorized_keys
    path: Path  # the private key, mode 0600
    key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey


def _ssh_pair(
    folder: Path, name: str, key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
) -> SSHKeyPair:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    path = folder / name
    path.write_text(pem)
    path.chmod(0o600)
    return SSHKeyPair(pem, public.decode(), path, key)


@pytest.fixture(scope="session")
def ssh_ed25519(tmp_path_factory: pytest.TempPathFactory) -> SSHKeyPair:
    folder = tmp_path_factory.mktemp("ssh")
    return _ssh_pair(folder, "id_ed25519", ed25519.Ed25519PrivateKey.generate())


@pytest.fixture(scope="session")
def ssh_rsa(tmp_path_factory: pytest.TempPathFactory) -> SSHKeyPair:
    folder = tmp_path_factory.mktemp("ssh")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _ssh_pair(folder, "id_rsa", key)


@pytest.fixture
def identity() -> keys.Identity:
    """A fresh X25519 identity: the keyholder's."""
    return keys.generate()


@pytest.fixture
def other_identity() -> keys.Identity:
    """Someone else's X25519 identity, not among the store's recipients."""
    return keys.generate()


@pytest.fixture
def identity_file(tmp_path: Path, identity: keys.Identity) -> Path:
    """``identity`` as an age identity file, mode 0600, outside the project folder."""
    path = tmp_path / "keys" / "key.txt"
    path.parent.mkdir()
    path.write_text(keys.identity_text(identity))
    path.chmod(0o600)
    return path


@pytest.fixture
def store_dir(tmp_path: Path, identity: keys.Identity) -> Path:
    """``<tmp>/project/scenarios_encrypted`` with a RECIPIENTS file naming ``identity``."""
    root = tmp_path / "project" / STORE_DIR
    root.mkdir(parents=True)
    (root / RECIPIENTS).write_text(f"# keyholders\n{identity.recipient}\n")
    return root


@pytest.fixture
def store(store_dir: Path) -> Store:
    return Store(store_dir)


@pytest.fixture
def holdout_env(monkeypatch: pytest.MonkeyPatch, identity_file: Path) -> Iterator[dict[str, str]]:
    """The keyholder's environment: HOLDOUT_IDENTITY_FILE set, HOLDOUT_IDENTITY unset."""
    monkeypatch.delenv(keys.IDENTITY_VAR, raising=False)
    monkeypatch.setenv(keys.IDENTITY_FILE_VAR, str(identity_file))
    yield {keys.IDENTITY_FILE_VAR: str(identity_file)}


@pytest.fixture
def no_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's or agent's environment: no private key at all."""
    monkeypatch.delenv(keys.IDENTITY_VAR, raising=False)
    monkeypatch.delenv(keys.IDENTITY_FILE_VAR, raising=False)
