"""`holdout_sut` and `--holdout-sandbox`: steps start the app under test out of process, sandboxed;
a gated run refuses to run it unsandboxed unless told to, and then says so."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_holdout.store import keys

from holdout_project import CANARY, HoldoutProject

HOSTILE_APP = Path(__file__).parents[1] / "sandbox" / "hostile_app.py"

# The step definitions are the trusted side: they start the hostile app with what an attacker
# would know, and keep its findings in attacks.json for the test to read.
HOSTILE_STEPS = """
import json
import os
import socket
import sys
from pathlib import Path

@given("the Slack twin", target_fixture="slack")
def slack(twin):
    return twin("slack")

@when("the hostile app runs", target_fixture="results")
def hostile(slack, holdout_sut):
    # Where the test put the key (the session took HOLDOUT_IDENTITY_FILE out of the environment).
    key_file = str(Path("keys/key.txt").resolve())
    fd = os.open(key_file, os.O_RDONLY)
    os.set_inheritable(fd, True)
    with socket.create_server(("127.0.0.1", 0)) as not_a_twin:
        known = {
            "key": Path(key_file).read_text().split()[-1],
            "key_file": key_file,
            "home": os.path.expanduser("~"),
            "project": os.getcwd(),
            "runner_pid": os.getpid(),
            "runner_cmdline": Path("/proc/self/cmdline").read_text(),
            "closed_port": not_a_twin.getsockname()[1],
            "unix_socket": "/run/no-such.sock",
            "abstract_socket": "holdout-no-such",
            "fd": fd,
            "slack_url": slack.base_url,
            "slack_token": slack.token,
            "channel": "C0GENERAL1",
        }
        app = holdout_sut([sys.executable, Path("hostile_app.py").resolve(), json.dumps(known)])
        assert app.wait(60) == 0, app.stderr
    os.close(fd)
    results = json.loads(app.stdout)
    Path("attacks-" + os.environ.get("PYTEST_XDIST_WORKER", "main") + ".json").write_text(
        json.dumps(results)
    )
    return results

@then("every attack was refused")
def refused(results):
    assert all(r["refused"] for name, r in results.items() if name != "slack"), results

@then("it reached the twin")
def reached(results, slack):
    assert results["slack"]["user"] == slack.state.bot_user
"""

HOSTILE_SCENARIO = """
Feature: A hostile app
  Scenario: It tries every way out
    Given the Slack twin
    When the hostile app runs
    Then every attack was refused
    And it reached the twin
"""

LOUD_STEPS = f"""
import sys

@when("the loud app runs")
def loud(holdout_sut):
    code = "import sys; print('{CANARY}-out'); print('{CANARY}-err', file=sys.stderr)"
    assert holdout_sut([sys.executable, "-c", code]).wait(60) == 0
"""

LOUD_SCENARIO = """
Feature: Loud
  Scenario: It prints
    When the loud app runs
"""


def _sign(project: HoldoutProject) -> None:
    project.sign()


def _gated(project: HoldoutProject, steps: str, scenario: str) -> None:
    project.steps(steps)
    project.add(scenario)
    _sign(project)


def _report(project: HoldoutProject) -> dict[str, Any]:
    return json.loads((project.pytester.path / "h.json").read_text())


@pytest.fixture
def no_bwrap(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine without bubblewrap: nothing on PATH (pytester starts pytest by its full path)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.mark.bwrap
@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_hostile_app_in_a_gated_run_finds_no_way_out_and_reaches_the_twin(
    project: HoldoutProject, workers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(HOSTILE_APP, project.pytester.path)
    # The key in a folder of the project, which the app may read: only the hiding keeps it out
    # (under xdist, the workers hide what the controller tells them).
    key_file = project.pytester.path / "keys" / "key.txt"
    key_file.parent.mkdir()
    shutil.copy(project.key_file, key_file)
    monkeypatch.setenv(keys.IDENTITY_FILE_VAR, str(key_file))
    _gated(project, HOSTILE_STEPS, HOSTILE_SCENARIO)
    result = project.run("--holdout-required", "-n", workers, "--holdout-json", "h.json")
    result.assert_outcomes(passed=1)
    (found,) = project.pytester.path.glob("attacks-*.json")
    attacks = json.loads(found.read_text())
    assert {name: r["refused"] for name, r in attacks.items() if name != "slack"} == {
        name: True for name in attacks if name != "slack"
    }
    assert _report(project)["meta"]["sandbox"] == "bwrap"


@pytest.mark.bwrap
def test_what_the_app_prints_goes_to_the_sealed_report_only(project: HoldoutProject) -> None:
    from pytest_holdout.reports.sealed import render

    _gated(project, LOUD_STEPS, LOUD_SCENARIO)
    sealed = project.pytester.path / "sealed.age"
    result = project.run("--holdout-required", "-s", "-rA", f"--holdout-sealed-report={sealed}")
    result.assert_outcomes(passed=1)
    assert CANARY not in result.stdout.str() + result.stderr.str()
    opened = render(sealed, [project.identity])
    assert f"{CANARY}-out" in opened and f"{CANARY}-err" in opened


@pytest.mark.usefixtures("no_bwrap")
@pytest.mark.parametrize(
    ("option", "error"),
    [
        ("--holdout-required", "*--holdout-required: bwrap not found*--holdout-sandbox=none*"),
        ("--holdout-sandbox=bwrap", "*--holdout-sandbox=bwrap: bwrap not found*"),
    ],
)
def test_a_sandbox_that_cannot_be_made_is_an_error_where_one_is_needed(
    project: HoldoutProject, option: str, error: str
) -> None:
    _gated(project, LOUD_STEPS, LOUD_SCENARIO)
    result = project.run(option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([error])


@pytest.mark.usefixtures("no_bwrap")
def test_a_gated_run_told_none_runs_unsandboxed_and_says_so(project: HoldoutProject) -> None:
    _gated(project, LOUD_STEPS, LOUD_SCENARIO)
    result = project.run("--holdout-required", "--holdout-sandbox=none", "--holdout-json", "h.json")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*the app under test runs UNSANDBOXED*", "*UNSANDBOXED: the app under test ran*"]
    )
    assert _report(project)["meta"]["sandbox"] == "none"


@pytest.mark.usefixtures("no_bwrap")
def test_elsewhere_a_missing_sandbox_is_a_warning(project: HoldoutProject) -> None:
    _gated(project, LOUD_STEPS, LOUD_SCENARIO)
    result = project.run("--holdout-json", "h.json")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*the app under test runs unsandboxed: bwrap not found*"])
    assert _report(project)["meta"]["sandbox"] == "none"


@pytest.mark.bwrap
def test_an_ordinary_test_can_start_a_server_and_sees_its_output(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_server=f"""
        import sys
        import urllib.request

        SERVER = (
            "from http.server import HTTPServer, BaseHTTPRequestHandler\\n"
            "class Hello(BaseHTTPRequestHandler):\\n"
            "    def do_GET(self):\\n"
            "        self.send_response(200); self.end_headers(); self.wfile.write(b'hello')\\n"
            "HTTPServer(('127.0.0.1', 8080), Hello).serve_forever()\\n"
        )

        def test_server(holdout_sut):
            app = holdout_sut([{sys.executable!r}, "-c", SERVER], expose=[8080])
            app.wait_listening(8080)
            assert urllib.request.urlopen(app.url(8080)).read() == b"hello"
            assert app.returncode is None
            assert False, "show the captured output"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*holdout_sut #1*exit 143*stderr*", '*"GET / HTTP/1.1" 200*'])


def test_the_option_takes_three_modes(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--holdout-sandbox=docker")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid choice: 'docker'*auto*bwrap*none*"])


@pytest.mark.bwrap
def test_over_tls_the_app_reads_the_twins_certificate_and_trusts_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_tls=f"""
        import sys

        CODE = '''
        import json, sys, urllib.request
        url, token = sys.argv[1], sys.argv[2]
        request = urllib.request.Request(
            url + "/api/auth.test", data=b"", headers={{"Authorization": "Bearer " + token}}
        )
        print(json.load(urllib.request.urlopen(request, timeout=10))["ok"])
        '''

        def test_tls(twin, holdout_sut):
            slack = twin("slack")
            assert slack.base_url.startswith("https://")
            app = holdout_sut(
                [{sys.executable!r}, "-c", CODE, slack.base_url, slack.token],
                env={{"SSL_CERT_FILE": str(slack.ca_file)}},
            )
            assert app.wait(60) == 0, app.stderr
            assert app.stdout == "True\\n"
        """
    )
    # The CA's folder outside the project, in /tmp: the app sees its certificate, nothing else.
    basetemp = pytester.path.parent / f"{pytester.path.name}-basetemp"
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", "--twin-tls", f"--basetemp={basetemp}"
    )
    result.assert_outcomes(passed=1)
