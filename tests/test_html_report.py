"""``holdout report open --html``: the page a keyholder opens, as the file and in a real browser.

The browser is Debian's Chromium (``/usr/bin/chromium``, installed by .ci/run) driven by
Playwright; without it the browser tests skip and say why.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from pytest_holdout.cli import main as cli
from pytest_holdout.outcomes.records import StepDetail, TrialDetail, TrialOutcome
from pytest_holdout.reports.json_report import build_report
from pytest_holdout.reports.scoring import evaluate_gate, score
from pytest_holdout.reports.sealed import seal_detail, write_sealed
from pytest_holdout.store.files import Store

from test_docs_examples import DOCS, run_shell_example

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FIGURE = DOCS / "figures" / "html-report.png"

# What the app under test might print to attack whoever reads its output: if any of it ran, it
# would set window.pwned, open a dialog or fetch "x".
PLANTED = (
    "<script>window.pwned = 1; alert(1)</script>"
    '<img src="x" onerror="window.pwned = 2; alert(2)">'
    "</pre></details><script>window.pwned = 3</script>"
)


def _trial(item_id: str, trial: int, failed: bool) -> TrialDetail:
    then = StepDetail(
        "Then",
        f"the reply says {PLANTED}",
        "failed" if failed else "passed",
        duration=0.0042,
        definition="steps/replies.py:12",
        error=f"AssertionError: got {PLANTED}" if failed else None,
    )
    return TrialDetail(
        item_id=item_id,
        trial=trial,
        feature="Access requests",
        scenario=f"A request is answered {PLANTED}",
        tags=["spec:AB-7", '"><img src=x onerror=alert(3)>'],
        steps=[StepDetail("Given", "the bot is running", "passed", duration=0.5), then],
        stdout=f"bot: replying\n{PLANTED}\n",
        stderr="bot: done\n",
        judge_reasons=[f"the reply does not answer {PLANTED}"] if failed else [],
    )


@pytest.fixture
def hostile_report(tmp_path: Path, store: Store) -> Path:
    """A sealed report of 3 scenarios, the second failing, every text carrying ``PLANTED``."""
    outcomes = [
        TrialOutcome(f"S-00000000000{n}-1", 1, "unsatisfied" if n == 2 else "satisfied")
        for n in (1, 2, 3)
    ]
    report = build_report(
        outcomes,
        disclosure="ids",
        gate=evaluate_gate(score(outcomes), 0.9, "point"),
        meta={},
    )
    recipients = store.recipients()
    details = [
        seal_detail(_trial(o.item_id, 1, o.status != "satisfied"), recipients) for o in outcomes
    ]
    path = tmp_path / "report.age"
    write_sealed(path, {"report": report, "details": details}, recipients)
    return path


def _tags(page: str) -> dict[str, set[str]]:
    """Every element of ``page`` by tag, with the names of the attributes it ever has."""
    found: dict[str, set[str]] = {}

    class Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.setdefault(tag, set()).update(name for name, _ in attrs)

    Parser().feed(page)
    return found


def _open_html(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["report", "open", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _page(capsys: pytest.CaptureFixture[str], report: Path, out: Path, *options: str) -> str:
    """The page ``holdout report open --html OUT`` writes of ``report``."""
    assert _open_html(capsys, *options, "--html", str(out), str(report))[0] == 0
    return out.read_text()


# -- the file ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("holdout_env")
def test_the_page_is_only_its_owners_whatever_the_umask_and_the_file_before(
    capsys: pytest.CaptureFixture[str], hostile_report: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    out.write_text("an older page\n")
    out.chmod(0o644)
    before = os.umask(0)
    try:
        code, printed, err = _open_html(capsys, "--html", str(out), str(hostile_report))
    finally:
        os.umask(before)
    assert (code, err) == (0, "")
    assert printed == f"wrote {out} (secret: readable by you only; delete it when done)\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file


@pytest.mark.usefixtures("holdout_env")
def test_every_text_is_escaped_and_the_page_can_run_or_load_nothing(
    capsys: pytest.CaptureFixture[str], hostile_report: Path, tmp_path: Path
) -> None:
    page = _page(capsys, hostile_report, tmp_path / "report.html")
    tags = _tags(page)
    assert {"script", "img", "iframe", "object", "embed", "link", "base", "form"}.isdisjoint(tags)
    attributes = {name for attrs in tags.values() for name in attrs}
    assert not [name for name in attributes if name.startswith("on")], "no event handler"
    assert {"src", "href", "action", "style"}.isdisjoint(attributes), "nothing to load"
    assert "&lt;script&gt;window.pwned = 1; alert(1)&lt;/script&gt;" in page
    (csp,) = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert csp.startswith("default-src 'none'; style-src 'sha256-")
    assert "script-src" not in csp  # default-src 'none' forbids every script


@pytest.mark.usefixtures("holdout_env")
def test_failures_come_first_and_failed_keeps_only_them(
    capsys: pytest.CaptureFixture[str], hostile_report: Path, tmp_path: Path
) -> None:
    page = _page(capsys, hostile_report, tmp_path / "report.html")
    ids = re.findall(r"<code>(S-\w+-1)</code>", page)
    assert ids == ["S-000000000002-1", "S-000000000001-1", "S-000000000003-1"]
    assert page.index('id="secret"') < page.index('id="failures"') < page.index('id="trials"')
    failed = _page(capsys, hostile_report, tmp_path / "report.html", "--failed")
    assert re.findall(r"<code>(S-\w+-1)</code>", failed) == ["S-000000000002-1"]


@pytest.mark.usefixtures("holdout_env")
def test_history_goes_with_html_only(
    capsys: pytest.CaptureFixture[str], hostile_report: Path, tmp_path: Path
) -> None:
    code, out, err = _open_html(capsys, "--history", "h.jsonl", str(hostile_report))
    assert (code, out) == (2, "")
    assert err == (
        "holdout: open --history: give --html OUT too (the trend is drawn on the page)\n"
    )


# -- in a browser -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"no {CHROMIUM}: apt-get install chromium (.ci/run does)")
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Opened:
    """A page loaded in the browser, with everything it did while loading."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page(viewport={"width": 1100, "height": 900})
        self.console: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri())
        self.url = path.as_uri()


@pytest.fixture(scope="module")
def docs_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/reports.md's HTML report example, run as written."""
    project = tmp_path_factory.mktemp("docs") / "project"
    project.mkdir()
    done = run_shell_example(
        "reports.md",
        r'holdout init -r "\$\(holdout keygen.*?--html.*?',
        project,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.endswith(
        "wrote report.html (secret: readable by you only; delete it when done)\n"
    )
    return project / "report.html"


@pytest.mark.slow  # the docs example runs pytest twice; the browser takes a second or two
def test_the_docs_example_renders_failures_first_with_no_console_error(
    browser: Any, docs_example: Path, tmp_path: Path
) -> None:
    assert stat.S_IMODE(docs_example.stat().st_mode) == 0o600
    opened = Opened(browser, docs_example)
    page = opened.page
    assert opened.console == [] and opened.requests == [opened.url]
    assert page.locator("#secret").is_visible()
    assert page.locator("#secret").inner_text().startswith("SECRET: this page holds")
    sections = page.locator("main > section").evaluate_all("nodes => nodes.map(n => n.id)")
    assert sections[0] == "failures"
    failures = page.locator("#failures")
    box = failures.bounding_box()
    assert failures.is_visible() and box is not None and box["y"] < 900  # on the first screen
    text = failures.inner_text()
    assert "A refund in two parts" in text and "AssertionError: assert 4 == 10" in text
    assert "refund service: 6 EUR asked, 4 EUR refunded" in text  # captured output
    assert "A full refund" not in text
    assert page.locator("#trend svg").is_visible()
    shot = tmp_path / "html-report.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG")
    if os.environ.get("HOLDOUT_UPDATE_FIGURES") == "1":
        shutil.copyfile(shot, FIGURE)
    page.close()


def test_the_docs_show_the_screenshot() -> None:
    assert "](figures/html-report.png)" in (DOCS / "reports.md").read_text()
    assert FIGURE.read_bytes().startswith(b"\x89PNG")


@pytest.mark.usefixtures("holdout_env")
def test_what_the_app_printed_shows_as_text_and_never_runs(
    browser: Any, capsys: pytest.CaptureFixture[str], hostile_report: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    assert _open_html(capsys, "--html", str(out), str(hostile_report))[0] == 0
    opened = Opened(browser, out)
    page = opened.page
    assert opened.console == [] and opened.dialogs == []
    assert opened.requests == [opened.url], "the planted <img> fetched nothing"
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator("script, img").count() == 0
    failures = page.locator("#failures")
    assert failures.is_visible()
    shown = failures.inner_text()
    assert PLANTED in shown  # the scenario's name, a step, the traceback, the output: as text
    assert shown.count(PLANTED) >= 5
    assert page.locator("#failures details[open] pre").count() >= 3
    page.close()
