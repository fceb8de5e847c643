"""Concurrent writers: 8 client threads of 500 writes each lose no update."""

from __future__ import annotations

import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

from slack_sdk import WebClient

from holdout_twins.core import Twin, load_seed
from holdout_twins.slack import SlackTwin

THREADS, WRITES = 8, 500
API, GENERAL, SHARED = "/api", "C0GENERAL1", "C0SHARED01"


class Connection:
    """One keep-alive connection, as a client thread holds it."""

    def __init__(self, twin: Twin, token: str) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", twin.port, timeout=30)
        self.token = token

    def post(self, path: str, **fields: Any) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        self.http.request("POST", path, body=urlencode(fields), headers=headers)
        response = self.http.getresponse()
        return {"status": response.status, **json.loads(response.read())}


def run_threads(work: Any) -> list[Any]:
    with ThreadPoolExecutor(THREADS) as pool:
        return [result for results in pool.map(work, range(THREADS)) for result in results]


def test_a_counter_incremented_from_8_threads_adds_up(notes):
    def increment(thread: int) -> list[int]:
        connection = Connection(notes, notes.token)
        return [connection.post("/count")["status"] for _ in range(WRITES)]

    statuses = run_threads(increment)

    assert statuses == [200] * THREADS * WRITES
    assert notes.state["count"] == THREADS * WRITES
    assert len(notes.journal.calls("count")) == THREADS * WRITES


def load_workspace() -> dict[str, Any]:
    """The seed workspace plus one user per thread (in #general and #shared) and 400 invitees."""
    seed = load_seed(SlackTwin.seed_path)
    writers = [f"U0LOAD{thread:04d}" for thread in range(THREADS)]
    invitees = [f"U0INVT{index:04d}" for index in range(THREADS * 50)]
    seed["users"] += [{"id": user, "name": user.lower()} for user in writers + invitees]
    seed["channels"][0]["members"] += writers
    seed["channels"].append({"id": SHARED, "name": "shared", "members": writers})
    return seed


def test_8_slack_clients_of_500_writes_each_lose_no_update():
    with SlackTwin(seed_data=load_workspace()) as slack:
        client = WebClient(token=slack.token, base_url=slack.base_url + "/api/")
        parent = client.chat_postMessage(channel=GENERAL, text="thread for everyone")["ts"]

        def write(thread: int) -> list[dict[str, Any]]:
            post = Connection(slack, slack.issue_token(f"U0LOAD{thread:04d}")).post
            results = []
            for n in range(200):
                results.append(post(f"{API}/chat.postMessage", channel=GENERAL, text=f"{n}"))
                results.append(
                    post(f"{API}/chat.postMessage", channel=GENERAL, text="re", thread_ts=parent)
                )
            for n in range(50):
                results.append(post(f"{API}/conversations.create", name=f"load-{thread}-{n}"))
                invitee = f"U0INVT{thread * 50 + n:04d}"
                results.append(post(f"{API}/conversations.invite", channel=SHARED, users=invitee))
            return results

        results = run_threads(write)
        history = [
            message["ts"]
            for page in client.conversations_history(channel=GENERAL, limit=999)
            for message in page["messages"]
        ]
        thread = [
            message
            for page in client.conversations_replies(channel=GENERAL, ts=parent, limit=500)
            for message in page["messages"]
        ]
        shared = client.conversations_info(channel=SHARED, include_num_members=True)
        created = [
            channel
            for page in client.conversations_list(limit=1000)
            for channel in page["channels"]
            if channel["name"].startswith("load-")
        ]

    assert [(r["status"], r["ok"]) for r in results] == [(200, True)] * THREADS * WRITES
    assert len(history) == len(set(history)) == 2 + 1 + THREADS * 200
    assert len(thread) == 1 + THREADS * 200
    assert thread[0]["reply_count"] == THREADS * 200
    assert shared["channel"]["num_members"] == THREADS + THREADS * 50
    assert len({channel["id"] for channel in created}) == THREADS * 50
