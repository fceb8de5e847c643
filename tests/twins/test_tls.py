"""Twins over https: the local CA, ``holdout twin serve --tls``, the fixtures' TLS mode, and each
official client reaching a twin while it trusts that CA alone."""

from __future__ import annotations

import json
import os
import ssl
import stat
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from holdout_twins import twin_class
from holdout_twins.core import LocalCA, TLSError, Twin

CLIENT_SCRIPT = Path(__file__).with_name("tls_clients.py")
CLIENTS = ("slack", "jira", "okta", "anthropic", "google")
# What each client's call returns from the twins' seed data (tls_clients.py).
EXPECTED = {
    "slack": "U0BOT00001",
    "jira": "admin@twin.example",
    "okta": ["admin@twin-org.example", "alice@twin-org.example"],
    "anthropic": ["claude-opus-4-6"],
    "google": "alice@twin.example",
}


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return LocalCA.ensure(tmp_path_factory.mktemp("ca"))


def serve_all(authority: LocalCA) -> dict[str, Twin]:
    return {name: twin_class(name)().start(tls=authority) for name in CLIENTS}


@pytest.fixture(scope="module")
def https_twins(authority: LocalCA) -> Iterator[dict[str, Twin]]:
    running = serve_all(authority)
    yield running
    for twin in running.values():
        twin.stop()


@pytest.fixture(scope="module")
def outcomes(
    https_twins: dict[str, Twin], authority: LocalCA, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], dict[str, Any]]:
    """Each client's call to its twin and to a copy served under another CA, in one child
    process whose environment trusts the local CA alone: by (client, "trusted" or "stranger")."""
    strangers = serve_all(LocalCA.ensure(tmp_path_factory.mktemp("stranger-ca")))
    calls = [
        {
            "client": name,
            "ca": ca,
            "base_url": twin.base_url,
            "credentials": twin.serve_credentials(),
        }
        for ca, twins in (("trusted", https_twins), ("stranger", strangers))
        for name, twin in twins.items()
    ]
    empty = tmp_path_factory.mktemp("no-certificates")
    trusted = str(authority.ca_file)
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("OKTA_")},
        "SSL_CERT_FILE": trusted,
        "REQUESTS_CA_BUNDLE": trusted,
        "HTTPLIB2_CA_CERTS": trusted,
        "SSL_CERT_DIR": str(empty),  # and no system certificates: nothing else is trusted
    }
    try:
        done = subprocess.run(
            [sys.executable, str(CLIENT_SCRIPT)],
            input=json.dumps(calls),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        journaled = {name: len(twin.journal) for name, twin in strangers.items()}
    finally:
        for twin in strangers.values():
            twin.stop()
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    return {
        **{(line["client"], line["ca"]): line for line in lines},
        **{(name, "stranger journal"): {"requests": count} for name, count in journaled.items()},
    }


@pytest.mark.parametrize("client", CLIENTS)
def test_an_official_client_reaches_its_twin_trusting_only_the_local_ca(
    https_twins, outcomes, client
):
    outcome = outcomes[client, "trusted"]

    assert outcome.get("result") == EXPECTED[client], outcome.get("error")
    assert https_twins[client].base_url.startswith("https://127.0.0.1:")


@pytest.mark.parametrize("client", CLIENTS)
def test_the_same_client_refuses_a_twin_served_under_another_ca(outcomes, client):
    outcome = outcomes[client, "stranger"]

    assert "error" in outcome, outcome.get("result")
    # Refused during the handshake: no request reached that twin.
    assert outcomes[client, "stranger journal"] == {"requests": 0}


def test_links_in_responses_are_https(https_twins, authority):
    okta = https_twins["okta"]
    request = urllib.request.Request(
        okta.base_url + "/api/v1/users/me", headers=okta.auth_headers()
    )
    context = ssl.create_default_context(cafile=str(authority.ca_file))

    with urllib.request.urlopen(request, context=context) as response:
        user = json.load(response)

    assert user["_links"]["self"]["href"].startswith(okta.base_url + "/api/v1/users/")


def test_the_ca_keeps_its_keys_private_and_is_reused(tmp_path):
    directory = tmp_path / "tls"
    first = LocalCA.ensure(directory)
    ca_pem = first.ca_file.read_bytes()
    (directory / "server.pem").unlink()

    again = LocalCA.ensure(directory)

    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in directory.iterdir()}
    assert modes["ca-key.pem"] == modes["server-key.pem"] == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert again.ca_file.read_bytes() == ca_pem  # the same authority: clients keep trusting it
    assert (directory / "server.pem").is_file()  # a fresh server certificate from it


def test_the_ca_may_vouch_for_loopback_names_only(authority):
    ca = x509.load_pem_x509_certificate(authority.ca_file.read_bytes())

    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)

    assert constraints.critical
    assert {str(name.value) for name in constraints.value.permitted_subtrees} == {
        "localhost",
        "127.0.0.0/8",
        "::1/128",
    }


def test_an_unusable_ca_directory_is_one_error_naming_it(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")

    with pytest.raises(TLSError, match=str(blocked)):
        LocalCA.ensure(blocked / "tls")


def test_serve_tls_prints_the_ca_file_and_serves_https(tmp_path):
    ca_dir = tmp_path / "ca"
    command = [sys.executable, "-m", "holdout_twins.cli", "serve", "slack", "--tls"]
    process = subprocess.Popen(
        [*command, "--ca-dir", str(ca_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        trust_line = process.stdout.readline().split()  # type: ignore[union-attr]
        name, url, token = process.stdout.readline().split()  # type: ignore[union-attr]
        ca_file = str(ca_dir / "ca.pem")
        request = urllib.request.Request(
            url + "/api/auth.test", headers={"Authorization": f"Bearer {token}"}
        )
        context = ssl.create_default_context(cafile=ca_file)
        with urllib.request.urlopen(request, context=context) as response:
            answer = json.load(response)
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()  # type: ignore[union-attr]

    assert trust_line == [
        f"SSL_CERT_FILE={ca_file}",
        f"REQUESTS_CA_BUNDLE={ca_file}",
        f"HTTPLIB2_CA_CERTS={ca_file}",
    ]
    assert (name, url.split(":")[0]) == ("slack", "https")
    assert answer["ok"] is True


def test_ca_dir_without_tls_is_a_usage_error(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "holdout_twins.cli", "serve", "slack", "--ca-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (done.returncode, done.stderr.strip()) == (
        2,
        "holdout twin serve: --ca-dir is for --tls",
    )


def test_the_fixtures_serve_https_with_twin_tls(pytester):
    pytester.makepyfile(
        """
        import ssl
        from slack_sdk import WebClient

        def test_over_https(twin):
            slack = twin("slack")
            context = ssl.create_default_context(cafile=str(slack.ca_file))
            client = WebClient(token=slack.token, base_url=slack.base_url + "/api/", ssl=context)
            assert slack.base_url.startswith("https://")
            assert client.auth_test()["ok"]

        def test_the_same_ca_for_every_twin(twin):
            assert twin("slack").ca_file == twin("okta").ca_file
        """
    )

    result = pytester.runpytest("--twin-tls", "-p", "no:randomly")

    result.assert_outcomes(passed=2)


def test_the_docs_example_runs():
    docs = Path(__file__).resolve().parents[2] / "docs" / "twins.md"
    section = docs.read_text().split("## Over TLS", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]

    exec(compile(block, str(docs), "exec"), {})
