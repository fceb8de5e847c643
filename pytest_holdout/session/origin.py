"""What a gated run takes from where: its verdict's settings from its own command line only.

Everything in the repository is the code under test's to change, pytest's configuration too:
``addopts`` and other ini values, a ``conftest.py`` that edits ``config.option``, ``testpaths``,
``collect_ignore``. So in a gated run (``--holdout-required``) a setting that chooses which
holdout trials run, how often or in which order, raises disclosure above ``ids``, or shapes the
judge or the gate, is refused unless the gated job's own command line
(``config.invocation_params``) gave it. ``PYTEST_ADDOPTS`` is refused too: it is not the command
line, and a repository's tox or CI configuration can set it.

The check compares the options pytest ended up with against the same parser run over the command
line alone, so it sees every source at once, whatever the order plugins ran in.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import shlex
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_holdout.outcomes.disclosure import Disclosure

# Options that shape which holdout trials run, how they are judged and gated, or what the app
# under test can reach: refused from the repository whatever their value.
# (dests, the flag named in the error)
VERDICT_OPTIONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("keyword",), "-k"),
    (("maxfail",), "--maxfail (or -x)"),
    (("lf", "last_failed_no_failures"), "--lf"),
    (("failedfirst",), "--ff"),
    (("newfirst",), "--nf"),
    (("stepwise", "stepwise_skip"), "--stepwise (--sw)"),
    (("keepduplicates",), "--keep-duplicates"),
    (("holdout_shard",), "--holdout-shard"),
    (("holdout_trials",), "--holdout-trials"),
    (("holdout_seed",), "--holdout-seed"),
    (("holdout_chaos",), "--holdout-chaos"),
    (("holdout_min_satisfaction",), "--holdout-min-satisfaction"),
    (("holdout_gate",), "--holdout-gate"),
    (("holdout_judge_model",), "--holdout-judge-model"),
    (("holdout_judge_votes",), "--holdout-judge-votes"),
    (("holdout_judge_temperature",), "--holdout-judge-temperature"),
    (("holdout_sandbox",), "--holdout-sandbox"),  # =none would let the app read the key
)
# ini values that stand in for an option above when the command line does not give it.
VERDICT_INI = {
    "holdout_trials": "holdout_trials",
    "holdout_judge_model": "holdout_judge_model",
    "holdout_judge_votes": "holdout_judge_votes",
    "holdout_judge_temperature": "holdout_judge_temperature",
}

WHY = (
    "In a gated run, what chooses, repeats or re-orders holdout trials, raises disclosure, "
    "shapes the judge or the gate, or sandboxes the app must be on the gated job's own "
    "command line."
)


@dataclass(frozen=True)
class Sources:
    """The options as each source leaves them: the command line alone, with ``PYTEST_ADDOPTS``
    before it, and with the ini file's ``addopts`` before that (pytest's own order)."""

    command_line: argparse.Namespace
    with_environment: argparse.Namespace
    with_addopts: argparse.Namespace
    inifile: str

    @classmethod
    def of(cls, config: pytest.Config) -> Sources:
        parser = config._parser
        args = [str(arg) for arg in config.invocation_params.args]
        environment = shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))
        addopts = [str(arg) for arg in config.getini("addopts")]
        return cls(
            command_line=parser.parse_known_args(args),
            with_environment=parser.parse_known_args(environment + args),
            with_addopts=parser.parse_known_args(addopts + environment + args),
            inifile=config.inipath.name if config.inipath else "the ini file",
        )

    def origin(self, config: pytest.Config, dests: tuple[str, ...]) -> str | None:
        """Where the value of ``dests`` came from; None for the command line."""
        final = _values(config.option, dests)
        if _same(final, _values(self.command_line, dests)):
            return None
        if not _same(final, _values(self.with_addopts, dests)):
            return "a conftest or plugin (it changed config.option)"
        if not _same(_values(self.with_environment, dests), _values(self.command_line, dests)):
            return "PYTEST_ADDOPTS"
        return f"addopts in {self.inifile} (the repository's configuration)"

    def added(self, config: pytest.Config, dest: str) -> Iterator[tuple[str, str]]:
        """The values of list option ``dest`` that the command line did not give, each with
        where it came from."""
        extra = Counter(getattr(config.option, dest, None) or [])
        extra.subtract(getattr(self.command_line, dest, None) or [])
        origin = self.origin(config, (dest,)) or ""
        for value, times in extra.items():
            if times > 0:
                yield str(value), origin


def refuse_repository_settings(config: pytest.Config, store: Path, by_tags: bool) -> None:
    """Raise ``pytest.UsageError`` naming the first setting of a gated run that the command
    line did not give. ``by_tags``: whether ``-m`` selects holdout items at this disclosure."""
    sources = Sources.of(config)
    # As the options stand now, which a conftest may have changed after the run read them.
    disclosure = Disclosure.parse(config.getoption("holdout_disclose"))
    for dests, flag in VERDICT_OPTIONS:
        _refuse(flag, sources.origin(config, dests))
    if by_tags:
        _refuse("-m", sources.origin(config, ("markexpr",)))
    if disclosure > Disclosure.IDS:
        _refuse(f"--holdout-disclose={disclosure}", sources.origin(config, ("holdout_disclose",)))
    for name, option in VERDICT_INI.items():
        if config.getoption(option) is None:
            _refuse(name, _ini_origin(config, sources, name))
    _refuse_selection_by_path(config, sources, store)
    _refuse_repository_judges(config)


def _refuse(what: str, origin: str | None) -> None:
    if origin is not None:
        raise pytest.UsageError(
            f"--holdout-required: {what} comes from {origin}, not from the command line. {WHY}"
        )


def _ini_origin(config: pytest.Config, sources: Sources, name: str) -> str | None:
    def named(overrides: Iterable[str] | None) -> bool:
        return any(o.split("=", 1)[0].strip() == name for o in overrides or [])

    if named(sources.command_line.override_ini):
        return None
    if named(sources.with_environment.override_ini):
        return "-o in PYTEST_ADDOPTS"
    if named(getattr(config.option, "override_ini", None)) or _in_ini_file(config, name):
        return f"{sources.inifile} (the repository's configuration)"
    return None


def _in_ini_file(config: pytest.Config, name: str) -> bool:
    # pytest 9 deprecates Config.inicfg (a warning in every gated run) and has no public way to
    # ask whether the file set a value, as opposed to its default; older pytest has no _inicfg.
    values = getattr(config, "_inicfg", None)
    return name in (config.inicfg if values is None else values)


def _refuse_selection_by_path(config: pytest.Config, sources: Sources, store: Path) -> None:
    """File arguments, ``testpaths``, ``--deselect``, ``--ignore``, ``--ignore-glob``,
    ``norecursedirs`` and conftests' ``collect_ignore`` that reach into the store."""
    store = store.resolve()
    here = config.invocation_params.dir
    for arg, origin in sources.added(config, "file_or_dir"):
        if _into_store(here, arg, store):
            _refuse(f"the file argument {arg}", origin)
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        for arg in config.args:
            if _into_store(config.rootpath, arg, store):
                _refuse(f"testpaths entry {arg}", f"{sources.inifile} (the repository's)")
    relative = _store_prefix(config.rootpath, store)
    for prefix, origin in sources.added(config, "deselect"):
        if relative is None or relative.startswith(prefix) or prefix.startswith(relative):
            _refuse(f"--deselect {prefix}", origin)
    for path, origin in sources.added(config, "ignore"):
        if _covers(store, here / path):
            _refuse(f"--ignore {path}", origin)
    for glob, origin in sources.added(config, "ignore_glob"):
        if _glob_covers(store, str(here / glob), config.rootpath):
            _refuse(f"--ignore-glob {glob}", origin)
    for pattern in config.getini("norecursedirs"):
        if any(fnmatch.fnmatch(folder.name, pattern) for folder in _folders(store, config)):
            _refuse(f"norecursedirs {pattern!r}", f"{sources.inifile} (the repository's)")
    for conftest in _conftests(config):
        folder = Path(conftest.__file__).parent
        for path in getattr(conftest, "collect_ignore", None) or []:
            if _covers(store, folder / str(path)):
                _refuse(f"collect_ignore {path!r}", f"{conftest.__file__} (a conftest)")
        for glob in getattr(conftest, "collect_ignore_glob", None) or []:
            if _glob_covers(store, str(folder / str(glob)), config.rootpath):
                _refuse(f"collect_ignore_glob {glob!r}", f"{conftest.__file__} (a conftest)")


def _refuse_repository_judges(config: pytest.Config) -> None:
    """A ``pytest_holdout_judge`` implementation in the repository's own code (a conftest, a
    step module, a plugin module in the repository) would decide judged steps itself."""
    for impl in config.pluginmanager.hook.pytest_holdout_judge.get_hookimpls():
        source = getattr(impl.plugin, "__file__", None)
        if source is None:
            continue
        path = Path(source).resolve()
        if config.rootpath in path.parents and "site-packages" not in path.parts:
            raise pytest.UsageError(
                f"--holdout-required: a pytest_holdout_judge hook in {path.name} "
                f"({path}, the repository's code) would judge the trials. In a gated run the "
                "judge is the built-in model judge or an installed plugin's."
            )


def _into_store(base: Path, arg: str, store: Path) -> bool:
    """Whether the argument names something inside the store (a file, or a node of it)."""
    path, _, node = arg.partition("::")
    target = (base / path).resolve()
    return store in target.parents or (target == store and bool(node))


def _covers(store: Path, ignored: Path) -> bool:
    """Whether ignoring ``ignored`` keeps some of the store from being collected."""
    ignored = ignored.resolve()
    return ignored == store or ignored in store.parents or store in ignored.parents


def _glob_covers(store: Path, glob: str, rootpath: Path) -> bool:
    candidates = [store, *(path for path in store.parents if rootpath in path.parents)]
    candidates += list(store.glob("*.age"))
    return any(fnmatch.fnmatch(str(path), glob) for path in candidates)


def _folders(store: Path, config: pytest.Config) -> list[Path]:
    """The store and the folders between it and the root, which pytest recurses into."""
    return [store, *(path for path in store.parents if config.rootpath in path.parents)]


def _store_prefix(rootpath: Path, store: Path) -> str | None:
    """The start of every holdout node id: the store relative to the root, as pytest writes it."""
    try:
        return store.relative_to(rootpath.resolve()).as_posix() + "/"
    except ValueError:
        return None


def _conftests(config: pytest.Config) -> list[Any]:
    return [
        plugin
        for plugin in config.pluginmanager.get_plugins()
        if getattr(plugin, "__file__", "").endswith("conftest.py")
    ]


def _values(namespace: object, dests: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(namespace, dest, None) for dest in dests)


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Equal, treating a group of flags that are all off as equal however each is spelled
    (pytest turns ``--sw`` on by itself when ``--sw-skip`` is given)."""
    if all(isinstance(x, bool) or x is None for x in a + b):
        return any(a) == any(b)
    return a == b
