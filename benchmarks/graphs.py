"""The jobs that the job benchmarks run, each from the same source to the same sink (files or Pulsar).

- ``java``: the source's text straight into the sink, no decode and no Python operator at all.
- ``python``: the job's JVM front (:func:`jobs.pipeline.instants_of`: decode, per-split watermarks,
  ``key_by``, instants) and an identity keyed Python operator, one call per instant.
- ``python-batched``: the same front, the job's batches (:func:`jobs.pipeline.batches_of`) and an
  identity Python operator keyed by bucket, one call per batch.
- ``timeline``: the job of ``jobs/pipeline.py``.
- ``timeline-profiled``: the job, its timelines function under cProfile (statistics in the sink's folder).
- ``naive``: the same JVM front and one keyed operator per plan node (:mod:`benchmarks.naive`).
"""
from __future__ import annotations

import cProfile

import orjson
from pyflink.common import Types, WatermarkStrategy
from pyflink.common.serialization import SimpleStringSchema
from pyflink.datastream import DataStream, KeyedProcessFunction, KeyedStream, RuntimeContext, StreamExecutionEnvironment
from pyflink.datastream.connectors.file_system import StreamFormat
from pyflink.datastream.state import ValueStateDescriptor

from benchmarks.naive import build_naive_graph
from dsl.plan import compile_plan
from dsl.spec import load_spec
from jobs.config import FileSourceConfig, JobConfig
from jobs.pipeline import (batches_of, build_graph, from_files, from_pulsar, instants_of, jvm, keyed_records,
                           records_for, sink_output, sink_outputs)
from operators.keyed_records import key_prefix, record_type
from operators.timelines import TimelineFunction


class IdentityFunction(KeyedProcessFunction):
    """Keeps one small value per key (its instant count) and emits each event of the instant as it came."""

    def __init__(self, separator: str):
        self.separator = separator  # joins the payloads of an instant
        self.count = None

    def open(self, runtime_context: RuntimeContext) -> None:
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.LONG()))

    def process_element(self, value, ctx: KeyedProcessFunction.Context):
        self.count.update((self.count.value() or 0) + 1)
        yield from value[2].split(self.separator)


class IdentityBatchFunction(KeyedProcessFunction):
    """Keeps one small value per bucket (its batch count), parses the batch and emits each event, one per line,
    as keyed records with its key (``keyed``) or as text."""

    def __init__(self, keyed: bool):
        self.keyed = keyed
        self.count = None

    def open(self, runtime_context: RuntimeContext) -> None:
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.LONG()))

    def process_element(self, batch: str, ctx: KeyedProcessFunction.Context):
        self.count.update((self.count.value() or 0) + 1)
        instants = orjson.loads(batch)
        if self.keyed:
            yield b"\n".join(key_prefix(key.encode()) + orjson.dumps(event) for key, _, events in instants
                             for event in events)
        else:
            yield b"\n".join(orjson.dumps(event) for _, _, events in instants for event in events).decode()


PROFILE_FILE = "timelines.prof"


class ProfiledTimelineFunction(TimelineFunction):
    """The timelines function under cProfile; writes its statistics to ``stats_path`` when it closes."""

    def __init__(self, spec_text: str, keyed: bool, stats_path: str):
        super().__init__(spec_text, keyed)
        self.stats_path = stats_path
        self.profiler = None

    def open(self, runtime_context: RuntimeContext) -> None:
        super().open(runtime_context)
        self.profiler = cProfile.Profile()
        self.profiler.enable()

    def close(self) -> None:
        self.profiler.disable()
        self.profiler.dump_stats(self.stats_path)


def instants(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> KeyedStream:
    """The job's complete instants ``(key, time, payloads)``, keyed, from its JVM front."""
    spec = load_spec(spec_text)
    return instants_of(env, spec.key, spec.time, config).instants


def text_source_stream(env: StreamExecutionEnvironment, config: JobConfig) -> DataStream:
    """The source's records as text, without event time."""
    if isinstance(config.source, FileSourceConfig):
        return from_files(env, config.source, StreamFormat.text_line_format(), WatermarkStrategy.no_watermarks())
    schema = SimpleStringSchema()._j_deserialization_schema
    return from_pulsar(env, config.source, schema, WatermarkStrategy.no_watermarks())


def payload_separator() -> str:
    """The character that joins the payloads of an instant, as the JVM's instants stage defines it."""
    return jvm().timeline.flink.instants.Instants.PAYLOAD_SEPARATOR


def java_floor(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> None:
    sink_output(text_source_stream(env, config), config, "changes", "sink", keyed=False)


def python_floor(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> None:
    identity = instants(env, spec_text, config).process(IdentityFunction(payload_separator()), Types.STRING())
    identity.name("identity")
    sink_output(identity, config, "changes", "sink", keyed=False)


def python_batched_floor(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> None:
    keyed = keyed_records(config)
    identity = batches_of(instants(env, spec_text, config)).process(IdentityBatchFunction(keyed), record_type(keyed))
    sink_output(records_for(config, identity.name("identity")), config, "changes", "sink")


def profiled_timelines(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> None:
    """The job of :func:`jobs.pipeline.build_graph` with :class:`ProfiledTimelineFunction` as its timelines."""
    spec = load_spec(spec_text)
    front = instants_of(env, spec.key, spec.time, config)
    keyed = keyed_records(config)
    profiled = ProfiledTimelineFunction(spec_text, keyed, str(config.sink.path / PROFILE_FILE))
    timelines = batches_of(front.instants).process(profiled, record_type(keyed)).uid("timelines").name("timelines")
    sink_outputs(spec, spec_text, config, timelines, front.dead_letters)


def naive(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> None:
    plan = compile_plan(load_spec(spec_text))
    records = build_naive_graph(instants(env, spec_text, config), plan, payload_separator())
    sink_output(records, config, "changes", "sink", keyed=False)


GRAPHS = {"java": java_floor, "python": python_floor, "python-batched": python_batched_floor, "timeline": build_graph,
          "timeline-profiled": profiled_timelines, "naive": naive}
