"""The jobs that the job benchmarks run, each from the same source to the same sink (files or Pulsar).

- ``java``: the source straight into the sink, no Python operator at all.
- ``python``: decode and watermarks (as in the job), ``key_by`` (as the job keys its instants) and an
  identity keyed Python operator.
- ``timeline``: the job of ``jobs/pipeline.py``.
- ``python-java-decode``: the Python floor with the key and time read by Flink SQL instead of decode.
- ``naive``: decode, watermarks and one keyed operator per plan node (:mod:`benchmarks.naive`).
"""
from __future__ import annotations

from pyflink.common import Types
from pyflink.datastream import KeyedProcessFunction, KeyedStream, RuntimeContext, StreamExecutionEnvironment
from pyflink.datastream.state import ValueStateDescriptor
from pyflink.table import DataTypes, Schema, StreamTableEnvironment

from dsl.plan import compile_plan
from dsl.spec import load_spec
from jobs.config import JobConfig
from jobs.pipeline import build_graph, decoded_events, keyed_by_first_field, sink_output, source_stream
from operators.decode import KEYED
from benchmarks.naive import build_naive_graph


class IdentityFunction(KeyedProcessFunction):
    """Keeps one small value per key (its event count) and emits each event's payload."""

    def __init__(self):
        self.count = None

    def open(self, runtime_context: RuntimeContext) -> None:
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.LONG()))

    def process_element(self, value, ctx: KeyedProcessFunction.Context):
        self.count.update((self.count.value() or 0) + 1)
        yield value[2]


def _events(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> KeyedStream:
    """Decoded ``(key, time, payload)`` events with the job's timestamps and watermarks, keyed by Java."""
    spec = load_spec(spec_text)
    return keyed_by_first_field(decoded_events(env, spec.key, spec.time, config)[1])


def java_floor(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> None:
    sink_output(source_stream(env, config), config, "changes", "sink")


def python_floor(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> None:
    identity = _events(env, spec_text, config).process(IdentityFunction(), output_type=Types.STRING()).name("identity")
    sink_output(identity, config, "changes", "sink")


def python_floor_java_decode(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> None:
    """The Python floor with key and time read from the JSON by Flink SQL (``JSON_VALUE``) instead of decode.

    A lever measured, not a job: it has no dead letters, and ``JSON_VALUE`` reads keys and times more
    loosely than ``engine/events.py`` (any scalar key, no ISO-8601 times).
    """
    spec = load_spec(spec_text)
    tables = StreamTableEnvironment.create(env)
    time_ms = f"CAST(JSON_VALUE(f0, '$.{spec.time}') AS BIGINT)"
    bound = config.watermark.max_out_of_orderness_ms
    lines = tables.from_data_stream(source_stream(env, config), Schema.new_builder()
                                    .column("f0", DataTypes.STRING())
                                    .column_by_expression("event_time", f"TO_TIMESTAMP_LTZ({time_ms}, 3)")
                                    .watermark("event_time", f"event_time - INTERVAL '{bound / 1000:.3f}' SECOND")
                                    .build())
    key = f"JSON_VALUE(f0, '$.{spec.key}')"
    events = tables.sql_query(f"SELECT {key}, ROW({key}, {time_ms}, f0) FROM {lines}")
    keyed = keyed_by_first_field(tables.to_append_stream(events, KEYED))
    identity = keyed.process(IdentityFunction(), output_type=Types.STRING()).name("identity")
    sink_output(identity, config, "changes", "sink")


def naive(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> None:
    records = build_naive_graph(_events(env, spec_text, config), compile_plan(load_spec(spec_text)))
    sink_output(records, config, "changes", "sink")


GRAPHS = {"java": java_floor, "python": python_floor, "timeline": build_graph, "naive": naive,
          "python-java-decode": python_floor_java_decode}
