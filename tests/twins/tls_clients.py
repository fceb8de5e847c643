"""One call through a service's official client, configured as software ships it: no TLS
settings in code, only what the environment says (``SSL_CERT_FILE``, ``REQUESTS_CA_BUNDLE``,
``HTTPLIB2_CA_CERTS``).

Reads ``[{"client": ..., "base_url": ..., "credentials": ...}, ...]`` (JSON) on stdin and prints
one JSON line per call: the call with ``"result": ...`` or ``"error": ...`` added.
``test_tls.py`` runs it in a child process so that every library reads the environment it is
given from scratch (aiohttp, under the Okta SDK, reads it once, on import).
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any


def slack(base_url: str, token: str) -> Any:
    from slack_sdk import WebClient

    return WebClient(token=token, base_url=base_url + "/api/").auth_test()["user_id"]


def jira(base_url: str, credentials: str) -> Any:
    from jira import JIRA

    email, _, token = credentials.partition(":")
    return JIRA(server=base_url, basic_auth=(email, token), max_retries=0).myself()["emailAddress"]


def okta(base_url: str, token: str) -> Any:
    from okta.client import Client

    async def logins() -> list[str]:
        async with Client(
            {"orgUrl": base_url, "token": token, "rateLimit": {"maxRetries": 0}}
        ) as client:
            users, _, error = await client.list_users(limit=2)
            if error is not None:
                raise RuntimeError(str(error))
            return [user.profile.login for user in users]

    return asyncio.run(logins())


def anthropic(base_url: str, key: str) -> Any:
    import anthropic

    client = anthropic.Anthropic(base_url=base_url, api_key=key, max_retries=0)
    return [model.id for model in client.models.list(limit=1).data]


def google(base_url: str, token: str) -> Any:
    from google.oauth2.credentials import Credentials
    from googleapiclient.discovery import build_from_document
    from googleapiclient.discovery_cache import get_static_doc

    from holdout_twins.core.discovery import pointed_at

    document = pointed_at(json.loads(get_static_doc("drive", "v3")), base_url)
    drive = build_from_document(document, credentials=Credentials(token=token))
    return drive.about().get(fields="user").execute(num_retries=0)["user"]["emailAddress"]


CLIENTS = {
    "slack": slack,
    "jira": jira,
    "okta": okta,
    "anthropic": anthropic,
    "google": google,
}

if __name__ == "__main__":
    for call in json.load(sys.stdin):
        try:
            outcome = {"result": CLIENTS[call["client"]](call["base_url"], call["credentials"])}
        except Exception as error:
            outcome = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps({**call, **outcome}), flush=True)
