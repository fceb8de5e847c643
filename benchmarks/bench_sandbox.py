"""What the app sandbox costs: starting an app, and each request it makes to a twin.

Two figures, each for an unsandboxed app (``Unsandboxed``) and a sandboxed one (``Sandbox``,
bubblewrap), interleaved over ``--repeat`` passes, medians:

* **start**: ``spawn`` then ``wait`` of ``python -c pass``, with one twin forwarded (as
  ``holdout_sut`` does once a step has used a twin): the sandbox adds bwrap, its namespaces and
  mounts, and the relay's Python start;
* **request**: one ``auth.test`` call to the Slack twin over a new connection, from inside the
  app, averaged over ``--requests`` calls (the sandbox adds two relays and a Unix socket).

    python benchmarks/bench_sandbox.py [--repeat 7] [--requests 200]

Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

from holdout_twins import twin_class
from pytest_holdout.sandbox import Runner, Sandbox, Unsandboxed

CLIENT = """
import sys, time, urllib.request
url, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
request = urllib.request.Request(url, data=b"", headers={"Authorization": "Bearer " + token})
started = time.perf_counter()
for _ in range(count):
    urllib.request.urlopen(request, timeout=10).read()
print((time.perf_counter() - started) / count)
"""


def start_seconds(runner: Runner, base_url: str) -> float:
    started = time.perf_counter()
    with runner.spawn([sys.executable, "-c", "pass"], forward=[base_url]) as app:
        assert app.wait(60) == 0, app.stderr
    return time.perf_counter() - started


def request_seconds(runner: Runner, base_url: str, token: str, count: int) -> float:
    argv = [sys.executable, "-c", CLIENT, f"{base_url}/api/auth.test", token, str(count)]
    with runner.spawn(argv, forward=[base_url]) as app:
        assert app.wait(600) == 0, app.stderr
        return float(app.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    runners: dict[str, Runner] = {"unsandboxed": Unsandboxed(), "sandboxed": Sandbox()}
    starts: dict[str, list[float]] = {name: [] for name in runners}
    requests: dict[str, list[float]] = {name: [] for name in runners}
    with twin_class("slack")() as slack:
        for _ in range(args.repeat):
            for name, runner in runners.items():
                starts[name].append(start_seconds(runner, slack.base_url))
                requests[name].append(
                    request_seconds(runner, slack.base_url, slack.token, args.requests)
                )
    load = os.getloadavg()[0]
    print(
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {load:.1f}, median of {args.repeat}\n"
    )
    print("| app | start (ms) | request to a twin (ms) |")
    print("|---|---|---|")
    for name in runners:
        start = statistics.median(starts[name]) * 1000
        request = statistics.median(requests[name]) * 1000
        print(f"| {name} | {start:.0f} | {request:.2f} |")


if __name__ == "__main__":
    main()
