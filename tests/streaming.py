"""The streaming part of the Flink job without Flink: the real operator functions on small fakes.

The events go through what the job does around the operators: watermarks from
Flink's bounded out-of-orderness generator (largest time seen minus the bound
minus one) and, as in the instants stages (``timeline.flink.instants`` in ``jvm/``), late events
split off (at or below the watermark) and the others held until the watermark
passes their time, then released as instants, each key's in time order, equal
times in arrival order, in one batch per bucket of keys (:data:`BUCKETS` buckets,
so that a batch holds many keys). The batches drive the real
:class:`~operators.timelines.TimelineFunction`, whose contributions drive the
real :class:`~operators.aggregates.CombineFunction`, both built from the spec's
YAML and run by :class:`~tests.flink_fakes.KeyedHarness`. The combine operator
sees a watermark after the timeline operator has fired its timers for it, as
Flink forwards a watermark only then.

A restore at ``restore_at`` checkpoints the whole pipeline -- both operators'
keyed state (engine states, pending timers, aggregate folds) and timers, and
the instants stage's pending events -- then builds new functions from the
spec's text that open on the restored state, with watermarks starting over, as
after a Flink restore.
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from unittest import mock

import orjson

from dsl.render import render
from dsl.spec import Spec, load_spec
from engine.events import END_OF_TIME
from engine.decode import Event
from engine.records import aggregate_order, change_order
from operators.aggregates import CONTRIBUTIONS, CombineFunction, aggregate_key
from operators.timelines import TimelineFunction
from tests.flink_fakes import NO_WATERMARK, KeyedHarness, Output, Snapshot

BUCKETS = 3


def bucket_of(key: str) -> int:
    return zlib.crc32(key.encode()) % BUCKETS


def batch_bucket(batch: str) -> int:
    """The bucket of a batch: its first key's, as every key of it has the same."""
    return bucket_of(orjson.loads(batch)[0][0])


def spec_yaml(spec: Spec) -> str:
    """``spec`` written as YAML, its expressions rendered."""
    document = {
        "name": spec.name, "key": spec.key, "time": spec.time,
        "timelines": {name: render(tree) for name, tree in spec.timelines.items()},
        "outputs": list(spec.outputs),
    }
    if spec.session_timeout_ms is not None:
        document["session_timeout"] = spec.session_timeout_ms
    if spec.aggregates:
        document["aggregate"] = {
            aggregate.name: {"timeline": render(aggregate.timeline), "group_by": list(aggregate.group_by),
                             "metrics": list(aggregate.metrics), "every": aggregate.every_ms}
            for aggregate in spec.aggregates
        }
    return json.dumps(document, ensure_ascii=False)  # JSON is YAML


@dataclass(frozen=True)
class _Checkpoint:
    timelines: Snapshot
    combine: Snapshot
    pending: tuple[Event, ...]


class _Pipeline:
    """Watermarks, the instants stage, and the two keyed operators; collects what reaches the sinks."""

    def __init__(self, spec_text: str, restored: _Checkpoint | None = None):
        self.timelines = KeyedHarness(TimelineFunction(spec_text), key_of=batch_bucket,
                                      restored=restored and restored.timelines)
        self.combine = KeyedHarness(CombineFunction(spec_text), key_of=aggregate_key,
                                    restored=restored and restored.combine)
        self.pending: list[Event] = list(restored.pending) if restored else []
        self.largest_time: int | None = None
        self.watermark = NO_WATERMARK
        self.changes: list[dict] = []
        self.aggregates: list[dict] = []
        self.late: list[Event] = []

    def arrive(self, event: Event, bound: int) -> None:
        if event.time <= self.watermark:
            self.late.append(event)
        else:
            self.pending.append(event)
        self.largest_time = event.time if self.largest_time is None else max(self.largest_time, event.time)
        if self.largest_time - bound - 1 > self.watermark:
            self.advance(self.largest_time - bound - 1)

    def advance(self, watermark: int) -> None:
        self.watermark = watermark
        passed = sorted((event for event in self.pending if event.time <= watermark),
                        key=lambda event: (event.time, event.key))  # stable: arrival order within an instant
        self.pending = [event for event in self.pending if event.time > watermark]
        batches: dict[int, list] = {}
        for (time, key), instant in groupby(passed, key=lambda event: (event.time, event.key)):
            batches.setdefault(bucket_of(key), []).append([key, time, [event.fields for event in instant]])
        for batch in batches.values():
            self.route(self.timelines.process_element(orjson.dumps(batch).decode()))
        self.route(self.timelines.advance_watermark(watermark))
        self.aggregates += [orjson.loads(record) for _, record in self.combine.advance_watermark(watermark)]

    def route(self, outputs: list[Output]) -> None:
        """Change records (one per line of an output) to the sink, contributions to the combine operator."""
        for tag, value in outputs:
            if tag is None:
                self.changes += [orjson.loads(line) for line in value.split("\n")]
            else:
                assert tag == CONTRIBUTIONS.tag_id
                assert self.combine.process_element(value) == []

    def checkpoint(self) -> _Checkpoint:
        return _Checkpoint(self.timelines.snapshot(), self.combine.snapshot(), tuple(self.pending))


def run_streaming(spec: Spec, arrivals: list[Event], bound: int,
                  restore_at: int | None = None) -> tuple[list[dict], list[Event]]:
    """Change records then aggregate records (each sorted), and late events, for events in arrival order."""
    spec_text = spec_yaml(spec)
    # the functions load the spec in open(), as on a worker; parsing one text once keeps this fast
    loaded = lru_cache(maxsize=1)(load_spec)
    assert (loaded(spec_text).timelines, loaded(spec_text).aggregates) == (spec.timelines, spec.aggregates)
    with mock.patch("operators.timelines.load_spec", loaded), mock.patch("operators.aggregates.load_spec", loaded):
        return _run(spec_text, arrivals, bound, restore_at)


def _run(spec_text: str, arrivals: list[Event], bound: int, restore_at: int | None) -> tuple[list[dict], list[Event]]:
    pipeline = _Pipeline(spec_text)
    changes, aggregates, late = [], [], []
    for position, event in enumerate(arrivals):
        if position == restore_at:
            changes += pipeline.changes
            aggregates += pipeline.aggregates
            late += pipeline.late
            pipeline = _Pipeline(spec_text, restored=pipeline.checkpoint())
        pipeline.arrive(event, bound)
    pipeline.advance(END_OF_TIME)  # the end of a bounded input: Flink's largest watermark
    changes += pipeline.changes
    aggregates += pipeline.aggregates
    late += pipeline.late
    return sorted(changes, key=change_order) + sorted(aggregates, key=aggregate_order), late
