"""Timeline expressions: text to syntax tree (see ``dsl.nodes``).

Precedence from tight to loose: unary ``-``, ``*`` and ``/``, ``+`` and ``-``,
comparison, ``!``, ``&&``, ``||``. Inside the first argument of ``count`` the
comparison and logical operators build an event predicate over columns instead
of timelines; inside that of ``has_existed``, ``has_existed_within`` and
``time_since`` too when the argument reads as one, else it is a timeline.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterator

from dsl.aggregates import DEFAULT_EVERY_MS, Aggregate, AggregateError, build_aggregate
from dsl.nodes import (
    And,
    Count,
    CountChanges,
    CountChangesWithin,
    CountWithin,
    DurationWhereWithin,
    FirstEventToState,
    If,
    Integral,
    Previous,
    TimeSince,
    Arithmetic,
    Compare,
    CompareTimelines,
    Constant,
    DurationInCurState,
    DurationWhere,
    FieldCompare,
    HasExisted,
    HasExistedWithin,
    LatestEventToState,
    Literal,
    Negate,
    Node,
    Not,
    Or,
    PredAnd,
    PredNot,
    PredOr,
    Ref,
    depth,
)
from dsl.errors import SpecError, did_you_mean
from dsl.units import DURATION_UNITS_MS

MAX_DEPTH = 100
"""Deepest syntax tree accepted, references expanded (keeps recursion safe)."""

_MAX_NESTING = 40
"""Deepest nesting of parentheses and function arguments."""

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?P<unit>[A-Za-z_]\w*)?
    | (?P<ident>[A-Za-z_]\w*)
    | (?P<symbol>==|!=|<=|>=|<|>|&&|\|\||!|\(|\)|,|\+|-|\*|/)
    """,
    re.VERBOSE | re.ASCII,
)
_COMPARISON_SYMBOLS = frozenset(("==", "!=", "<=", ">=", "<", ">"))
_MIRRORED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}  # c OP x is x MIRRORED[OP] c
_SYMBOL_HINTS = {"=": "==", "&": "&&", "|": "||"}
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t"}
_BOOLEANS = {"true": True, "false": False}


@dataclass(frozen=True)
class _Token:
    kind: str  # "ident", "literal", "op" (comparison), "end", or the symbol itself
    text: str
    pos: int
    value: Literal | None = None

    def describe(self) -> str:
        return "end of expression" if self.kind == "end" else f"'{self.text}'"


# --- functions -----------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """Where an expression stands: a timeline, or an event predicate."""

    is_predicate: bool
    not_: type[Node]
    and_: type[Node]
    or_: type[Node]


_TIMELINE = _Context(False, Not, And, Or)
_PREDICATE = _Context(True, PredNot, PredAnd, PredOr)


@dataclass(frozen=True)
class _Function:
    """A callable name: its parameter kinds and the node class it builds."""

    name: str
    params: tuple[str, ...]  # "column", "predicate", "condition", "timeline", "value", "duration" or "same"
    build: Callable[[_Context], type[Node]]
    windowed: type[Node] | None = None  # with a window (one more argument, a duration): this node class


_TIMELINE_FUNCTIONS = {
    f.name: f
    for f in (
        _Function("latest_event_to_state", ("column",), lambda _: LatestEventToState),
        _Function("has_existed", ("condition",), lambda _: HasExisted),
        _Function("has_existed_within", ("condition", "duration"), lambda _: HasExistedWithin),
        _Function("duration_where", ("timeline",), lambda _: DurationWhere, DurationWhereWithin),
        _Function("duration_in_cur_state", ("timeline",), lambda _: DurationInCurState),
        _Function("count", ("predicate",), lambda _: Count, CountWithin),
        _Function("count_changes", ("timeline",), lambda _: CountChanges, CountChangesWithin),
        _Function("time_since", ("condition",), lambda _: TimeSince),
        _Function("first_event_to_state", ("column",), lambda _: FirstEventToState),
        _Function("previous", ("timeline",), lambda _: Previous),
        _Function("if", ("timeline", "value", "value"), lambda _: If),
        _Function("integral", ("timeline",), lambda _: Integral),
    )
}
_CONNECTIVES = {
    f.name: f
    for f in (
        _Function("And", ("same", "same"), lambda context: context.and_),
        _Function("Or", ("same", "same"), lambda context: context.or_),
        _Function("Not", ("same",), lambda context: context.not_),
    )
}
_ALIASES = {
    "TL_LatestEventToState": "latest_event_to_state",
    "TL_HasExisted": "has_existed",
    "TL_HasExistedWithin": "has_existed_within",
    "TL_DurationWhere": "duration_where",
    "TL_DurationInCurState": "duration_in_cur_state",
}
_COLUMN_FUNCTION = "col"

FUNCTION_OF: dict[type[Node], str] = {
    node_type: f.name
    for f in _TIMELINE_FUNCTIONS.values() for node_type in (f.build(_TIMELINE), f.windowed) if node_type
}
"""The function name that builds each node type called as a function."""

FUNCTION_NAMES = frozenset((*_TIMELINE_FUNCTIONS, *_CONNECTIVES, *_ALIASES, _COLUMN_FUNCTION))
"""Every name that can be called in an expression."""


# --- public API ----------------------------------------------------------------


def parse_expression(text: str) -> Node:
    """Parse a timeline expression; every node carries its character offset."""
    parser = _Parser(text)
    node = parser.expression()
    parser.expect_end()
    return node


def parse_definition(name: str, text: str) -> Node | Aggregate:
    """Parse the entry ``name`` of a spec's timelines: an expression, or an aggregate over one.

    ``expression | aggregate(group_by(col, ...), metric, ..., every(duration))``
    defines the aggregate ``name``; its arguments come in any order and each is optional.
    """
    parser = _Parser(text, pipe=True)
    node = parser.expression()
    if parser.peek.kind == "|":
        parser.advance()
        node = parser.aggregate(name, node)
    parser.expect_end()
    return node


MAX_DURATION_MS = 10**15
"""The longest window, session timeout or tick interval, about 31,700 years: with
the latest event time (year 9999) added, every instant still fits a Java long."""


def parse_duration(text: str) -> int:
    """Milliseconds of a duration such as ``250ms`` or ``30m``; a bare integer is milliseconds."""
    parser = _Parser(text)
    milliseconds = parser.duration()
    parser.expect_end()
    return milliseconds


def duration_setting(value: object, what: str, minimum: int = 1) -> int:
    """Milliseconds of a duration setting: a string such as ``30m`` or a whole number of milliseconds.

    The one rule for every duration outside expressions (``session_timeout``, an aggregate's ``every``,
    the job sections): the value must be at least ``minimum``, which is 1 except where zero means
    "none" (docs/job.md). Raises SpecError; an error inside a string carries its ``offset`` there.
    """
    if isinstance(value, str):
        milliseconds = parse_duration(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        milliseconds = value
    else:
        raise SpecError(f"{what} must be a duration such as 30m or milliseconds, got {value!r}")
    if milliseconds < minimum:
        least = {0: "must not be negative", 1: "must be positive"}.get(minimum, f"must be at least {minimum}ms")
        raise SpecError(f"{what} {least}, got {value}")
    if milliseconds > MAX_DURATION_MS:
        raise SpecError(f"{what} is longer than the limit of {MAX_DURATION_MS} ms, got {value}")
    return milliseconds


# --- tokens --------------------------------------------------------------------


def _error(text: str, message: str, pos: int) -> SpecError:
    """A SpecError at character ``pos`` of ``text``, with line and column inside it."""
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    return SpecError(
        message,
        line=text.count("\n", 0, pos) + 1,
        column=pos - line_start + 1,
        source_line=text[line_start : None if line_end < 0 else line_end],
        offset=pos,
    )


def _tokenize(text: str, pipe: bool) -> list[_Token]:
    """The tokens of ``text``; a single ``|`` is one only with ``pipe`` (else it suggests ``||``)."""
    tokens = []
    pos = 0
    while pos < len(text):
        if text[pos] in "\"'":
            token = _string_token(text, pos)
            tokens.append(token)
            pos += len(token.text)
            continue
        match = _TOKEN.match(text, pos)
        if match is None and pipe and text[pos] == "|":
            tokens.append(_Token("|", "|", pos))
            pos += 1
            continue
        if match is None:
            raise _error(text, _unexpected_character(text[pos]), pos)
        if match.lastgroup != "space":
            tokens.append(_token_from_match(text, match))
        pos = match.end()
    tokens.append(_Token("end", "", len(text.rstrip())))
    return tokens


def _unexpected_character(char: str) -> str:
    hint = _SYMBOL_HINTS.get(char)
    suffix = f" (did you mean '{hint}'?)" if hint else ""
    return f"unexpected character {char!r}{suffix}"


def _token_from_match(text: str, match: re.Match[str]) -> _Token:
    kind = match.lastgroup
    pos = match.start()
    if kind == "ident":
        word = match.group()
        if word in _BOOLEANS:
            return _Token("literal", word, pos, _BOOLEANS[word])
        return _Token("ident", word, pos)
    if kind == "symbol":
        symbol = match.group()
        return _Token("op" if symbol in _COMPARISON_SYMBOLS else symbol, symbol, pos)
    return _Token("literal", match.group(), pos, _number_value(text, match))


def _number_value(text: str, match: re.Match[str]) -> int | float:
    """An integer or float, or a duration in milliseconds when a unit follows."""
    number, unit = match.group("number"), match.group("unit")
    try:
        if unit is None:
            return int(number) if number.lstrip("-").isdigit() else float(number)
        if unit not in DURATION_UNITS_MS:
            known = ", ".join(DURATION_UNITS_MS)
            raise _error(
                text, f"unknown duration unit '{unit}' (expected one of {known})", match.start("unit")
            )
        milliseconds = Fraction(number) * DURATION_UNITS_MS[unit]
    except ValueError:
        raise _error(text, "number is too long", match.start()) from None
    if milliseconds.denominator != 1:
        raise _error(text, f"duration '{match.group()}' is not a whole number of milliseconds", match.start())
    return int(milliseconds)


def _string_token(text: str, start: int) -> _Token:
    quote = text[start]
    chars = []
    pos = start + 1
    while pos < len(text) and text[pos] not in (quote, "\n"):
        if text[pos] != "\\":
            chars.append(text[pos])
            pos += 1
            continue
        char, pos = _escape(text, pos)
        chars.append(char)
    if pos >= len(text) or text[pos] != quote:
        raise _error(text, "unterminated string", start)
    return _Token("literal", text[start : pos + 1], start, "".join(chars))


def _escape(text: str, backslash: int) -> tuple[str, int]:
    """The character a backslash escape stands for, and the position after it."""
    code = text[backslash + 1 : backslash + 2]
    if code in _ESCAPES:
        return _ESCAPES[code], backslash + 2
    if code == "u":
        digits = text[backslash + 2 : backslash + 6]
        if re.fullmatch(r"[0-9A-Fa-f]{4}", digits):
            return chr(int(digits, 16)), backslash + 6
        raise _error(text, "\\u must be followed by 4 hexadecimal digits", backslash)
    raise _error(text, f"unknown escape '\\{code}'", backslash)


# --- grammar -------------------------------------------------------------------


class _Parser:
    """Recursive descent over the token list of one expression."""

    def __init__(self, text: str, pipe: bool = False) -> None:
        self.text = text
        self.tokens = _tokenize(text, pipe)
        self.index = 0
        self.nesting = 0

    @property
    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def error(self, message: str, pos: int) -> SpecError:
        return _error(self.text, message, pos)

    def expect(self, kind: str, wanted: str) -> _Token:
        if self.peek.kind != kind:
            raise self.error(f"expected {wanted}, got {self.peek.describe()}", self.peek.pos)
        return self.advance()

    def expect_end(self) -> None:
        if self.peek.kind != "end":
            raise self.error(f"unexpected {self.peek.describe()} after a complete expression", self.peek.pos)

    @contextmanager
    def nested(self, token: _Token) -> Iterator[None]:
        if self.nesting >= _MAX_NESTING:
            raise self.error(f"expression is nested too deeply (limit {_MAX_NESTING} levels)", token.pos)
        self.nesting += 1
        try:
            yield
        finally:
            self.nesting -= 1

    def expression(self) -> Node:
        """A whole timeline expression (the caller checks what follows it)."""
        if self.peek.kind == "end":
            raise self.error("empty expression", self.peek.pos)
        node = self.disjunction(_TIMELINE)
        if depth(node) > MAX_DEPTH:
            raise self.error(f"expression is nested too deeply (limit {MAX_DEPTH} levels)", 0)
        return node

    # --- aggregates ---

    def aggregate(self, name: str, timeline: Node) -> Aggregate:
        """``aggregate(...)`` after the pipe: the aggregate ``name`` of ``timeline``."""
        call = self.peek
        if call.text != "aggregate" or not self.is_call():
            raise self.error(
                f"expected aggregate(...) after '|', got {call.describe()} (a logical or is '||')", call.pos
            )
        self.advance()
        self.advance()  # "("
        options: dict[str, object] = {}  # "group_by" and "every", each at most once
        metrics: list[tuple[str, int]] = []
        while self.peek.kind != ")":
            if options or metrics:
                self.expect(",", "','")
            item = self.expect("ident", "group_by(...), every(...) or a metric")
            if self.peek.kind == "(":
                options[item.text] = self.option(item, options)
            else:
                metrics.append((item.text, item.pos))
        self.advance()  # ")"
        try:
            return build_aggregate(name, timeline, options.get("group_by", ()), metrics,
                                   options.get("every", DEFAULT_EVERY_MS))
        except AggregateError as error:
            raise self.error(error.message, error.at) from None

    def option(self, item: _Token, given: dict[str, object]) -> object:
        """The value of ``group_by(...)`` or ``every(...)`` inside ``aggregate(...)``."""
        if item.text not in ("group_by", "every"):
            raise self.error(f"expected group_by(...) or every(...), got '{item.text}(...)'", item.pos)
        if item.text in given:
            raise self.error(f"{item.text}(...) is given twice", item.pos)
        return self.group_by() if item.text == "group_by" else self.every()

    def group_by(self) -> list[tuple[str, int]]:
        """``(col, ...)``: the grouping columns, maybe none, each with its position."""
        self.advance()  # "("
        columns: list[tuple[str, int]] = []
        while self.peek.kind != ")":
            if columns:
                self.expect(",", "','")
            position = self.peek.pos
            columns.append((self.column(), position))
        self.advance()  # ")"
        return columns

    def every(self) -> int:
        """``(duration)``: the tick interval, a duration setting (:func:`duration_setting`)."""
        self.advance()  # "("
        token = self.peek
        self.duration()
        try:
            milliseconds = duration_setting(self.text[token.pos:self.peek.pos].rstrip(), "every(...)")
        except SpecError as error:
            raise self.error(error.message, token.pos) from None
        self.expect(")", "')'")
        return milliseconds

    # --- operators ---

    def disjunction(self, context: _Context) -> Node:
        return self.chain("||", context.or_, lambda: self.conjunction(context))

    def conjunction(self, context: _Context) -> Node:
        return self.chain("&&", context.and_, lambda: self.negation(context))

    def chain(self, symbol: str, build: type[Node], operand: Callable[[], Node]) -> Node:
        node = operand()
        while self.peek.kind == symbol:
            pos = self.advance().pos
            node = build(node, operand(), pos=pos)
        return node

    def negation(self, context: _Context) -> Node:
        bangs = []
        while self.peek.kind == "!":
            bangs.append(self.advance())
        node = self.field_comparison() if context.is_predicate else self.timeline_comparison()
        for bang in reversed(bangs):
            node = context.not_(node, pos=bang.pos)
        return node

    def timeline_comparison(self) -> Node:
        """``sum [OP sum]``: with a literal on one side a :class:`Compare`, else a :class:`CompareTimelines`."""
        first = self.peek
        left = self.sum()
        if self.peek.kind != "op":
            if isinstance(left, Constant):
                raise self.error(f"expected a timeline, got {first.describe()}", first.pos)
            return left
        op = self.advance()
        right = self.sum()
        if isinstance(left, Constant) and isinstance(right, Constant):
            raise self.error("a comparison needs a timeline on one side, got two literals", op.pos)
        if isinstance(right, Constant):
            return Compare(left, op.text, right.literal, pos=op.pos)
        if isinstance(left, Constant):
            return Compare(right, _MIRRORED[op.text], left.literal, pos=op.pos)
        return CompareTimelines(left, op.text, right, pos=op.pos)

    def sum(self) -> Node:
        return self.arithmetic(("+", "-"), self.product)

    def product(self) -> Node:
        return self.arithmetic(("*", "/"), self.unary)

    def arithmetic(self, symbols: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        node = operand()
        while self.peek.kind in symbols:
            op = self.advance()
            node = Arithmetic(node, op.text, operand(), pos=op.pos)
        return node

    def unary(self) -> Node:
        """``-x``; a minus sign right before a number is part of the literal."""
        if self.peek.kind != "-":
            return self.timeline_atom()
        minus = self.advance()
        if self.peek.kind == "literal" and type(self.peek.value) in (int, float):
            return Constant(-self.advance().value, pos=minus.pos)
        with self.nested(minus):
            return Negate(self.unary(), pos=minus.pos)

    def field_comparison(self) -> Node:
        token = self.peek
        if token.kind == "(":
            return self.parenthesized(_PREDICATE)
        if self.is_call() and token.text != _COLUMN_FUNCTION:
            return self.call(_PREDICATE)
        column = self.column()
        op = self.expect("op", f"a comparison operator after column '{column}'")
        return FieldCompare(column, op.text, self.literal(op), pos=token.pos)

    # --- operands ---

    def timeline_atom(self) -> Node:
        token = self.peek
        if token.kind == "(":
            return self.parenthesized(_TIMELINE)
        if self.is_call():
            return self.call(_TIMELINE)
        if token.kind == "ident":
            self.advance()
            return Ref(token.text, pos=token.pos)
        if token.kind == "literal":
            self.advance()
            return Constant(token.value, pos=token.pos)
        raise self.error(f"expected a timeline, got {token.describe()}", token.pos)

    def parenthesized(self, context: _Context) -> Node:
        with self.nested(self.advance()):
            node = self.disjunction(context)
        self.expect(")", "')'")
        return node

    def is_call(self) -> bool:
        return self.peek.kind == "ident" and self.tokens[self.index + 1].kind == "("

    def call(self, context: _Context) -> Node:
        name = self.advance()
        function = self.function(name, context)
        with self.nested(name):
            args = self.arguments(name, function, context)
        node_type = function.windowed if len(args) > len(function.params) else function.build(context)
        return node_type(*args, pos=name.pos)

    def function(self, name: _Token, context: _Context) -> _Function:
        canonical = _ALIASES.get(name.text, name.text)
        if canonical in _CONNECTIVES:
            return _CONNECTIVES[canonical]
        if canonical in _TIMELINE_FUNCTIONS and not context.is_predicate:
            return _TIMELINE_FUNCTIONS[canonical]
        if canonical in _TIMELINE_FUNCTIONS:
            message = f'{name.text}(...) is a timeline; expected an event predicate such as column == "value"'
        elif canonical == _COLUMN_FUNCTION:
            message = (
                "col(...) names an event field; expected a timeline such as latest_event_to_state(col(...))"
            )
        else:
            message = f"unknown function '{name.text}'" + did_you_mean(name.text, FUNCTION_NAMES)
        raise self.error(message, name.pos)

    def arguments(self, name: _Token, function: _Function, context: _Context) -> list[object]:
        self.advance()  # "("
        args: list[object] = []
        for param in function.params:
            if self.peek.kind == ")":
                raise self.arity_error(name, function, str(len(args)))
            if args:
                self.expect(",", "','")
            args.append(self.argument(param, context))
        if self.peek.kind == "," and function.windowed:
            self.advance()
            args.append(self.duration())
        if self.peek.kind == ",":
            raise self.arity_error(name, function, f"more than {len(args)}")
        self.expect(")", "')'")
        return args

    def arity_error(self, name: _Token, function: _Function, given: str) -> SpecError:
        count = len(function.params)
        counts = f"{count} or {count + 1} arguments" if function.windowed else f"{count} argument{'s' * (count > 1)}"
        return self.error(f"{name.text}() takes {counts}, got {given}", name.pos)

    def argument(self, param: str, context: _Context) -> object:
        if param == "column":
            return self.column()
        if param == "duration":
            return self.duration()
        if param == "condition":
            return self.condition()
        if param == "value":
            return self.value()
        contexts = {"predicate": _PREDICATE, "timeline": _TIMELINE, "same": context}
        return self.disjunction(contexts[param])

    def value(self) -> Node:
        """A timeline, or a literal standing for one (``if(b, x, 0)``)."""
        sign = 1 if self.peek.kind == "-" else 0
        after = self.tokens[min(self.index + sign + 1, len(self.tokens) - 1)].kind
        if self.tokens[self.index + sign].kind == "literal" and after in (",", ")"):
            return self.unary()
        return self.disjunction(_TIMELINE)

    def condition(self) -> Node:
        """An event predicate if the argument reads as one, else a (boolean) timeline.

        When it is neither, the error that is further into the text is the one reported
        (the predicate's at equal positions).
        """
        start = self.index
        try:
            return self.disjunction(_PREDICATE)
        except SpecError as as_predicate:
            self.index = start
            try:
                return self.disjunction(_TIMELINE)
            except SpecError as as_timeline:
                raise (as_timeline if as_timeline.offset > as_predicate.offset else as_predicate) from None

    # --- leaves ---

    def column(self) -> str:
        """A column: a bare identifier or ``col("any name")``."""
        token = self.peek
        if token.kind == "ident" and token.text == _COLUMN_FUNCTION and self.is_call():
            self.advance()
            self.advance()
            name = self.peek
            if name.kind != "literal" or not isinstance(name.value, str):
                raise self.error(f"col() takes a quoted field name, got {name.describe()}", name.pos)
            self.advance()
            self.expect(")", "')'")
            return name.value
        return self.expect("ident", "a column name").text

    def duration(self) -> int:
        negative = self.signed()
        token = self.peek
        if token.kind != "literal" or type(token.value) is not int:
            raise self.error(
                f"expected a duration such as 5s or a whole number of milliseconds, got {token.describe()}",
                token.pos,
            )
        if token.value > MAX_DURATION_MS:
            raise self.error(f"duration {token.text} is longer than the limit of {MAX_DURATION_MS} ms", token.pos)
        self.advance()
        return -token.value if negative else token.value

    def signed(self) -> bool:
        """Whether a minus sign comes before a number here (it is then skipped)."""
        if self.peek.kind != "-":
            return False
        following = self.tokens[self.index + 1]
        if following.kind == "literal" and type(following.value) in (int, float):
            self.advance()
            return True
        return False

    def literal(self, op: _Token) -> Literal:
        negative = self.signed()
        token = self.peek
        if token.kind != "literal":
            raise self.error(
                f"expected a string, number, duration, true or false after '{op.text}', got {token.describe()}",
                token.pos,
            )
        self.advance()
        return -token.value if negative else token.value
