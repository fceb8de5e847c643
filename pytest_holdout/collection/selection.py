"""``-k``, ``-m`` and shards for a session that holds holdout items.

pytest's ``-k`` matches marker names as well as node names. A holdout item's markers are its
scenario's tags, which are secret: ``-k`` must match holdout items by their opaque ids only, or
a run of ``-k`` guesses could read tags back. For the same reason ``-m`` selects holdout items
by their tags only where the output may show scenario content (``--holdout-disclose`` steps or
full): below that, which items a tag expression keeps would tell the log which tags they carry,
so ``-m`` selects ordinary tests only. pytest offers no hook for any of this, so while holdout
items are present this module applies ``-k`` and ``-m`` itself, with pytest's own expression
language and matchers, and hides both options from pytest's built-in selection for that call.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator, Mapping

import pytest
from _pytest.mark import KeywordMatcher, MarkMatcher
from _pytest.mark.expression import Expression


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"2/3"`` -> (2, 3): shard 2 of 3, 1-based."""
    if text is None:
        return None
    index, _, count = text.partition("/")
    try:
        shard = int(index), int(count)
    except ValueError:
        shard = (0, 0)
    if not 1 <= shard[0] <= shard[1]:
        raise pytest.UsageError(f"--holdout-shard={text}: expected I/N with 1 <= I <= N, e.g. 1/3")
    return shard


def shard_of(item_id: str, count: int) -> int:
    """The shard, 1 to ``count``, that runs ``item_id`` under ``--holdout-shard I/count``.

    A hash of the id alone (not Python's ``hash``, which changes from process to process): every
    machine computes the same split without talking to the others, all trials of a scenario go
    together, and adding a scenario never moves another one to a different shard.
    """
    digest = hashlib.sha256(item_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def expected_trials(
    counts: Mapping[str, int], trials: int, shard: tuple[int, int] | None
) -> set[tuple[str, int]]:
    """Every ``(scenario id, trial)`` that files holding ``counts`` scenarios imply, within
    ``shard``: what a gated run owes the score, run or not."""
    return {
        (f"{file_id}-{index}", trial)
        for file_id, count in counts.items()
        for index in range(1, count + 1)
        if shard is None or shard_of(f"{file_id}-{index}", shard[1]) == shard[0]
        for trial in range(1, trials + 1)
    }


def keep_shard(
    items: list[pytest.Item],
    config: pytest.Config,
    shard: tuple[int, int],
    item_id: Callable[[pytest.Item], str | None],
) -> None:
    """Deselect the holdout items of other shards; ordinary tests are left to the user."""
    index, count = shard
    remaining, deselected = [], []
    for item in items:
        scenario = item_id(item)
        keep = scenario is None or shard_of(scenario, count) == index
        (remaining if keep else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = remaining


def _compile(text: str, option: str) -> Expression | None:
    text = text.strip()
    if not text:
        return None
    try:
        return Expression.compile(text)
    except SyntaxError as exc:
        raise pytest.UsageError(
            f"Wrong expression passed to '{option}': {exc.text}: at column {exc.offset}: {exc.msg}"
        ) from None


def _node_names(item: pytest.Item) -> KeywordMatcher:
    names = {
        node.name
        for node in item.listchain()
        if not isinstance(node, pytest.Session)
        and not (isinstance(node, pytest.Directory) and isinstance(node.parent, pytest.Session))
    }
    return KeywordMatcher(frozenset(names))


def select(
    items: list[pytest.Item],
    config: pytest.Config,
    is_holdout: Callable[[pytest.Item], bool],
    by_tags: bool,
) -> Generator[None, None, None]:
    """Body of a ``pytest_collection_modifyitems`` wrapper: select, then let the others run.
    ``by_tags``: whether ``-m`` applies to holdout items (see the module's docstring)."""
    option = config.option
    keyword, markexpr = getattr(option, "keyword", ""), getattr(option, "markexpr", "")
    if not any(is_holdout(item) for item in items) or not (keyword or markexpr):
        yield
        return
    by_keyword = _compile(keyword, "-k")
    by_mark = _compile(markexpr, "-m")
    remaining, deselected = [], []
    for item in items:
        holdout = is_holdout(item)
        keywords = _node_names(item) if holdout else KeywordMatcher.from_item(item)
        keep = (by_keyword is None or by_keyword.evaluate(keywords)) and (
            by_mark is None
            or (holdout and not by_tags)
            or by_mark.evaluate(MarkMatcher.from_markers(item.iter_markers()))
        )
        (remaining if keep else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = remaining
    option.keyword, option.markexpr = "", ""
    try:
        yield
    finally:
        option.keyword, option.markexpr = keyword, markexpr
