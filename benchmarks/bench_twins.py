"""Throughput and latency of the Slack twin against moto's server mode, in one run.

Each client thread holds one HTTP connection and repeats a write then a read: for the Slack twin
chat.postMessage then conversations.history (limit 10), for moto's ThreadedMotoServer SQS
SendMessage then ReceiveMessage, both through the same plain HTTP client so that only the servers
differ. Both servers run in this process, as a test suite runs them.

    python benchmarks/bench_twins.py            # print the figures
    python benchmarks/bench_twins.py --write    # and put them in docs/performance.md, "## Twins"

Target: at least moto's throughput, and p99 under 10 ms with 4 clients.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import platform
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from holdout_twins.slack import SlackTwin

DOCS = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
HEADING = "## Twins"
WARMUP = 50  # request pairs per client before measuring

# One request: a connection in, the status out.
Request = Callable[[http.client.HTTPConnection], int]
# A client's requests, by the client's number (moto gets one queue per client: see moto_target).
Workload = Callable[[int], list[Request]]


@dataclass
class Result:
    target: str
    clients: int
    requests: int
    seconds: float
    latencies: list[float]  # seconds, one per request
    errors: int  # answers other than HTTP 200

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _post(connection: http.client.HTTPConnection, path: str, fields: dict, headers: dict) -> int:
    connection.request("POST", path, body=urlencode(fields), headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


@contextmanager
def slack_target() -> Iterator[tuple[int, Workload]]:
    with SlackTwin() as twin:
        headers = {
            "Authorization": f"Bearer {twin.token}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        post = {"channel": "C0GENERAL1", "text": "benchmark message"}
        history = {"channel": "C0GENERAL1", "limit": "10"}

        def workload(index: int) -> list[Request]:  # every client in the same channel
            return [
                lambda c: _post(c, "/api/chat.postMessage", post, headers),
                lambda c: _post(c, "/api/conversations.history", history, headers),
            ]

        yield twin.port, workload


@contextmanager
def moto_target() -> Iterator[tuple[int, Workload]]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log on the terminal
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        _, port = server.get_host_and_port()
        # moto picks the service from the credential scope; it does not check the signature.
        scope = "Credential=testing/20260101/us-east-1/sqs/aws4_request"
        headers = {
            "Authorization": f"AWS4-HMAC-SHA256 {scope}, SignedHeaders=host, Signature=0",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        version = {"Version": "2012-11-05"}

        def workload(index: int) -> list[Request]:
            # One queue per client: moto's SQS answers HTTP 500 ("Set changed size during
            # iteration") when clients send to and receive from one queue concurrently.
            connection = http.client.HTTPConnection("127.0.0.1", port)
            create = {"Action": "CreateQueue", "QueueName": f"bench-{index}", **version}
            _post(connection, "/", create, headers)
            connection.close()
            queue = f"http://127.0.0.1:{port}/123456789012/bench-{index}"
            send = {"Action": "SendMessage", "QueueUrl": queue, "MessageBody": "benchmark message"}
            receive = {"Action": "ReceiveMessage", "QueueUrl": queue, "MaxNumberOfMessages": "1"}
            return [
                lambda c: _post(c, "/", {**send, **version}, headers),
                lambda c: _post(c, "/", {**receive, **version}, headers),
            ]

        yield port, workload
    finally:
        server.stop()


def measure(name: str, target: Callable, clients: int, pairs: int) -> Result:
    with target() as (port, workload):
        latencies: list[list[float]] = [[] for _ in range(clients)]
        errors = [0] * clients
        start_line = threading.Barrier(clients + 1)

        def client(index: int) -> None:
            requests = workload(index)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            for _ in range(WARMUP):
                for request in requests:
                    request(connection)
            start_line.wait()
            for _ in range(pairs):
                for request in requests:
                    started = time.perf_counter()
                    status = request(connection)
                    latencies[index].append(time.perf_counter() - started)
                    errors[index] += status != 200
            connection.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        for thread in threads:
            thread.start()
        start_line.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - began
    flat = [latency for per_client in latencies for latency in per_client]
    return Result(name, clients, len(flat), seconds, flat, sum(errors))


def report(results: list[Result], pairs: int) -> str:
    by_key = {(result.target, result.clients): result for result in results}
    method = textwrap.fill(
        f"`python benchmarks/bench_twins.py`, one run on {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs. Each client thread holds one "
        f"connection and repeats a write then a read, {pairs} pairs after {WARMUP} warm-up pairs: "
        "the Slack twin chat.postMessage then conversations.history (limit 10), moto's "
        "ThreadedMotoServer SQS SendMessage then ReceiveMessage, both through the same plain HTTP "
        "client and both in the benchmark's process. The Slack clients share one channel; the "
        "moto clients have a queue each (moto fails requests on a shared queue). moto's server "
        "closes the connection after every response, and received messages stay in the queue "
        "(they are not deleted), as in a plain send-and-receive loop.",
        width=100,
    )
    lines = [
        HEADING,
        "",
        method,
        "",
        "| Server | Clients | Requests/s | p50 ms | p99 ms | Errors |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        lines.append(
            f"| {result.target} | {result.clients} | {result.throughput:,.0f} | "
            f"{result.percentile(0.50) * 1000:.2f} | {result.percentile(0.99) * 1000:.2f} | "
            f"{result.errors} |"
        )
    lines += ["", "Ratios, same run:", ""]
    for clients in sorted({result.clients for result in results}):
        twin, moto = by_key[("Slack twin", clients)], by_key[("moto SQS", clients)]
        ratio = (
            f"- {clients} client(s): the twin's throughput is "
            f"{twin.throughput / moto.throughput:.0f} times moto's; moto's p99 is "
            f"{moto.percentile(0.99) / twin.percentile(0.99):.0f} times the twin's"
        )
        lines.append(textwrap.fill(ratio, width=100, subsequent_indent="  "))
    four = by_key.get(("Slack twin", 4))
    if four is not None:
        verdict = "met" if four.percentile(0.99) < 0.010 else "NOT met"
        lines += ["", f"Target p99 under 10 ms at 4 clients: {verdict}."]
    return "\n".join(lines) + "\n"


def write_section(section: str, path: Path = DOCS) -> None:
    """Replace the "## Twins" section of docs/performance.md (or add it), atomically."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    before, found, after = text.partition(HEADING + "\n")
    if found:
        rest = after.split("\n## ", 1)
        after = "\n## " + rest[1] if len(rest) == 2 else ""
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".performance-", suffix=".md")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1000, help="write+read pairs per client")
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args()
    results = [
        measure(name, target, clients, args.pairs)
        for clients in (1, 4)
        for name, target in (("Slack twin", slack_target), ("moto SQS", moto_target))
    ]
    section = report(results, args.pairs)
    print(section)
    if args.write:
        write_section(section)
        print(f"written to {DOCS}")


if __name__ == "__main__":
    main()
