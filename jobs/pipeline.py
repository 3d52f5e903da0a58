"""The Flink job: its environment and its DataStream graph.

    source -> decode -> timestamps/watermarks -> instants (SQL) -> key_by(key) -> timelines -> sink
                 \\ bad events                           \\ late events
                  +------------------ union -------------+-> dead-letter sink

    timelines -> contributions -> key_by(aggregate, group) -> aggregates -> aggregate sink

Each sink follows its keyed operator directly (forward, same parallelism), so
every key's records leave through the one sink subtask that computed them, in
order. On Pulsar, change records carry their key as the message key and
aggregate records their (metric, group) (``timeline.flink.sink.KeyedRecords``
in ``jvm/``), routed by its hash: a partitioned topic keeps each key in one
partition, in that order. Dead letters have no key.
"""
from __future__ import annotations

import os
import site
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)  # apache-beam, under PyFlink

from pyflink.common import Configuration, Duration, Encoder, Types, WatermarkStrategy
from pyflink.common.serialization import SimpleStringSchema
from pyflink.datastream import DataStream, DataStreamSink, KeyedStream, StreamExecutionEnvironment
from pyflink.datastream.connectors import Source
from pyflink.datastream.connectors.base import DeliveryGuarantee
from pyflink.datastream.connectors.file_system import (
    BucketAssigner, FileSink, FileSource, OutputFileConfig, StreamFormat)
from pyflink.datastream.connectors.pulsar import (
    PulsarSink, PulsarSource, PulsarSourceBuilder, StartCursor, StopCursor, TopicRoutingMode)
from pyflink.java_gateway import get_gateway
from pyflink.table import StreamTableEnvironment

from dsl.spec import load_spec
from jobs.artifacts import export_artifacts
from jobs.config import FileSinkConfig, FileSourceConfig, JobConfig, PulsarSinkConfig, RestartConfig
from jobs.instants import instants
from jobs.preflight import check_pulsar_endpoints
from operators.aggregates import AGGREGATE_KEY, CONTRIBUTIONS, CombineFunction, aggregate_key
from operators.decode import (
    DEAD_LETTERS, DECODED, INSTANT, KEYED, TIMESTAMPED, DeadLetterCount, DecodeFunction, LateLetter)
from operators.timelines import TimelineFunction

PROJECT_ROOT = Path(__file__).resolve().parents[1]
KEYED_OUTPUTS = ("changes", "aggregates")  # with message keys: KeyedRecords.changes(), KeyedRecords.aggregates()


@dataclass(frozen=True)
class RunOptions:
    parallelism: int | None = 1  # None: the cluster's default (flink run -p)
    execution_mode: str = "thread"  # or "process"
    resume_from: str | None = None  # a retained checkpoint or savepoint
    local: bool = True  # the local mini-cluster: point Flink at this interpreter and the jars
    flink_conf: tuple[tuple[str, str], ...] = ()  # further Flink options (-D KEY=VALUE), applied last


def flink_configuration(config: JobConfig, options: RunOptions) -> Configuration:
    conf = Configuration()
    settings = {
        "python.execution-mode": options.execution_mode,
        "execution.checkpointing.interval": f"{config.checkpoint.interval_ms} ms",
        "execution.checkpointing.mode": config.checkpoint.mode.replace("-", "_").upper(),
        "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
        "state.backend.type": config.checkpoint.backend,
        "state.checkpoints.dir": config.checkpoint.dir,
        **restart_settings(config.checkpoint.restart),
        # the Pulsar client's I/O threads still log after a finished job's class loader closes
        "classloader.check-leaked-classloader": "false",
    }
    if options.resume_from:
        settings["execution.savepoint.path"] = options.resume_from
    if options.local:
        settings["python.executable"] = sys.executable
        settings["python.client.executable"] = sys.executable
        # thread mode: the embedded interpreter sees neither the venv's packages nor
        # the project (an editable install's .pth file is not read) otherwise
        settings["python.pythonpath"] = os.pathsep.join([*site.getsitepackages(), str(PROJECT_ROOT)])
        jars = connector_jars(config)
        if jars:
            settings["pipeline.jars"] = jars
    settings.update(options.flink_conf)
    for key, value in settings.items():
        conf.set_string(key, value)
    return conf


def restart_settings(restart: RestartConfig) -> dict[str, str]:
    """Flink's restart-strategy options for ``restart``."""
    settings = {"restart-strategy.type": restart.strategy}
    if restart.strategy == "exponential-delay":
        settings |= {"restart-strategy.exponential-delay.initial-backoff": f"{restart.delay_ms} ms",
                     "restart-strategy.exponential-delay.max-backoff": f"{restart.max_delay_ms} ms"}
    elif restart.strategy == "fixed-delay":
        settings |= {"restart-strategy.fixed-delay.delay": f"{restart.delay_ms} ms",
                     "restart-strategy.fixed-delay.attempts": str(restart.attempts or 2**31 - 1)}
    return settings


def connector_jars(config: JobConfig) -> str | None:
    """``pipeline.jars`` of a local run with Pulsar: $FLINK_PULSAR_JARS, fetched if unset.

    A cluster has these jars in its ``lib/`` (``scripts/cluster.sh``): given as
    ``pipeline.jars`` there, PyFlink's own Java classes are not found.
    """
    uses_pulsar = not isinstance(config.source, FileSourceConfig) or not isinstance(config.sink, FileSinkConfig)
    if not uses_pulsar:
        return None
    if "FLINK_PULSAR_JARS" not in os.environ:
        export_artifacts()
    return os.environ.get("FLINK_PULSAR_JARS")


def create_environment(config: JobConfig, options: RunOptions) -> StreamExecutionEnvironment:
    # The local JVM starts with the environment; flags for it go through JVM_ARGS.
    os.environ.setdefault("JVM_ARGS", "--add-exports=java.base/sun.net=ALL-UNNAMED")
    if options.local and any(key.startswith("metrics.reporter.") for key, _ in options.flink_conf):
        add_metric_reporters()
    env = StreamExecutionEnvironment.get_execution_environment(flink_configuration(config, options))
    if options.parallelism:
        env.set_parallelism(options.parallelism)
    return env


def add_metric_reporters() -> None:
    """Put the PyFlink distribution's metric reporters (``plugins/metrics-*``) on the local JVM's class path.

    The mini-cluster finds reporters only there, not in a plugins folder; the
    gateway launcher adds ``HADOOP_CLASSPATH`` to its class path.
    """
    import pyflink

    jars = sorted(str(jar) for jar in Path(pyflink.__file__).parent.glob("plugins/metrics-*/*.jar"))
    present = os.environ.get("HADOOP_CLASSPATH", "")
    os.environ["HADOOP_CLASSPATH"] = os.pathsep.join(filter(None, [present, *jars]))


def build_graph(env: StreamExecutionEnvironment, spec_text: str, config: JobConfig) -> None:
    """Add the job of the spec written as ``spec_text`` to ``env``."""
    spec = load_spec(spec_text)
    decoded, events = decoded_events(env, spec.key, spec.time, config)
    grouped, late = instants(StreamTableEnvironment.create(env), events)
    changes = (keyed_by_first_field(grouped, INSTANT)
               .process(TimelineFunction(spec_text), output_type=Types.STRING()).uid("timelines").name("timelines"))
    # chained to the keyed operator at its parallelism: keeps each key's records in order
    sink_output(changes, config, "changes", "sink")
    if spec.aggregates:
        aggregates = (changes.get_side_output(CONTRIBUTIONS)
                      .key_by(aggregate_key, key_type=AGGREGATE_KEY)
                      .process(CombineFunction(spec_text), output_type=Types.STRING())
                      .uid("aggregates").name("aggregates"))
        # chained to the aggregate operator: keeps each (aggregate, group)'s records in time order
        sink_output(aggregates, config, "aggregates", "aggregate-sink")
    late_letters = late.map(LateLetter(), output_type=Types.STRING()).uid("late").name("late")
    dead_letters = (decoded.get_side_output(DEAD_LETTERS).union(late_letters)
                    .map(DeadLetterCount(), output_type=Types.STRING())
                    .uid("dead-letters").name("dead-letters").set_parallelism(1))
    sink_output(dead_letters, config, "dead_letters", "dead-letter-sink").set_parallelism(1)


def decoded_events(env: StreamExecutionEnvironment, key_field: str, time_field: str,
                   config: JobConfig) -> tuple[DataStream, DataStream]:
    """The decode step (its side output has the dead letters) and its events with timestamps and watermarks."""
    decoded = (source_stream(env, config).set_parallelism(1)
               .process(DecodeFunction(key_field, time_field, config.watermark.max_future_ms),
                        output_type=TIMESTAMPED)
               .uid("decode").name("decode").set_parallelism(1))
    return decoded, timestamped_events(decoded, watermark_strategy(config))


def timestamped_events(decoded: DataStream, strategy: WatermarkStrategy) -> DataStream:
    """Decode's ``(Row(key, event), time)`` elements as ``Row(key, event)`` with timestamps, by Java operators alone.

    The same Java classes as PyFlink's ``assign_timestamps_and_watermarks``
    uses, without the Python step it adds per event to extract the timestamp:
    decode already emits it.
    """
    python_event_time = get_gateway().jvm.org.apache.flink.streaming.api.functions.python.eventtime
    with_time = decoded._j_data_stream.assignTimestampsAndWatermarks(
        strategy._j_watermark_strategy.withTimestampAssigner(python_event_time.CustomTimestampAssigner()))
    with_time.uid("watermarks").name("watermarks").setParallelism(1)
    events = with_time.map(python_event_time.RemoveTimestampMapFunction(), KEYED.get_java_type_info())
    events.uid("events").name("events").setParallelism(1)
    return DataStream(events)


def keyed_by_first_field(events: DataStream, value_type=DECODED) -> KeyedStream:
    """``Row(key, value)`` elements keyed by ``key`` with PyFlink's Java key selector, no Python step.

    The Python function after it receives ``value``, of type ``value_type``.
    """
    selector = get_gateway().jvm.KeyByKeySelector()
    keyed = events._j_data_stream.keyBy(selector, Types.ROW([Types.STRING()]).get_java_type_info())
    return KeyedStream(keyed, value_type, events)


def source_stream(env: StreamExecutionEnvironment, config: JobConfig) -> DataStream:
    source = config.source
    if isinstance(source, FileSourceConfig):
        files = FileSource.for_record_stream_format(StreamFormat.text_line_format(), str(source.path)).build()
        return env.from_source(files, WatermarkStrategy.no_watermarks(), "file-source").uid("source")
    builder = (PulsarSource.builder()
               .set_service_url(source.service_url)
               .set_subscription_name(source.subscription)
               .set_start_cursor(StartCursor.earliest() if source.start == "earliest" else StartCursor.latest())
               .set_properties(source.security.client_properties()))
    if source.topic_pattern:
        builder.set_topic_pattern(source.topic_pattern)
    else:
        builder.set_topics(list(source.topics))
    if source.bounded:
        builder.set_bounded_stop_cursor(StopCursor.latest())
    return env.from_source(batch_resuming(builder), WatermarkStrategy.no_watermarks(), "pulsar-source").uid("source")


def batch_resuming(builder: PulsarSourceBuilder) -> Source:
    """The Pulsar source of ``builder`` with string payloads, restoring inside batched entries (``jvm/``).

    Connector 4.1.0 alone skips the rest of a batch on every restore (FLINK-36180);
    ``timeline.flink.pulsar.BatchResumingPulsarSource`` resumes at the checkpointed message.
    """
    resuming = get_gateway().jvm.timeline.flink.pulsar.BatchResumingPulsarSource
    return Source(resuming.of(builder._j_pulsar_source_builder, SimpleStringSchema()._j_deserialization_schema))


def watermark_strategy(config: JobConfig) -> WatermarkStrategy:
    watermark = config.watermark
    strategy = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(watermark.max_out_of_orderness_ms))
    if watermark.idle_timeout_ms:
        strategy = strategy.with_idleness(Duration.of_millis(watermark.idle_timeout_ms))
    return strategy


def sink_output(stream: DataStream, config: JobConfig, output: str, uid: str) -> DataStreamSink:
    """Sink one output (``changes``, ``aggregates`` or ``dead_letters``) to its topic or folder."""
    sink = config.sink
    if isinstance(sink, PulsarSinkConfig):
        target = _pulsar_sink(sink, output)
    else:
        target = file_sink(getattr(sink, output))
    return stream.sink_to(target).uid(uid).name(uid)


def _pulsar_sink(sink: PulsarSinkConfig, output: str) -> PulsarSink:
    """The sink of ``output``'s topic; keyed outputs get message keys and key-hash routing."""
    exactly_once = sink.delivery == "exactly-once"
    builder = (PulsarSink.builder()
               .set_service_url(sink.service_url)
               .set_topics(sink.topic_of(output))
               .set_properties(sink.security.client_properties())
               .set_delivery_guarantee(DeliveryGuarantee.EXACTLY_ONCE if exactly_once
                                       else DeliveryGuarantee.AT_LEAST_ONCE))
    if exactly_once:
        builder.set_config("pulsar.sink.transactionTimeoutMillis", sink.transaction_timeout_ms)
    if output in KEYED_OUTPUTS:
        keyed_records = getattr(get_gateway().jvm.timeline.flink.sink.KeyedRecords, output)()
        builder._j_pulsar_sink_builder.setSerializationSchema(keyed_records)
        builder.set_topic_routing_mode(TopicRoutingMode.MESSAGE_KEY_HASH)
    else:
        builder.set_serialization_schema(SimpleStringSchema()).set_topic_routing_mode(TopicRoutingMode.ROUND_ROBIN)
    return builder.build()


def file_sink(folder: Path) -> FileSink:
    return (FileSink.for_row_format(str(folder), Encoder.simple_string_encoder())
            .with_bucket_assigner(BucketAssigner.base_path_bucket_assigner())
            .with_output_file_config(OutputFileConfig.builder().with_part_suffix(".jsonl").build())
            .build())


def job_environment(spec_text: str, config: JobConfig, options: RunOptions) -> StreamExecutionEnvironment:
    """The environment with the job built, its Pulsar endpoints checked first."""
    env = create_environment(config, options)
    check_pulsar_endpoints(config)  # the connector's classes are loaded with the environment
    build_graph(env, spec_text, config)
    return env


def run(spec_text: str, config: JobConfig, options: RunOptions):
    """Build and execute the job; blocks until a bounded job ends. Returns the JobExecutionResult."""
    return job_environment(spec_text, config, options).execute("timeline")


def submit(spec_text: str, config: JobConfig, options: RunOptions):
    """Build and start the job; returns its JobClient at once."""
    return job_environment(spec_text, config, options).execute_async("timeline")
