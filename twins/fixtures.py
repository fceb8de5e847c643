"""pytest fixtures for the twins (the ``holdout_twins`` pytest11 plugin).

``twin("slack")`` gives a running twin, reset for the current test. Servers start on first use,
once per process (so once per xdist worker), and stop when the session ends::

    def test_post(twin):
        slack = twin("slack")
        WebClient(token=slack.token, base_url=slack.base_url + "/api/").chat_postMessage(...)
        assert slack.journal.calls("chat.postMessage")

With ``--twin-tls`` the twins serve https; ``twin.ca_file`` is the certificate to trust.

Each twin starts from its own ``seed.yaml`` unless the ``twin_seed_data`` fixture, which a
project overrides in a conftest or step module, names other seed data for it (a mapping, or the
path of a YAML or JSON file).

The seed and chaos come from the holdout plugin when it runs a scenario trial: a ``holdout_seed``
fixture resets the twins under that seed, a ``holdout_chaos`` rate above 0 turns on random
faults for the test. Without them the seed is 0 and chaos is off.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from holdout_twins import TWINS, twin_class

if TYPE_CHECKING:
    # Imported where a twin starts: this plugin loads in every pytest run, most of which start
    # none (the twins' core, with its TLS, is a measurable share of pytest's start-up).
    from holdout_twins.core import LocalCA, Twin

# What ``twin_seed_data`` gives for one twin: the seed data, or the file holding it.
SeedSource = Mapping[str, Any] | str | os.PathLike[str]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("holdout_twins", "digital twins")
    group.addoption(
        "--twin-tls",
        action="store_true",
        default=None,
        help="serve the twins over https, with a certificate from a CA made for the session "
        "(twin.ca_file is the file to trust)",
    )
    parser.addini("twin_tls", "serve the twins over https (like --twin-tls)", type="bool")


class TwinPool:
    """The twins running in this process, by name, each started on first request (over https
    with a certificate from ``tls`` when given), from ``seed_data[name]`` when given."""

    def __init__(
        self, tls: LocalCA | None = None, seed_data: Mapping[str, SeedSource] | None = None
    ) -> None:
        self._running: dict[str, Twin] = {}
        self.tls = tls
        self.seed_data = dict(seed_data or {})

    def get(self, name: str) -> Twin:
        if name not in self._running:
            source = self.seed_data.get(name)
            if isinstance(source, (str, os.PathLike)):
                from holdout_twins.core.seed import load_seed

                source = load_seed(source)
            self._running[name] = twin_class(name)(seed_data=source).start(tls=self.tls)
        return self._running[name]

    def stop_all(self) -> None:
        for running in self._running.values():
            running.stop()
        self._running.clear()


class TwinFactory:
    """``twin(name)``: that twin, running, reset under the test's seed on its first use in the
    test. ``used`` holds the twins the test has used, by name (a judge reads their journals)."""

    def __init__(self, pool: TwinPool, seed: int, chaos: float) -> None:
        self._pool, self._seed, self._chaos = pool, seed, chaos
        self.used: dict[str, Twin] = {}

    def __call__(self, name: str) -> Twin:
        if name not in self.used:
            running = self._pool.get(name)
            running.reset(self._seed)
            if self._chaos > 0:
                running.faults.chaos(self._chaos)
            self.used[name] = running
        return self.used[name]


class TwinSet:
    """The ``twins`` fixture: ``twins.slack`` or ``twins["slack"]``, started and reset on use."""

    def __init__(self, factory: TwinFactory) -> None:
        self._factory = factory

    def __getitem__(self, name: str) -> Twin:
        return self._factory(name)

    def __getattr__(self, name: str) -> Twin:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._factory(name)


def _optional_fixture(request: pytest.FixtureRequest, name: str, default: Any) -> Any:
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        return default


@pytest.fixture(scope="session")
def twin_seed_data() -> Mapping[str, SeedSource]:
    """The seed data of each twin, by name: a mapping or a YAML/JSON file's path. Empty here (each
    twin starts from its own ``seed.yaml``); override it in a conftest or step module::

        @pytest.fixture(scope="session")
        def twin_seed_data():
            return {"slack": Path(__file__).parent / "seed" / "slack.yaml"}
    """
    return {}


@pytest.fixture(scope="session")
def twin_pool(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    twin_seed_data: Mapping[str, SeedSource],
) -> Iterator[TwinPool]:
    """Every twin started in this process; stopped at the end of the session. With
    ``--twin-tls`` (or ``twin_tls = true``) they serve https, with a CA of the session's own in
    a temporary directory (one per xdist worker)."""
    option = request.config.getoption("twin_tls")
    tls_wanted = request.config.getini("twin_tls") if option is None else option
    tls = None
    if tls_wanted:
        from holdout_twins.core import LocalCA

        tls = LocalCA.ensure(tmp_path_factory.mktemp("twin-tls"))
    pool = TwinPool(tls, twin_seed_data)
    yield pool
    pool.stop_all()


@pytest.fixture
def twin(request: pytest.FixtureRequest, twin_pool: TwinPool) -> Iterator[TwinFactory]:
    """A factory: ``twin(name)`` is that twin, running, reset under the test's seed."""
    seed = int(_optional_fixture(request, "holdout_seed", 0))
    chaos = float(_optional_fixture(request, "holdout_chaos", 0.0))
    factory = TwinFactory(twin_pool, seed, chaos)
    yield factory
    for used in factory.used.values():  # faults must not leak into whatever runs next
        used.faults.clear()
        used.rate_limits.reset()


@pytest.fixture
def twins(twin: TwinFactory) -> TwinSet:
    """All twins by name: ``twins.slack``, ``twins["jira"]``; each reset on first use in a test."""
    return TwinSet(twin)


@pytest.hookimpl(optionalhook=True)
def pytest_holdout_pinned_files(config: pytest.Config) -> list[Path]:
    """The twins' seed data: the world every scenario starts in, pinned by the signed MANIFEST."""
    classes = [twin_class(name) for name in TWINS]
    return [cls.seed_path for cls in classes if cls.seed_path is not None]
