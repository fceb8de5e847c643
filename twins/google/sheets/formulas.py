"""A small formula evaluator: what simple sheets use, computed whenever a value is read.

Numbers, ``"text"``, ``TRUE``/``FALSE``, references (``A1``, ``$B$2``, ``'Other sheet'!C3``,
ranges ``A1:B3``, ``A:A``), the operators ``+ - * / ^ &`` and ``= <> < <= > >=``, parentheses,
and the functions ``SUM``, ``AVERAGE``, ``MIN``, ``MAX``, ``COUNT`` and ``COUNTA``. Errors are
Sheets' own: ``#DIV/0!``, ``#VALUE!``, ``#REF!`` (a missing sheet, a circular reference),
``#NAME?`` (an unknown function) and ``#ERROR!`` (a formula that does not parse).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from holdout_twins.google.sheets import a1
from holdout_twins.google.sheets.grid import Formula, Sheet, Spreadsheet


@dataclass(frozen=True)
class CellError:
    code: str  # "#DIV/0!"


@dataclass(frozen=True)
class Cells:
    """A range's values, row by row (a reference to more than one cell)."""

    values: list[Value]


Value = float | str | bool | None | CellError

_SHEET = r"(?:'(?:[^']|'')*'|[A-Za-z_][A-Za-z0-9_.]*)!"
_CELL = r"\$?[A-Za-z]{1,3}\$?[0-9]+"
# A1, A1:B2, A2:B (open below), A:B
_AREA = rf"{_CELL}(?::\$?[A-Za-z]{{1,3}}\$?[0-9]*)?|\$?[A-Za-z]{{1,3}}:\$?[A-Za-z]{{1,3}}"
_TOKEN = re.compile(
    rf"""\s*(?:
    (?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<string>"(?:[^"]|"")*")
  | (?P<function>[A-Za-z_][A-Za-z0-9_.]*)\s*\(
  | (?P<reference>(?:{_SHEET})?(?:{_AREA}))
  | (?P<boolean>TRUE|FALSE)\b
  | (?P<operator><>|<=|>=|[-+*/^&=<>(),])
    )""",
    re.X | re.I,
)
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "^": operator.pow,
}
_BINDING = {"=": 1, "<>": 1, "<": 1, "<=": 1, ">": 1, ">=": 1, "&": 2, "+": 3, "-": 3}
_BINDING.update({"*": 4, "/": 4, "^": 5})


class _Unparsable(Exception):
    pass


@dataclass
class Evaluator:
    """Evaluates the formulas of one spreadsheet, each cell once per read (``cache``)."""

    spreadsheet: Spreadsheet
    cache: dict[tuple[int, int, int], Value] = field(default_factory=dict)
    _visiting: set[tuple[int, int, int]] = field(default_factory=set)

    def value(self, sheet: Sheet, row: int, column: int) -> Value:
        """A cell's value: what was entered, or what its formula computes."""
        entered = sheet.cells.get((row, column))
        if not isinstance(entered, Formula):
            return float(entered) if _is_number(entered) else entered  # type: ignore[arg-type]
        key = (sheet.sheet_id, row, column)
        if key in self.cache:
            return self.cache[key]
        if key in self._visiting:
            return CellError("#REF!")  # a circular dependency
        self._visiting.add(key)
        try:
            result = self.evaluate(sheet, entered.text)
        finally:
            self._visiting.discard(key)
        self.cache[key] = result
        return result

    def evaluate(self, sheet: Sheet, formula: str) -> Value:
        try:
            tokens = _tokens(formula[1:] if formula.startswith("=") else formula)
            tree, position = _parse(tokens, 0, 0)
            if position != len(tokens):
                raise _Unparsable
        except _Unparsable:
            return CellError("#ERROR!")
        result = self._run(tree, sheet)
        if isinstance(result, Cells):
            return result.values[0] if len(result.values) == 1 else CellError("#VALUE!")
        return result

    # --- evaluation -------------------------------------------------------------------------------
    def _run(self, node: tuple[Any, ...], sheet: Sheet) -> Value | Cells:
        kind = node[0]
        if kind == "literal":
            return node[1]
        if kind == "reference":
            return self._reference(node[1], sheet)
        if kind == "negate":
            number = _number(self._run(node[1], sheet))
            return number if isinstance(number, CellError) else -number
        if kind == "call":
            return self._call(node[1], [self._run(argument, sheet) for argument in node[2]])
        return self._operate(node[1], self._run(node[2], sheet), self._run(node[3], sheet))

    def _reference(self, text: str, sheet: Sheet) -> Value | Cells:
        try:
            cells = a1.parse(self.spreadsheet, text.replace("$", ""), default=sheet).clipped()
        except a1.RangeError:
            return CellError("#REF!")
        return Cells(
            [
                self.value(cells.sheet, row, column)
                for row in range(cells.top, cells.bottom)
                for column in range(cells.left, cells.right)
            ]
        )

    def _operate(self, symbol: str, left: Value | Cells, right: Value | Cells) -> Value:
        left, right = _single(left), _single(right)
        for each in (left, right):
            if isinstance(each, CellError):
                return each
        if symbol == "&":
            return _text(left) + _text(right)
        if symbol in _COMPARISONS:
            return _compare(symbol, left, right)
        a, b = _number(left), _number(right)
        if isinstance(a, CellError):
            return a
        if isinstance(b, CellError):
            return b
        if symbol == "/" and b == 0:
            return CellError("#DIV/0!")
        try:
            return float(_ARITHMETIC[symbol](a, b))
        except (OverflowError, ZeroDivisionError, TypeError):
            return CellError("#NUM!")

    def _call(self, name: str, arguments: list[Value | Cells]) -> Value:
        function = _FUNCTIONS.get(name.upper())
        if function is None:
            return CellError("#NAME?")
        values: list[Value] = []
        for argument in arguments:
            if isinstance(argument, Cells):
                values.extend(argument.values)  # text and booleans in a range are skipped below
            elif isinstance(argument, CellError):
                return argument
            elif argument is not None:
                counting = name.upper() in ("COUNT", "COUNTA")  # they count, not convert
                values.append(argument if counting else _number(argument))
        for each in values:
            if isinstance(each, CellError):
                return each
        return function(values)


def _average(numbers: list[float]) -> Value:
    return sum(numbers) / len(numbers) if numbers else CellError("#DIV/0!")


def _numbers(function: Callable[[list[float]], Value]) -> Callable[[list[Value]], Value]:
    def over(values: list[Value]) -> Value:
        return function([float(each) for each in values if _is_number(each)])  # type: ignore[arg-type]

    return over


_FUNCTIONS: dict[str, Callable[[list[Value]], Value]] = {
    "SUM": _numbers(lambda numbers: float(sum(numbers))),
    "AVERAGE": _numbers(_average),
    "MIN": _numbers(lambda numbers: min(numbers, default=0.0)),
    "MAX": _numbers(lambda numbers: max(numbers, default=0.0)),
    "COUNT": _numbers(lambda numbers: float(len(numbers))),
    "COUNTA": lambda values: float(sum(1 for each in values if each not in (None, ""))),
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _single(value: Value | Cells) -> Value:
    if isinstance(value, Cells):
        return value.values[0] if len(value.values) == 1 else CellError("#VALUE!")
    return value


def _number(value: Value | Cells) -> float | CellError:
    value = _single(value)
    if isinstance(value, CellError):
        return value
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.replace(",", "")) if value.strip() else 0.0
        except ValueError:
            return CellError("#VALUE!")
    return float(value)


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _compare(symbol: str, left: Value, right: Value) -> Value:
    """Numbers before text before booleans, text ignoring case, as Sheets orders them."""

    def key(value: Value) -> tuple[int, Any]:
        if value is None:
            return (0, 0.0)
        if isinstance(value, bool):
            return (2, value)
        if isinstance(value, str):
            return (1, value.casefold())
        return (0, float(value))  # type: ignore[arg-type]

    return _COMPARISONS[symbol](key(left), key(right))


# --- parsing: tokens, then precedence climbing into tuples ----------------------------------------
def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        if not text[position:].strip():
            break
        found = _TOKEN.match(text, position)
        if found is None:
            raise _Unparsable
        kind = found.lastgroup or ""
        tokens.append((kind, found.group(kind)))
        position = found.end()
    return tokens


def _parse(tokens: list[tuple[str, str]], position: int, binding: int) -> tuple[Any, int]:
    left, position = _operand(tokens, position)
    while position < len(tokens):
        kind, symbol = tokens[position]
        strength = _BINDING.get(symbol, 0) if kind == "operator" else 0
        if strength <= binding:
            break
        right, position = _parse(tokens, position + 1, strength)  # left to right, ^ too
        left = ("operator", symbol, left, right)
    return left, position


def _operand(tokens: list[tuple[str, str]], position: int) -> tuple[Any, int]:
    if position >= len(tokens):
        raise _Unparsable
    kind, text = tokens[position]
    if kind == "number":
        return ("literal", float(text)), position + 1
    if kind == "string":
        return ("literal", text[1:-1].replace('""', '"')), position + 1
    if kind == "boolean":
        return ("literal", text.upper() == "TRUE"), position + 1
    if kind == "reference":
        return ("reference", text), position + 1
    if kind == "function":
        return _arguments(tokens, position + 1, text)
    if text in ("-", "+"):
        operand, position = _parse(tokens, position + 1, _BINDING["^"])  # -2^2 is 4
        return (("negate", operand) if text == "-" else operand), position
    if text == "(":
        inner, position = _parse(tokens, position + 1, 0)
        if position >= len(tokens) or tokens[position][1] != ")":
            raise _Unparsable
        return inner, position + 1
    raise _Unparsable


def _arguments(tokens: list[tuple[str, str]], position: int, name: str) -> tuple[Any, int]:
    arguments = []
    if position < len(tokens) and tokens[position][1] == ")":
        return ("call", name, arguments), position + 1
    while True:
        argument, position = _parse(tokens, position, 0)
        arguments.append(argument)
        if position >= len(tokens):
            raise _Unparsable
        if tokens[position][1] == ")":
            return ("call", name, arguments), position + 1
        if tokens[position][1] != ",":
            raise _Unparsable
        position += 1
