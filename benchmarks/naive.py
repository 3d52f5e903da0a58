"""The naive translation of a plan into Flink: one keyed operator per plan node.

Each timeline node of the plan becomes its own ``KeyedProcessFunction`` with
its own keyed state (the per-node agent design). Leaves read the job's
complete instants ``(key, time, payloads)``, each event of an instant on its
own; every other node reads the value changes of its inputs' operators.
An operator forwards a change of its value to the operators of its users as a
:data:`MESSAGE` ``(key, time, sender node, JSON value)``, keyed by entity, and
an output node also writes change records to the :data:`RECORDS` side output.

Inputs are buffered until the watermark passes their time: every upstream
operator emits its changes up to a watermark before it forwards that
watermark, so when a node's timer fires at ``t`` it has all its inputs at
``t``. Every leaf sees every event, so all of them agree on a run's first
and last event; a leaf ends the run at ``last + session_timeout`` and sends
:data:`END` up the graph.

It supports the node types of the CIRR plan: ``latest_event_to_state``,
``has_existed`` and ``has_existed_within`` of event predicates, ``!``, ``&&``,
``||`` and comparisons of state and boolean timelines, with ``duration_where``
on top; a plan with any other node is refused.
"""
from __future__ import annotations

from typing import Any

import orjson
from pyflink.common import Types
from pyflink.datastream import DataStream, KeyedProcessFunction, KeyedStream, OutputTag, RuntimeContext
from pyflink.datastream.state import ValueStateDescriptor

from dsl import nodes
from dsl.plan import Plan, PlanNode
from engine.codegen import predicate_source
from engine.incremental import to_record
from engine.values import compare, same_value

MESSAGE = Types.TUPLE([Types.STRING(), Types.LONG(), Types.INT(), Types.STRING()])
RECORDS = OutputTag("records", Types.STRING())
END = ""  # the payload of the message that ends a key's run (no JSON value is empty)


class _Leaf:
    """A timeline of the events alone: folds what each event contributes into one slot."""

    def __init__(self, expr: nodes.Node):
        self.expr = expr
        self.predicate = None
        if isinstance(expr, (nodes.HasExisted, nodes.HasExistedWithin)):
            self.predicate = eval(f"lambda ev: {predicate_source(expr.predicate)}", {})

    def contribution(self, fields: dict[str, Any]) -> Any:
        if self.predicate is None:
            return fields.get(self.expr.column)
        return self.predicate(fields)

    def initial(self, time: int) -> Any:
        return {nodes.LatestEventToState: None, nodes.HasExisted: False, nodes.HasExistedWithin: time}[type(self.expr)]

    def fold(self, slot: Any, time: int, contribution: Any) -> Any:
        if isinstance(self.expr, nodes.LatestEventToState):
            return slot if contribution is None else contribution
        if isinstance(self.expr, nodes.HasExisted):
            return slot or contribution
        return time + self.expr.window_ms if contribution else slot  # until when the window is open

    def value(self, slot: Any, time: int) -> Any:
        return time < slot if isinstance(self.expr, nodes.HasExistedWithin) else slot

    def expiry(self, slot: Any, time: int) -> int | None:
        """When the value changes without events: the end of an open window."""
        if isinstance(self.expr, nodes.HasExistedWithin) and time < slot:
            return slot
        return None


def _pointwise(expr: nodes.Node, inputs: list) -> Any:
    """The value of a derived boolean node from its inputs' values."""
    if isinstance(expr, nodes.Not):
        return not inputs[0]
    if isinstance(expr, nodes.And):
        return inputs[0] and inputs[1]
    if isinstance(expr, nodes.Or):
        return inputs[0] or inputs[1]
    return compare(inputs[0], expr.op, expr.literal)


class NodeFunction(KeyedProcessFunction):
    """One plan node's operator: buffers inputs per instant, updates its value, forwards changes."""

    def __init__(self, node: PlanNode, output: str | None, forward: bool, timeout_ms: int | None, separator: str):
        self.node = node
        self.output = output  # the output timeline's name, if the node is one
        self.forward = forward  # whether other nodes read this one
        self.timeout_ms = timeout_ms
        self.separator = separator  # joins the payloads of an instant
        self.leaf = None
        self.state = None

    def open(self, runtime_context: RuntimeContext) -> None:
        if not self.node.inputs or isinstance(self.node.expr, (nodes.HasExisted, nodes.HasExistedWithin)):
            self.leaf = _Leaf(self.node.expr)
        self.state = runtime_context.get_state(ValueStateDescriptor("node", Types.PICKLED_BYTE_ARRAY()))

    def process_element(self, value, ctx: KeyedProcessFunction.Context):
        if self.leaf is not None:  # an instant (key, time, payloads)
            _, time, payloads = value
            entries = [self.leaf.contribution(orjson.loads(payload)) for payload in payloads.split(self.separator)]
        else:  # a message (key, time, sender, value)
            _, time, sender, payload = value
            entries = [(sender, payload)]
        state = self._load()
        state["pending"].setdefault(time, []).extend(entries)
        self.state.update(state)
        ctx.timer_service().register_event_time_timer(time)

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):
        state = self._load()
        entries = state["pending"].pop(timestamp, None)
        step = self._leaf_step if self.leaf is not None else self._derived_step
        yield from step(state, timestamp, entries, ctx)
        if state["run"] is None and not state["pending"]:
            self.state.clear()
        else:
            self.state.update(state)

    def _load(self) -> dict:
        return self.state.value() or {"pending": {}, "run": None}

    def _leaf_step(self, state: dict, time: int, contributions: list | None, ctx):
        run, timers, key = state["run"], ctx.timer_service(), ctx.get_current_key()
        first = run is None
        if contributions:
            if first:
                run = state["run"] = {"slot": self.leaf.initial(time), "last": time, "value": None}
            for contribution in contributions:
                run["slot"] = self.leaf.fold(run["slot"], time, contribution)
            if self.timeout_ms is not None:  # the run now ends timeout_ms after this instant
                timers.delete_event_time_timer(run["last"] + self.timeout_ms)
                timers.register_event_time_timer(time + self.timeout_ms)
            run["last"] = time
        elif first:
            return
        elif self.timeout_ms is not None and time >= run["last"] + self.timeout_ms:
            state["run"] = None
            yield from self._end(key, time)
            return
        expiry = self.leaf.expiry(run["slot"], time)
        if expiry is not None:
            timers.register_event_time_timer(expiry)
        yield from self._changed(run, key, time, self.leaf.value(run["slot"], time), first)

    def _derived_step(self, state: dict, time: int, messages: list | None, ctx):
        if not messages:
            return
        key = ctx.get_current_key()
        if any(payload == END for _, payload in messages):
            state["run"] = None
            yield from self._end(key, time)
            return
        run = state["run"]
        first = run is None
        if first:
            run = state["run"] = {"inputs": [None] * len(self.node.inputs), "value": None, "since": time}
        for sender, payload in messages:
            value = orjson.loads(payload)
            for position, index in enumerate(self.node.inputs):
                if index == sender:
                    run["inputs"][position] = value
        if isinstance(self.node.expr, nodes.DurationWhere):
            yield from self._duration(run, key, time, first)
        else:
            yield from self._changed(run, key, time, _pointwise(self.node.expr, run["inputs"]), first)

    def _duration(self, run: dict, key: str, time: int, first: bool):
        """``duration_where``: a linear piece that changes only when its rate does."""
        rate = 1 if run["inputs"][0] else 0
        if first or rate != run["value"][1]:
            total = 0 if first else run["value"][0] + run["value"][1] * (time - run["since"])
            run["since"] = time
            yield from self._emit(run, key, time, [total, rate])

    def _changed(self, run: dict, key: str, time: int, value: Any, first: bool):
        if first or not same_value(value, run["value"]):
            yield from self._emit(run, key, time, value)

    def _emit(self, run: dict, key: str, time: int, value: Any):
        run["value"] = value
        if self.forward:
            yield key, time, self.node.index, orjson.dumps(value).decode()
        if self.output is not None:
            numeric = self.node.kind is nodes.Kind.NUMBER
            change = (self.output, time, *value) if numeric else (self.output, time, value, None)
            yield RECORDS, orjson.dumps(to_record(key, change)).decode()

    def _end(self, key: str, time: int):
        if self.forward:
            yield key, time, self.node.index, END
        if self.output is not None:
            rate = 0 if self.node.kind is nodes.Kind.NUMBER else None
            yield RECORDS, orjson.dumps(to_record(key, (self.output, time, None, rate))).decode()


def _check_supported(plan: Plan, node: PlanNode) -> None:
    expr = node.expr
    numeric_compare = isinstance(expr, nodes.Compare) and plan.nodes[node.inputs[0]].kind is nodes.Kind.NUMBER
    latch_of_timeline = (isinstance(expr, (nodes.HasExisted, nodes.HasExistedWithin))
                         and plan.nodes[node.inputs[0]].kind is not nodes.Kind.PREDICATE)
    if numeric_compare or latch_of_timeline or not isinstance(expr, (nodes.LatestEventToState, nodes.HasExisted, nodes.HasExistedWithin,
                                                nodes.Not, nodes.And, nodes.Or, nodes.Compare, nodes.DurationWhere)):
        raise ValueError(f"the naive translation has no operator for node #{node.index} ({type(expr).__name__})")


def build_naive_graph(events: KeyedStream, plan: Plan, separator: str) -> DataStream:
    """The change records of ``plan``'s outputs from keyed instants ``(key, time, payloads)``, with watermarks,
    the payloads of an instant joined by ``separator``."""
    names = {index: name for name, index in plan.outputs.items()}
    streams: dict[int, DataStream] = {}
    records: list[DataStream] = []
    for node in plan.nodes:
        if node.kind is nodes.Kind.PREDICATE:
            continue  # evaluated inside the has_existed* leaf that reads it
        _check_supported(plan, node)
        read = [streams[index] for index in dict.fromkeys(node.inputs) if index in streams]
        keyed = read[0].union(*read[1:]).key_by(lambda element: element[0], key_type=Types.STRING()) if read else events
        function = NodeFunction(node, names.get(node.index), bool(plan.users(node.index)),
                                plan.spec.session_timeout_ms, separator)
        streams[node.index] = (keyed.process(function, output_type=MESSAGE)
                               .name(f"node-{node.index}").uid(f"node-{node.index}"))
        if node.index in names:
            records.append(streams[node.index].get_side_output(RECORDS))
    return records[0].union(*records[1:])
