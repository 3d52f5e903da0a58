"""Compiling a plan into the Python source of the engine's per-key step functions.

The generated module defines four functions over a per-key state list ``s``
(the header of ``engine/layout.py``: t0, last event time, next due time; then
the next aggregate tick if the plan has aggregates, then one or more slots per
stateful node):

- ``start(s, t)``: begin a run at ``t`` with every slot at its initial value
  (the first tick from ``_first_tick(t)``).
- ``apply(s, t, events)``: fold the events of instant ``t`` into the slots.
- ``evaluate(s, t, out, first)``: compute every node at instant ``t``, append
  the outputs that changed (all of them when ``first``) to ``out`` as
  ``(name, time, value, rate)`` tuples, and store the next instant at which a
  value changes without new events in ``s[2]``.
- ``probe(s, t)``: the value of every node at ``t`` without changing ``s``.

Each run of slots belongs to an *owner* (a stateful node, an output, the
tick), named by a text that is equal exactly for equal expressions: see
:class:`Generated` and ``engine/layout.py``, which carries state over to a
changed plan.

Nodes are evaluated in plan order, each exactly once per instant, into locals
``n<i>`` (state and boolean values) or ``v<i>``/``r<i>`` (numeric value and rate).
Each node type has its generator in :data:`GENERATORS` (predicates have theirs
in :data:`PREDICATE_SOURCES`).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, NamedTuple

from dsl import nodes
from dsl.plan import Plan, PlanNode
from dsl.render import render, render_duration
from engine import numbers, windows
from engine.events import END_OF_TIME
from engine.layout import DUE, FIRST_SLOT, LAST, T0, TICK_OWNER
from engine.numbers import Exact
from engine.values import compare, compare_source, same_value


class Generated(NamedTuple):
    """The generated source and its slot groups: ``(owner, slot count)`` in slot order.

    The first group is the run header (key, time field, session timeout), with
    no slots of its own; outputs and aggregates are groups too, some without slots.
    """

    source: str
    groups: tuple[tuple[str, int], ...]
    names: dict[str, str]  # the owner of each output and aggregate: its name


_RISING_OR_FLAT = (nodes.DurationWhere, nodes.DurationInCurState)
"""Numeric nodes whose values are integers that rise at rate 1 or stay flat, never null: they compare with
whole numbers as below, and their outputs need no slots (the node says when it changes)."""

_COUNTS = (nodes.Count, nodes.CountWithin, nodes.CountChanges, nodes.CountChangesWithin)
"""Numeric nodes whose values are integers with rate 0: an output compares the value alone."""
_WHOLE_PIECES = (nodes.DurationWhereWithin, nodes.TimeSince)
"""Numeric nodes whose values (or null) and rates are small integers: an output compares them as they are."""

RUNTIME: dict[str, Any] = {
    "_same_value": same_value, "_compare": compare, "_Fraction": Fraction, "_exact": numbers.exact,
    "_crossing": numbers.crossing, "_continues": numbers.continues_record,
    "_divided": numbers.divided, "_packed": numbers.packed, "_unpacked": numbers.unpacked, "_shown": numbers.shown,
    "_covered": windows.covered, "_forget_before": windows.forget_before,
}
"""The names the generated code reads besides its own (and ``_first_tick``, the plan's)."""

_NUMERIC_COMPARE = {
    ">": "({v} > {c} or ({v} == {c} and {r} == 1))",
    ">=": "{v} >= {c}",
    "<": "{v} < {c}",
    "<=": "({v} < {c} or ({v} == {c} and {r} == 0))",
    "==": "({v} == {c} and {r} == 0)",
    "!=": "not ({v} == {c} and {r} == 0)",
}


class _Writer:
    """Collects the lines of the four generated functions."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.initial: list[str] = []
        self.apply: list[str] = []
        self.evaluate: list[str] = []
        self.probe: list[str] = []
        self.due: list[str] = []
        self.emit: list[str] = []
        self.groups: list[tuple[str, int]] = []
        self.names: dict[str, str] = {}
        self.constants: list[str] = []  # module-level lines: exact numbers that are not integers

    def number(self, value: Exact) -> str:
        """Source for an exact number: an int literal, or a module constant holding the fraction."""
        if type(value) is int:
            return repr(value)
        self.constants.append(f"K{len(self.constants)} = _Fraction({value.numerator}, {value.denominator})")
        return f"K{len(self.constants) - 1}"

    def slots(self, owner: str, *initial: str) -> int:
        """Allocate consecutive state slots of ``owner`` with these initial values; returns the first."""
        first = FIRST_SLOT + len(self.initial)
        self.initial.extend(initial)
        self.groups.append((owner, len(initial)))
        return first

    def both(self, line: str) -> None:
        """A line computing a value the same way in ``evaluate`` and ``probe``."""
        self.evaluate.append(line)
        self.probe.append(line)


def predicate_source(expr: nodes.Node) -> str:
    """A Python expression over the event dict ``ev`` that evaluates a predicate."""
    return PREDICATE_SOURCES[type(expr)](expr)


PREDICATE_SOURCES: dict[type[nodes.Node], Callable[[nodes.Node], str]] = {
    nodes.FieldCompare: lambda expr: compare_source(f"ev.get({expr.column!r})", expr.op, expr.literal),
    nodes.PredNot: lambda expr: f"not ({predicate_source(expr.operand)})",
    nodes.PredAnd: lambda expr: f"({predicate_source(expr.left)}) and ({predicate_source(expr.right)})",
    nodes.PredOr: lambda expr: f"({predicate_source(expr.left)}) or ({predicate_source(expr.right)})",
}


def _predicate(w: _Writer, node: PlanNode) -> None:
    """A predicate has a value per event only (``p<i>`` in ``apply``, for the nodes that read it)."""
    w.probe.append(f"n{node.index} = None")


def _latest_event_to_state(w: _Writer, node: PlanNode) -> None:
    slot = w.slots(render(node.expr), "None")
    w.apply += [f"x = ev.get({node.expr.column!r})", f"if x is not None: s[{slot}] = x"]
    w.both(f"n{node.index} = s[{slot}]")


def _has_existed(w: _Writer, node: PlanNode) -> None:
    i, child = node.index, node.inputs[0]
    slot = w.slots(render(node.expr), "False")
    if w.plan.nodes[child].kind is nodes.Kind.PREDICATE:
        w.apply.append(f"if not s[{slot}] and p{child}: s[{slot}] = True")
    else:  # a boolean timeline changes only at evaluated instants: the latch is set at the first true one
        w.evaluate.append(f"if n{child} and not s[{slot}]: s[{slot}] = True")
    w.both(f"n{i} = s[{slot}]")


def _has_existed_within(w: _Writer, node: PlanNode) -> None:
    i, child, window = node.index, node.inputs[0], node.expr.window_ms
    slot = w.slots(render(node.expr), "t")  # the end of the open window (None: open while the timeline is true)
    if w.plan.nodes[child].kind is nodes.Kind.PREDICATE:
        w.apply.append(f"if p{child}: s[{slot}] = t + {window}")
        w.both(f"n{i} = t < s[{slot}]")
        w.due.append(f"if t < s[{slot}] < due: due = s[{slot}]")
    else:
        w.evaluate.append(f"if n{child}: s[{slot}] = None")
        w.evaluate.append(f"elif s[{slot}] is None: s[{slot}] = t + {window}")
        w.both(f"n{i} = s[{slot}] is None or t < s[{slot}]")
        w.due.append(f"if s[{slot}] is not None and t < s[{slot}] < due: due = s[{slot}]")


def _not(w: _Writer, node: PlanNode) -> None:
    w.both(f"n{node.index} = not n{node.inputs[0]}")


def _and(w: _Writer, node: PlanNode) -> None:
    w.both(f"n{node.index} = n{node.inputs[0]} and n{node.inputs[1]}")


def _or(w: _Writer, node: PlanNode) -> None:
    w.both(f"n{node.index} = n{node.inputs[0]} or n{node.inputs[1]}")


def _compare(w: _Writer, node: PlanNode) -> None:
    expr, i, child = node.expr, node.index, node.inputs[0]
    operand_kind = w.plan.nodes[child].kind
    literal = repr(expr.literal)
    whole = type(numbers.exact(expr.literal)) is int
    if operand_kind is nodes.Kind.NUMBER and whole and isinstance(w.plan.nodes[child].expr, _RISING_OR_FLAT):
        literal = repr(int(expr.literal))  # crossings at integer instants
        v, r = f"v{child}", f"r{child}"
        w.both(f"n{i} = " + _NUMERIC_COMPARE[expr.op].format(v=v, r=r, c=literal))
        w.due.append(f"if {r} == 1 and {v} < {literal} and t + {literal} - {v} < due: due = t + {literal} - {v}")
    elif operand_kind is nodes.Kind.NUMBER:
        _compare_numbers(w, i, expr.op, (f"v{child}", f"r{child}"), (w.number(numbers.exact(expr.literal)), "0"))
    elif operand_kind is nodes.Kind.BOOL:
        w.both(f"n{i} = n{child} {expr.op} {literal}")
    else:
        w.both(f"n{i} = {compare_source(f'n{child}', expr.op, expr.literal)}")


def _compare_numbers(w: _Writer, i: int, op: str, left: tuple[str, str], right: tuple[str, str]) -> None:
    """``left OP right`` of two numeric (value, rate) sources: the sign of the difference's right limit,
    and its next crossing as a due time."""
    (x, rx), (y, ry) = left, right
    w.both(f"x{i} = {x}; y{i} = {y}")
    w.both(f"d{i} = None if x{i} is None or y{i} is None else x{i} - y{i}; e{i} = {rx} - {ry}")
    w.both(f"n{i} = d{i} is not None and (d{i} {op} 0 if d{i} else e{i} {op} 0)")  # numbers.sign, inline
    w.due.append(f"if d{i} is not None and e{i}:")
    w.due.append(f"    x = _crossing(t, d{i}, e{i})")
    w.due.append("    if x < due: due = x")


def _numeric_operand(w: _Writer, index: int) -> tuple[str, str]:
    """Source for the value and rate of node ``index``: a numeric one's, or a state's numeric values."""
    if w.plan.nodes[index].kind is nodes.Kind.NUMBER:
        return f"v{index}", f"r{index}"
    return f"_exact(n{index})", "0"


def _compare_timelines(w: _Writer, node: PlanNode) -> None:
    i, (left, right) = node.index, node.inputs
    if nodes.Kind.NUMBER in (w.plan.nodes[left].kind, w.plan.nodes[right].kind):
        _compare_numbers(w, i, node.expr.op, _numeric_operand(w, left), _numeric_operand(w, right))
    else:
        w.both(f"n{i} = _compare(n{left}, {node.expr.op!r}, n{right})")


def _constant(w: _Writer, node: PlanNode) -> None:
    i, literal = node.index, node.expr.literal
    if node.kind is nodes.Kind.NUMBER:
        w.both(f"v{i} = {w.number(numbers.exact(literal))}; r{i} = 0")
    else:
        w.both(f"n{i} = {literal!r}")


def _sum(w: _Writer, node: PlanNode) -> None:
    i, op = node.index, node.expr.op
    (x, rx), (y, ry) = (_numeric_operand(w, k) for k in node.inputs)
    w.both(f"x{i} = {x}; y{i} = {y}")
    w.both(f"if x{i} is None or y{i} is None: v{i} = None; r{i} = 0")
    w.both(f"else: v{i} = x{i} {op} y{i}; r{i} = {rx} {op} {ry}")


def _scaled(w: _Writer, i: int, operand: int, factor: Exact) -> None:
    """Node ``i`` is node ``operand`` times a number (a division by an integer divides)."""
    x, rx = _numeric_operand(w, operand)
    w.both(f"x{i} = {x}")
    w.both(f"if x{i} is None: v{i} = None; r{i} = 0")
    if type(factor) is Fraction and factor.numerator == 1:
        w.both(f"else: v{i} = _divided(x{i}, {factor.denominator}); r{i} = _divided({rx}, {factor.denominator})")
    else:
        k = w.number(factor)
        w.both(f"else: v{i} = x{i} * {k}; r{i} = {rx} * {k}")


def _arithmetic(w: _Writer, node: PlanNode) -> None:
    expr = node.expr
    if expr.op in ("+", "-"):
        _sum(w, node)
    elif expr.op == "/":
        _scaled(w, node.index, node.inputs[0], numbers.whole(1 / Fraction(numbers.exact(expr.right.literal))))
    elif isinstance(expr.right, nodes.Constant):
        _scaled(w, node.index, node.inputs[0], numbers.exact(expr.right.literal))
    else:
        _scaled(w, node.index, node.inputs[1], numbers.exact(expr.left.literal))


def _duration_where(w: _Writer, node: PlanNode) -> None:
    """Numeric nodes keep a linear piece; ``c<i>`` says whether it changed at ``t``."""
    i, child = node.index, node.inputs[0]
    at = w.slots(render(node.expr), "t", "0", "-1")  # anchor time, value there, rate (-1: none yet)
    av, ar = at + 1, at + 2
    w.evaluate += [
        f"r{i} = 1 if n{child} else 0",
        f"c{i} = r{i} != s[{ar}]",
        f"if c{i}: s[{av}] += s[{ar}] * (t - s[{at}]); s[{at}] = t; s[{ar}] = r{i}",
        f"v{i} = s[{av}] + r{i} * (t - s[{at}])",
    ]
    w.probe += [f"r{i} = s[{ar}]", f"v{i} = s[{av}] + r{i} * (t - s[{at}])"]


def _duration_in_cur_state(w: _Writer, node: PlanNode) -> None:
    i, child = node.index, node.inputs[0]
    start = w.slots(render(node.expr), "t", "None")  # start of the current run, value during it
    w.evaluate += [
        f"c{i} = first or {_differs(w.plan, child, f's[{start + 1}]')}",
        f"if c{i}: s[{start}] = t; s[{start + 1}] = n{child}",
    ]
    w.both(f"r{i} = 1")
    w.both(f"v{i} = t - s[{start}]")


def _count(w: _Writer, node: PlanNode) -> None:
    slot = w.slots(render(node.expr), "0")
    w.apply.append(f"if p{node.inputs[0]}: s[{slot}] += 1")
    w.both(f"v{node.index} = s[{slot}]; r{node.index} = 0")


def _window_count(w: _Writer, i: int, slot: int, window: int) -> None:
    """Node ``i`` is the number of instants in the list at ``slot`` that lie within ``(t - window, t]``."""
    w.evaluate.append(f"while s[{slot}] and s[{slot}][0] + {window} <= t: del s[{slot}][0]")
    w.both(f"v{i} = len(s[{slot}]); r{i} = 0")
    w.due.append(f"if s[{slot}] and s[{slot}][0] + {window} < due: due = s[{slot}][0] + {window}")


def _count_within(w: _Writer, node: PlanNode) -> None:
    slot = w.slots(render(node.expr), "[]")  # the times of the matches within the window, in order
    w.apply.append(f"if p{node.inputs[0]}: s[{slot}].append(t)")
    _window_count(w, node.index, slot, node.expr.window_ms)


def _count_changes(w: _Writer, node: PlanNode) -> None:
    i, child = node.index, node.inputs[0]
    count = w.slots(render(node.expr), "0", "None")  # changes so far, the current value
    w.evaluate += [f"if first: s[{count + 1}] = n{child}",
                   f"elif {_differs(w.plan, child, f's[{count + 1}]')}: s[{count}] += 1; s[{count + 1}] = n{child}"]
    w.both(f"v{i} = s[{count}]; r{i} = 0")


def _count_changes_within(w: _Writer, node: PlanNode) -> None:
    i, child = node.index, node.inputs[0]
    times = w.slots(render(node.expr), "[]", "None")  # the times of the changes within the window, the value
    w.evaluate += [f"if first: s[{times + 1}] = n{child}",
                   f"elif {_differs(w.plan, child, f's[{times + 1}]')}:",
                   f"    s[{times}].append(t); s[{times + 1}] = n{child}"]
    _window_count(w, i, times, node.expr.window_ms)


def _duration_where_within(w: _Writer, node: PlanNode) -> None:
    i, child, window = node.index, node.inputs[0], node.expr.window_ms
    spans = w.slots(render(node.expr), "[]")  # engine.windows: the true spans ending after t - window
    w.evaluate += [
        f"if n{child}:",
        f"    if not s[{spans}] or s[{spans}][-1] is not None: s[{spans}] += [t, None]",
        f"elif s[{spans}] and s[{spans}][-1] is None: s[{spans}][-1] = t",
        f"_forget_before(s[{spans}], t - {window})",
        f"v{i}, r{i}, w{i} = _covered(s[{spans}], t, {window})",
    ]
    w.probe.append(f"v{i}, r{i}, w{i} = _covered(s[{spans}], t, {window})")
    w.due.append(f"if w{i} < due: due = w{i}")


def _time_since(w: _Writer, node: PlanNode) -> None:
    i, child = node.index, node.inputs[0]
    slot = w.slots(render(node.expr), "None")  # the latest match; or the end of the last true span (True: in one)
    if w.plan.nodes[child].kind is nodes.Kind.PREDICATE:
        w.apply.append(f"if p{child}: s[{slot}] = t")
    else:
        w.evaluate += [f"if n{child}: s[{slot}] = True", f"elif s[{slot}] is True: s[{slot}] = t"]
    w.both(f"if s[{slot}] is None: v{i} = None; r{i} = 0")
    w.both(f"elif s[{slot}] is True: v{i} = 0; r{i} = 0")
    w.both(f"else: v{i} = t - s[{slot}]; r{i} = 1")


def _first_event_to_state(w: _Writer, node: PlanNode) -> None:
    slot = w.slots(render(node.expr), "None")
    w.apply.append(f"if s[{slot}] is None: s[{slot}] = ev.get({node.expr.column!r})")
    w.both(f"n{node.index} = s[{slot}]")


def _previous(w: _Writer, node: PlanNode) -> None:
    i, child = node.index, node.inputs[0]
    current = w.slots(render(node.expr), "None", "None")  # the current value, the one of the run before
    w.evaluate += [f"if first: s[{current}] = n{child}",
                   f"elif {_differs(w.plan, child, f's[{current}]')}:",
                   f"    s[{current + 1}] = s[{current}]; s[{current}] = n{child}"]
    w.both(f"n{i} = s[{current + 1}]")


def _if(w: _Writer, node: PlanNode) -> None:
    i, (condition, then, otherwise) = node.index, node.inputs
    if node.kind is nodes.Kind.NUMBER:
        w.both(f"if n{condition}: v{i} = v{then}; r{i} = r{then}")
        w.both(f"else: v{i} = v{otherwise}; r{i} = r{otherwise}")
        return

    def branch(index: int) -> str:  # a literal of a state timeline is its value, whatever its type
        expr = w.plan.nodes[index].expr
        return repr(expr.literal) if isinstance(expr, nodes.Constant) else f"n{index}"

    w.both(f"n{i} = {branch(then)} if n{condition} else {branch(otherwise)}")


def _integral(w: _Writer, node: PlanNode) -> None:
    i = node.index
    value, _ = _numeric_operand(w, node.inputs[0])  # flat (type-checked): its rate is 0
    at = w.slots(render(node.expr), "t", "0", "0")  # anchor time, integral there, rate since (packed)
    w.evaluate += [
        f"q{i} = {value}",
        f"if q{i} is None: q{i} = 0",
        f"if q{i} != s[{at + 2}] and (type(s[{at + 2}]) is not list or q{i} != _unpacked(s[{at + 2}])):",
        f"    s[{at + 1}] = _packed(_unpacked(s[{at + 1}]) + _unpacked(s[{at + 2}]) * (t - s[{at}]))",
        f"    s[{at}] = t; s[{at + 2}] = _packed(q{i})",
    ]
    w.both(f"r{i} = _unpacked(s[{at + 2}]); v{i} = _unpacked(s[{at + 1}]) + r{i} * (t - s[{at}])")


GENERATORS: dict[type[nodes.Node], Callable[[_Writer, PlanNode], None]] = {
    **{predicate: _predicate for predicate in nodes.PREDICATE_NODES},
    nodes.LatestEventToState: _latest_event_to_state,
    nodes.HasExisted: _has_existed,
    nodes.HasExistedWithin: _has_existed_within,
    nodes.Not: _not,
    nodes.And: _and,
    nodes.Or: _or,
    nodes.Compare: _compare,
    nodes.CompareTimelines: _compare_timelines,
    nodes.Constant: _constant,
    nodes.Arithmetic: _arithmetic,
    nodes.Negate: lambda w, node: _scaled(w, node.index, node.inputs[0], -1),
    nodes.DurationWhere: _duration_where,
    nodes.DurationInCurState: _duration_in_cur_state,
    nodes.Count: _count,
    nodes.CountWithin: _count_within,
    nodes.CountChanges: _count_changes,
    nodes.CountChangesWithin: _count_changes_within,
    nodes.DurationWhereWithin: _duration_where_within,
    nodes.TimeSince: _time_since,
    nodes.FirstEventToState: _first_event_to_state,
    nodes.Previous: _previous,
    nodes.If: _if,
    nodes.Integral: _integral,
}
"""The code of each node type: its slots and its lines in the four functions."""


def _differs(plan: Plan, index: int, previous: str) -> str:
    """An expression: node ``index``'s value is not the same value (``_same_value``) as ``previous``.

    Boolean values are the two singletons (or None before the first); an identical value is the same
    value, as event values come from JSON, which has no NaN.
    """
    if plan.nodes[index].kind is nodes.Kind.BOOL:
        return f"n{index} is not {previous}"
    return f"(n{index} is not {previous} and not _same_value(n{index}, {previous}))"


def _outputs(w: _Writer) -> None:
    for name, index in w.plan.outputs.items():
        node = w.plan.nodes[index]
        owner = f"output {name} = {render(node.expr)}"
        w.names[owner] = name
        if isinstance(node.expr, _RISING_OR_FLAT):  # these say when they change (c<i>)
            w.slots(owner)
            w.emit.append(f"if c{index}: out.append(({name!r}, t, v{index}, r{index}))")
        elif isinstance(node.expr, _COUNTS):
            last = w.slots(owner, "None")  # the value of the last record
            w.emit += [f"if first or v{index} != s[{last}]:",
                       f"    s[{last}] = v{index}; out.append(({name!r}, t, v{index}, 0))"]
        elif isinstance(node.expr, _WHOLE_PIECES):
            at = w.slots(owner, "None", "None", "0")  # time, value and rate of the last record
            v, r = f"v{index}", f"r{index}"
            w.emit += [
                f"if first or {r} != s[{at + 2}] or {v} != (None if s[{at + 1}] is None"
                f" else s[{at + 1}] + s[{at + 2}] * (t - s[{at}])):",
                f"    s[{at}] = t; s[{at + 1}] = {v}; s[{at + 2}] = {r}; out.append(({name!r}, t, {v}, {r}))",
            ]
        elif node.kind is nodes.Kind.NUMBER:
            at = w.slots(owner, "None", "None", "0")  # time, value and rate of the last record (packed)
            v, r = f"v{index}", f"r{index}"
            w.emit += [
                f"if first or not _continues(s[{at}], s[{at + 1}], s[{at + 2}], t, {v}, {r}):",
                f"    s[{at}] = t; s[{at + 1}] = _packed({v}); s[{at + 2}] = _packed({r})",
                f"    out.append(({name!r}, t, _shown({v}), _shown({r})))",
            ]
        else:
            prev = w.slots(owner, "None")
            w.emit += [
                f"if first or {_differs(w.plan, index, f's[{prev}]')}:",
                f"    s[{prev}] = n{index}; out.append(({name!r}, t, n{index}, None))",
            ]


def generate(plan: Plan, session_timeout_ms: int | None) -> Generated:
    """The Python source of ``start``, ``apply``, ``evaluate`` and ``probe`` for ``plan``, and its slot groups."""
    w = _Writer(plan)
    w.slots(f"key {plan.spec.key} time {plan.spec.time} session_timeout {session_timeout_ms}")
    if plan.aggregates:
        w.slots(TICK_OWNER, "_first_tick(t)")  # TICK
    predicates_read_by_timelines = sorted({
        k for node in plan.nodes if node.kind is not nodes.Kind.PREDICATE
        for k in node.inputs if plan.nodes[k].kind is nodes.Kind.PREDICATE
    })
    for node in plan.nodes:
        GENERATORS[type(node.expr)](w, node)
        if node.kind is nodes.Kind.NUMBER:
            w.probe.append(f"n{node.index} = v{node.index}")
    _outputs(w)
    for aggregate in plan.aggregates:
        groups = ", ".join(render(plan.nodes[index].expr) for index in aggregate.groups)
        owner = (f"aggregate {aggregate.aggregate.name} = {render(plan.nodes[aggregate.value].expr)}"
                 f" by ({groups}) every {render_duration(aggregate.aggregate.every_ms)}")
        w.slots(owner)
        w.names[owner] = aggregate.aggregate.name
    if session_timeout_ms is not None:
        ends = f"s[{LAST}] + {session_timeout_ms}"
        w.due.append(f"if {ends} < due: due = {ends}")

    predicate_lines = [f"p{i} = {predicate_source(plan.nodes[i].expr)}" for i in predicates_read_by_timelines]
    node_count = len(plan.nodes)
    source = "\n".join([
        *w.constants,
        "def start(s, t):",
        f"    s[{T0}] = t; s[{FIRST_SLOT}:] = [{', '.join(w.initial)}]",
        "",
        "def apply(s, t, events):",
        "    for ev in events:",
        *(f"        {line}" for line in predicate_lines + w.apply),
        "",
        "def evaluate(s, t, out, first):",
        *(f"    {line}" for line in w.evaluate + w.emit),
        f"    due = {END_OF_TIME}",
        *(f"    {line}" for line in w.due),
        f"    s[{DUE}] = due",
        "",
        "def probe(s, t):",
        *(f"    {line}" for line in w.probe),
        f"    return [{', '.join(f'n{i}' for i in range(node_count))}]",
        "",
    ])
    return Generated(source, tuple(w.groups), w.names)
