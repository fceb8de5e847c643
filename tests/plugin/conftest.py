"""Fixtures for the plugin's tests: a project built in pytester's temporary folder."""

from __future__ import annotations

from collections.abc import Iterator

import pyrage
import pytest

from holdout_project import HoldoutProject


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Iterator[HoldoutProject]:
    identity = pyrage.x25519.Identity.generate()
    key_file = pytester.path.parent / f"{pytester.path.name}-key.txt"
    key_file.write_text(f"# created by the test\n{identity}\n")
    key_file.chmod(0o600)
    store = pytester.mkdir("scenarios_encrypted")
    (store / "RECIPIENTS").write_text(f"# keyholders\n{identity.to_public()}\n")
    monkeypatch.setenv("HOLDOUT_IDENTITY_FILE", str(key_file))
    monkeypatch.delenv("HOLDOUT_IDENTITY", raising=False)
    yield HoldoutProject(pytester, identity, key_file, store)
