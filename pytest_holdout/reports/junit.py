"""How holdout trials appear in JUnit XML (``--holdout-junit``), so that a CI system reading the
XML agrees with the exit status.

``gate`` (the default): with a gate, a trial that did not satisfy is not a test failure, since
the gate decides. Its ``<failure>`` or ``<error>`` becomes ``<skipped type="holdout.unsatisfied">``
with the same public message (as pytest reports an expected failure), and one more testcase,
``holdout.gate``, passes or fails with the gate; where a shard only records its gate, that
testcase is skipped with the gate's sentence. ``failures``: every unsatisfied trial stays the
``<failure>`` pytest wrote (for dashboards that count them); the gate's testcase is added all the
same. Without a gate, failed trials fail the session, the XML already says so, and nothing
changes.

pytest has no hook to change a testcase, so this edits the elements its junitxml plugin built
(``LogXML``: each finished testcase's element, its counters), before that plugin writes the
file at the end of the session.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Collection
from typing import Any

from pytest_holdout.reports.scoring import GateResult

MODES = ("gate", "failures")
_TRIAL = re.compile(r"(?P<id>S-[0-9a-f]+-\d+)(\[t\d+\])?")


def agree_with_gate(xml: Any, gate: GateResult, scenario_ids: Collection[str], mode: str) -> None:
    """Make ``xml`` (pytest's ``LogXML``) say what the gate decided (see the module)."""
    if not gate.enabled:
        return
    if mode == "gate":
        for testcase in _finished_testcases(xml):
            match = _TRIAL.fullmatch(testcase.get("name", ""))
            if match is not None and match.group("id") in scenario_ids:
                _as_expected_failure(xml, testcase)
    _add_gate_testcase(xml, gate)


def _finished_testcases(xml: Any) -> list[ET.Element]:
    # A finished testcase's reporter returns the very element it built; others build anew.
    return [
        testcase
        for reporter in xml.node_reporters_ordered
        if (testcase := reporter.to_xml()) is reporter.to_xml()
    ]


def _as_expected_failure(xml: Any, testcase: ET.Element) -> None:
    for child in testcase:
        if child.tag in ("failure", "error"):
            xml.stats[child.tag] -= 1
            xml.stats["skipped"] += 1
            message = child.get("message", "")
            child.tag = "skipped"
            child.attrib = {"type": "holdout.unsatisfied", "message": message}


def _add_gate_testcase(xml: Any, gate: GateResult) -> None:
    reporter = xml.node_reporter("holdout::gate")
    reporter.attrs.update(classname=".".join(filter(None, [xml.prefix, "holdout"])), name="gate")
    if not gate.enforced:
        reporter.append(ET.Element("skipped", type="holdout.gate", message=gate.sentence))
    elif gate.passed:
        xml.add_stats("passed")
    else:
        reporter.append(ET.Element("failure", message=gate.sentence))
