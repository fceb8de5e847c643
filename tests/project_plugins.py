"""The pytest plugins a holdout project has."""

from __future__ import annotations

# The plugins a holdout project has. Every pytest this suite starts (pytester's subprocesses, the
# loop's gated runs, the docs' examples) loads these and no other: schemathesis's, hypothesis's
# and anyio's pytest plugins, which the test extra installs, cost about 3 s of start-up a process,
# which the suite pays hundreds of times.
PROJECT_PLUGINS = {
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    "PYTEST_PLUGINS": ",".join(
        (
            "pytest_holdout.plugin",
            "holdout_twins.fixtures",
            "xdist.plugin",
            "xdist.looponfail",
            "pytest_reportlog.plugin",
        )
    ),
}
