"""Small fakes of Flink's keyed state, timer service and contexts that drive a real KeyedProcessFunction.

:class:`KeyedHarness` plays the part of Flink's keyed operator (as its
``KeyedOneInputStreamOperatorTestHarness`` does in Java): the function is built
by the caller and opened here with a runtime context whose value and map states
belong to the current key; each element is processed under its key; a new
watermark fires the event-time timers at or below it in time order, including
those that a firing registers at or below it; outputs are collected with their
side-output tag. State values are stored serialized, as a state backend does, so
a function that changes a value after writing it changes nothing stored.
:meth:`KeyedHarness.snapshot` is a checkpoint: restoring it builds a new harness
around a newly built function, which opens on the restored state.
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from pyflink.datastream import KeyedProcessFunction, OutputTag

NO_WATERMARK = -(2**63)  # Flink's Long.MIN_VALUE: no watermark yet, also after a restore


@dataclass(frozen=True)
class Snapshot:
    """An operator's checkpointed keyed state (serialized) and event-time timers."""

    state: dict[tuple, bytes]
    timers: frozenset[tuple[int, Any]]


class _Backend:
    """The keyed state of one operator: serialized values by (state name, key[, map key])."""

    def __init__(self, state: dict[tuple, bytes]):
        self.state = dict(state)
        self.current_key: Any = None
        self.writes: list[tuple] = []  # every slot written, in order

    def write(self, slot: tuple, value: Any) -> None:
        self.state[slot] = pickle.dumps(value)
        self.writes.append(slot)


class _ValueState:
    def __init__(self, backend: _Backend, name: str):
        self.backend, self.name = backend, name

    def value(self) -> Any:
        stored = self.backend.state.get((self.name, self.backend.current_key))
        return None if stored is None else pickle.loads(stored)

    def update(self, value: Any) -> None:
        self.backend.write((self.name, self.backend.current_key), value)

    def clear(self) -> None:
        self.backend.state.pop((self.name, self.backend.current_key), None)


class _MapState:
    def __init__(self, backend: _Backend, name: str):
        self.backend, self.name = backend, name

    def _slot(self, map_key: Any) -> tuple:
        return self.name, self.backend.current_key, map_key

    def get(self, map_key: Any) -> Any:
        stored = self.backend.state.get(self._slot(map_key))
        return None if stored is None else pickle.loads(stored)

    def put(self, map_key: Any, value: Any) -> None:
        self.backend.write(self._slot(map_key), value)

    def remove(self, map_key: Any) -> None:
        self.backend.state.pop(self._slot(map_key), None)

    def keys(self) -> list[Any]:
        return [slot[2] for slot in self.backend.state if slot[:2] == (self.name, self.backend.current_key)]


class MetricGroup:
    """Flink's metric group as the functions use it; ``counts`` by path, e.g. ``("timeline", "cirr", "changeRecords")``."""

    def __init__(self, counts: dict[tuple[str, ...], int] | None = None, path: tuple[str, ...] = ()):
        self.counts = {} if counts is None else counts
        self.path = path

    def add_group(self, name: str, extra: str | None = None) -> MetricGroup:
        return MetricGroup(self.counts, (*self.path, name) if extra is None else (*self.path, name, extra))

    def counter(self, name: str) -> _Counter:
        return _Counter(self.counts, (*self.path, name))


class _Counter:
    def __init__(self, counts: dict[tuple[str, ...], int], path: tuple[str, ...]):
        self.counts, self.path = counts, path
        counts.setdefault(path, 0)

    def inc(self, n: int = 1) -> None:
        self.counts[self.path] += n

    def dec(self, n: int = 1) -> None:
        self.counts[self.path] -= n


class _RuntimeContext:
    def __init__(self, backend: _Backend):
        self.backend = backend
        self.metrics = MetricGroup()

    def get_metrics_group(self) -> MetricGroup:
        return self.metrics

    def get_state(self, descriptor) -> _ValueState:
        return _ValueState(self.backend, descriptor.get_name())

    def get_map_state(self, descriptor) -> _MapState:
        return _MapState(self.backend, descriptor.get_name())


class _TimerService:
    def __init__(self, harness: KeyedHarness):
        self.harness = harness

    def current_watermark(self) -> int:
        return self.harness.watermark

    def register_event_time_timer(self, time: int) -> None:
        self.harness.timers.add((time, self.harness.backend.current_key))

    def delete_event_time_timer(self, time: int) -> None:
        self.harness.timers.discard((time, self.harness.backend.current_key))


class _Context:
    def __init__(self, harness: KeyedHarness):
        self.timers = _TimerService(harness)
        self.backend = harness.backend

    def timer_service(self) -> _TimerService:
        return self.timers

    def get_current_key(self) -> Any:
        return self.backend.current_key


Output = tuple["str | None", Any]
"""An output: the side-output tag's id (None for the main output) and the value."""


class KeyedHarness:
    """One keyed operator instance running ``function`` on keys given by ``key_of``."""

    def __init__(self, function: KeyedProcessFunction, key_of: Callable[[Any], Any],
                 restored: Snapshot | None = None):
        self.function, self.key_of = function, key_of
        self.backend = _Backend(restored.state if restored else {})
        self.timers: set[tuple[int, Any]] = set(restored.timers) if restored else set()
        self.watermark = NO_WATERMARK
        self.context = _Context(self)
        runtime_context = _RuntimeContext(self.backend)
        self.metrics = runtime_context.metrics.counts  # the function's metrics by path
        function.open(runtime_context)

    def process_element(self, value: Any) -> list[Output]:
        self.backend.current_key = self.key_of(value)
        return _outputs(self.function.process_element(value, self.context))

    def advance_watermark(self, watermark: int) -> list[Output]:
        """Fire every timer at or below ``watermark``, earliest first (equal times by key)."""
        if watermark <= self.watermark:
            return []
        self.watermark = watermark
        outputs: list[Output] = []
        while self.timers:
            time, key = min(self.timers, key=lambda timer: (timer[0], repr(timer[1])))
            if time > watermark:
                break
            self.timers.discard((time, key))
            self.backend.current_key = key
            outputs += _outputs(self.function.on_timer(time, self.context))
        return outputs

    @property
    def writes(self) -> list[tuple]:
        """Every state slot written so far, ``(state name, key[, map key])``, in order."""
        return self.backend.writes

    def snapshot(self) -> Snapshot:
        return Snapshot(dict(self.backend.state), frozenset(self.timers))

    def keys_with_state(self) -> set[Any]:
        return {slot[1] for slot in self.backend.state}


def _outputs(results: Iterable[Any] | None) -> list[Output]:
    """What a process function yielded: ``(OutputTag, value)`` pairs go to side outputs."""
    outputs = []
    for result in results or ():
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], OutputTag):
            outputs.append((result[0].tag_id, result[1]))
        else:
            outputs.append((None, result))
    return outputs
