"""The jobs that the job benchmarks run, each from the same source to the same sink (files or Pulsar).

- ``java``: the source's text straight into the sink, no decode and no Python operator at all.
- ``python``: the job's JVM front (:func:`jobs.pipeline.instants_of`: decode, per-split watermarks,
  ``key_by``, instants) and an identity keyed Python operator.
- ``timeline``: the job of ``jobs/pipeline.py``.
- ``naive``: the same JVM front and one keyed operator per plan node (:mod:`benchmarks.naive`).
"""
from __future__ import annotations

from pyflink.common import Types
from pyflink.datastream import KeyedProcessFunction, KeyedStream, RuntimeContext, StreamExecutionEnvironment
from pyflink.datastream.state import ValueStateDescriptor

from dsl.plan import compile_plan
from benchmarks.naive import build_naive_graph
from dsl.spec import load_spec
from jobs.config import JobConfig
from jobs.pipeline import build_graph, instants_of, sink_output, text_source_stream
from operators.decode import EVENT_SEPARATOR


class IdentityFunction(KeyedProcessFunction):
    """Keeps one small value per key (its instant count) and emits each event of the instant as it came."""

    def __init__(self):
        self.count = None

    def open(self, runtime_context: RuntimeContext) -> None:
        self.count = runtime_context.get_state(ValueStateDescriptor("count", Types.LONG()))

    def process_element(self, value, ctx: KeyedProcessFunction.Context):
        self.count.update((self.count.value() or 0) + 1)
        yield from value[2].split(EVENT_SEPARATOR)


def instants(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> KeyedStream:
    """The job's complete instants ``(key, time, payloads)``, keyed, from its JVM front."""
    spec = load_spec(spec_text)
    return instants_of(env, spec.key, spec.time, config).instants


def java_floor(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> None:
    sink_output(text_source_stream(env, config), config, "changes", "sink")


def python_floor(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> None:
    identity = instants(env, spec_text, config).process(IdentityFunction(), output_type=Types.STRING()).name("identity")
    sink_output(identity, config, "changes", "sink")


def naive(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> None:
    records = build_naive_graph(instants(env, spec_text, config), compile_plan(load_spec(spec_text)))
    sink_output(records, config, "changes", "sink")


GRAPHS = {"java": java_floor, "python": python_floor, "timeline": build_graph, "naive": naive}
