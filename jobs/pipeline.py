"""The Flink job: its environment and its DataStream graph.

    source (decode, per-split watermarks) -> decode -> key_by(key) [-> idle-advance] -> instants
                                               \\ bad events                                  |  \\ late events
                                                +-------------------- union -----------------|--+-> dead-letter sink
    instant-batches -> timelines [-> keyed-lines] -> sink
                           \\ contributions -> key_by(aggregate, group) -> aggregates [-> keyed-lines] -> aggregate sink

Everything but ``timelines`` and ``aggregates`` runs in the JVM (``jvm/``): the source decodes each
payload as it reads it, and assigns event time per split; ``decode`` sends the dead letters aside;
``instants`` groups each key's events by time and releases them in time order as the watermark passes;
``instant-batches`` gathers the instants of one watermark step into one batch per bucket of keys (the
key's key group), so that ``timelines``, keyed by bucket, takes many keys' instants in one Python call.
Each sink follows its keyed operator directly (forward, same parallelism), so every key's records leave
through the one sink subtask that computed them, in order.
On Pulsar, the Python operators hand over each record with its message key (``operators/keyed_records.py``):
a change record's entity key, an aggregate record's ``[metric,group]``; ``keyed-lines`` splits the records
of one call in the JVM, and the sink routes each by its key's hash (``timeline.flink.sink.KeyedRecords``):
a partitioned topic keeps each key in one partition, in that order. Dead letters have no key.
"""
from __future__ import annotations

import os
import site
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)  # apache-beam, under PyFlink

from pyflink.common import Configuration, Encoder, Types, WatermarkStrategy
from pyflink.common.serialization import SimpleStringSchema
from pyflink.datastream import (
    DataStream, DataStreamSink, KeyedStream, StreamExecutionEnvironment)
from pyflink.datastream.connectors import Sink, Source
from pyflink.datastream.connectors.base import DeliveryGuarantee
from pyflink.datastream.connectors.file_system import (
    BucketAssigner, FileSink, FileSource, OutputFileConfig, StreamFormat)
from pyflink.datastream.connectors.pulsar import (
    PulsarSink, PulsarSource, PulsarSourceBuilder, StartCursor, StopCursor, TopicRoutingMode)
from pyflink.java_gateway import get_gateway

from dsl.spec import Spec, load_spec
from jobs.artifacts import export_artifacts
from jobs.config import (CheckpointConfig, FileSourceConfig, JobConfig, PulsarSinkConfig, PulsarSourceConfig,
                         RestartConfig)
from jobs.preflight import check_pulsar_endpoints
from operators.aggregates import AGGREGATE_KEY, CONTRIBUTIONS, CombineFunction, aggregate_key
from operators.streams import INSTANT, KEY_TYPE
from operators.keyed_records import record_type
from operators.timelines import TimelineFunction

# A reader hands over what it has once no message came for this long; by default the connector waits up
# to 10 s (pulsar.source.maxFetchTime) for a fetch of 100 messages to fill, which delays a slow stream.
FETCH_ONE_MESSAGE_TIME, FETCH_WAIT_MS = "pulsar.source.fetchOneMessageTime", 20
IDLE_CHECK_MS = 200  # how often idle-advance moves event time on, as often as sources emit watermarks
PROJECT_ROOT = Path(__file__).resolve().parents[1]
BUCKETS = 128  # key groups, so buckets of entity keys (InstantBatches); Flink's default below parallelism 86
KEYED_OUTPUTS = ("changes", "aggregates")  # on Pulsar with message keys (timeline.flink.sink.KeyedRecords)


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
        # the timelines' buckets are the key groups; fixed so that a restore at any parallelism keeps them
        "pipeline.max-parallelism": str(BUCKETS),
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
        settings["pipeline.jars"] = job_jars()
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


def job_jars() -> str | None:
    """``pipeline.jars`` of a local run: the connector's and ``jvm/``'s, $FLINK_PULSAR_JARS, fetched if unset.

    A cluster has these jars in its ``lib/`` (``scripts/cluster.sh``): given as
    ``pipeline.jars`` there, PyFlink's own Java classes are not found.
    """
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
    front = instants_of(env, spec.key, spec.time, config)
    keyed = keyed_records(config)
    timelines = batches_of(front.instants).process(TimelineFunction(spec_text, keyed), record_type(keyed)) \
        .uid("timelines").name("timelines")
    sink_outputs(spec, spec_text, config, timelines, front.dead_letters)


def sink_outputs(spec: Spec, spec_text: str, config: JobConfig, timelines: DataStream,
                 dead_letters: DataStream) -> None:
    """The change records of ``timelines``, its aggregates' records (``spec_text``'s, if it has any) and the
    dead letters, each to its sink."""
    keyed = keyed_records(config)
    # chained to the keyed operator at its parallelism: keeps each key's records in order
    sink_output(records_for(config, timelines), config, "changes", "sink")
    if spec.aggregates:
        aggregates = (timelines.get_side_output(CONTRIBUTIONS)
                      .key_by(aggregate_key, key_type=AGGREGATE_KEY)
                      .process(CombineFunction(spec_text, keyed), output_type=record_type(keyed))
                      .uid("aggregates").name("aggregates"))
        # chained to the aggregate operator: keeps each (aggregate, group)'s records in time order
        sink_output(records_for(config, aggregates), config, "aggregates", "aggregate-sink")
    counting = jvm().timeline.flink.decode.DeadLetterCount()
    counted = dead_letters._j_data_stream.map(counting, Types.STRING().get_java_type_info())
    dead_letters = DataStream(counted.uid("dead-letters").name("dead-letters").setParallelism(1))
    sink_output(dead_letters, config, "dead_letters", "dead-letter-sink").set_parallelism(1)


@dataclass(frozen=True)
class DecodedEvents:
    """Source and decode, in the JVM: the decoded events and the dead letters of bad ones."""

    events: object  # the Java stream of Decoded rows (jvm/: timeline.flink.decode.Decoded)
    dead_letters: DataStream  # JSON strings


@dataclass(frozen=True)
class Front:
    """The JVM part of the job: complete instants for the Python operator after it, and the dead letters."""

    instants: KeyedStream  # (key, time, payloads), each key's in time order
    dead_letters: DataStream  # JSON strings: bad events (from decode) and late ones (from instants)


def decoded_events(env: StreamExecutionEnvironment, key_field: str, time_field: str, config: JobConfig,
                   record_fields: tuple[str, ...] | None = None) -> DecodedEvents:
    """The source's events decoded, bad ones split off as dead letters; with ``record_fields`` (a file source,
    the BATCH job) each event's payload is its record of those fields (jvm/: ``FieldRecords``), not its text."""
    decode = jvm().timeline.flink.decode
    decoding = (key_field, time_field, config.watermark.max_future_ms or -1)
    if record_fields is not None:
        decoding += (list(record_fields),)
    split = source_stream(env, config, decoding)._j_data_stream.process(decode.SplitDeadLetters(), decode.Decoded.type())
    split.uid("decode").name("decode")
    return DecodedEvents(split, DataStream(split.getSideOutput(decode.SplitDeadLetters.deadLetters())))


def instants_of(env: StreamExecutionEnvironment, key_field: str, time_field: str, config: JobConfig) -> Front:
    """Source, decode, ``key_by``, [idle-advance,] instants: all Java operators."""
    decode, instants = jvm().timeline.flink.decode, jvm().timeline.flink.instants
    decoded = decoded_events(env, key_field, time_field, config)
    keyed = decoded.events.keyBy(jvm().KeyByKeySelector(), KEY_TYPE.get_java_type_info())
    if config.watermark.advance_when_idle:
        advance = jvm().timeline.flink.watermark.IdleAdvance(config.watermark.idle_timeout_ms, IDLE_CHECK_MS)
        keyed = reinterpret(keyed.transform("idle-advance", decode.Decoded.type(), advance).uid("idle-advance"))
    grouped = keyed.process(instants.Instants(), instants.Instants.outputType())
    grouped.uid("instants").name("instants")
    return Front(KeyedStream(reinterpret(grouped), INSTANT, DataStream(grouped)),
                 decoded.dead_letters.union(DataStream(grouped.getSideOutput(instants.Instants.late()))))


def batches_of(instants: KeyedStream) -> KeyedStream:
    """The instants of each watermark step, one batch (JSON text) per bucket of keys, keyed by bucket."""
    batches = jvm().timeline.flink.instants.InstantBatches
    batched = instants._j_data_stream.transform("instant-batches", batches.outputType(), batches())
    return KeyedStream(reinterpret(batched.uid("instant-batches")), Types.STRING(), DataStream(batched))


def keyed_records(config: JobConfig) -> bool:
    """Whether the Python operators hand over keyed records (a Pulsar sink) rather than text (a file sink)."""
    return isinstance(config.sink, PulsarSinkConfig)


def records_for(config: JobConfig, records: DataStream) -> DataStream:
    """A Python operator's records as the sink takes them: a file sink writes each string as it is, one
    element for all its lines; before a Pulsar sink, the keyed records of an element are split in the JVM,
    (key, record) each, one message each."""
    if not keyed_records(config):
        return records
    lines = jvm().timeline.flink.sink.KeyedLines
    split = records._j_data_stream.flatMap(lines(), lines.outputType())
    return DataStream(split.uid(f"{records.get_name()}-keyed-lines").name("keyed-lines"))


def reinterpret(stream):
    """A Java stream of ``Row(key, ...)`` partitioned by ``key`` already, keyed by it without another exchange
    (PyFlink's Java key selector: a Python function after it receives the row's second field)."""
    utils = jvm().org.apache.flink.streaming.api.datastream.DataStreamUtils
    return utils.reinterpretAsKeyedStream(stream, jvm().KeyByKeySelector(), KEY_TYPE.get_java_type_info())


def source_stream(env: StreamExecutionEnvironment, config: JobConfig, decoding: tuple) -> DataStream:
    """The source's records decoded in the JVM (key field, time field, max future in ms or -1, and for files
    the fields of the payloads' records, if any), with event time assigned per split: each partition or file
    has its own watermark, the least of them counts."""
    decode = jvm().timeline.flink.decode
    watermark = config.watermark
    strategy = WatermarkStrategy(jvm().timeline.flink.watermark.EventTime.strategy(
        watermark.max_out_of_orderness_ms, watermark.idle_timeout_ms or 0))
    if isinstance(config.source, FileSourceConfig):
        return from_files(env, config.source, StreamFormat(decode.JsonLinesFormat(*decoding)), strategy)
    return from_pulsar(env, config.source, decode.DecodingSchema(*decoding), strategy)


def from_files(env: StreamExecutionEnvironment, source: FileSourceConfig, lines: StreamFormat,
               strategy: WatermarkStrategy) -> DataStream:
    files = FileSource.for_record_stream_format(lines, str(source.path)).build()
    every_file_at_once = jvm().timeline.flink.watermark.AllFilesSource(files.get_java_function())
    return env.from_source(Source(every_file_at_once), strategy, "file-source").uid("source")


def from_pulsar(env: StreamExecutionEnvironment, source: PulsarSourceConfig, schema,
                strategy: WatermarkStrategy) -> DataStream:
    """The Pulsar source of ``source`` reading payloads with the Java ``DeserializationSchema`` ``schema``."""
    builder = (PulsarSource.builder()
               .set_service_url(source.service_url)
               .set_subscription_name(source.subscription)
               .set_start_cursor(StartCursor.earliest() if source.start == "earliest" else StartCursor.latest())
               .set_properties(source.security.client_properties())
               .set_properties({FETCH_ONE_MESSAGE_TIME: str(FETCH_WAIT_MS)}))
    if source.topic_pattern:
        builder.set_topic_pattern(source.topic_pattern)
    else:
        builder.set_topics(list(source.topics))
    if source.bounded:
        builder.set_bounded_stop_cursor(StopCursor(jvm().timeline.flink.pulsar.reader.LastEntryStopCursor()))
    pulsar = batch_resuming(builder, schema)
    if source.bounded:
        pulsar = pulsar.skippingEmptyPartitions(java_map(client_properties(source)))
    return env.from_source(Source(pulsar), strategy, "pulsar-source").uid("source")


def batch_resuming(builder: PulsarSourceBuilder, schema):
    """The Pulsar source of ``builder``, decoding with the Java ``schema``, restoring inside batched entries.

    Connector 4.1.0 alone skips the rest of a batch on every restore (FLINK-36180);
    ``timeline.flink.pulsar.TimelinePulsarSource`` resumes at the checkpointed message.
    """
    return jvm().timeline.flink.pulsar.TimelinePulsarSource.of(builder._j_pulsar_source_builder, schema)


def client_properties(source: PulsarSourceConfig) -> dict[str, str]:
    """The connector's ``pulsar.client.*`` settings of the source's connection."""
    return {"pulsar.client.serviceUrl": source.service_url, **source.security.client_properties()}


def java_map(entries: dict[str, str]):
    java = jvm().java.util.HashMap()
    for key, value in entries.items():
        java.put(key, value)
    return java


def jvm():
    """The JVM's packages, through PyFlink's gateway."""
    return get_gateway().jvm


def sink_output(stream: DataStream, config: JobConfig, output: str, uid: str, keyed: bool = True) -> DataStreamSink:
    """Sink one output (``changes``, ``aggregates`` or ``dead_letters``) to its topic or folder. On Pulsar,
    ``stream`` holds the keyed records of a keyed output (:func:`records_for`), unless ``keyed`` is False:
    text written without keys."""
    sink = config.sink
    if isinstance(sink, PulsarSinkConfig):
        target = _pulsar_sink(sink, output, keyed and output in KEYED_OUTPUTS, config.checkpoint, uid)
    else:
        target = file_sink(getattr(sink, output))
    return stream.sink_to(target).uid(uid).name(uid)


def _pulsar_sink(sink: PulsarSinkConfig, output: str, keyed: bool, checkpoint: CheckpointConfig, uid: str) -> Sink:
    """The sink of ``output``'s topic; keyed records get their message keys and key-hash routing. At
    exactly-once it is wrapped in ``timeline.flink.transactions.ExactlyOncePulsarSink``: a restore aborts the
    transactions the failed attempt left open, found in the job's checkpoint state and in the ledger it keeps
    under ``checkpoint.dir`` as ``uid`` (docs/job.md, "Transactions left open")."""
    exactly_once = sink.delivery == "exactly-once"
    builder = (PulsarSink.builder()
               .set_service_url(sink.service_url)
               .set_topics(sink.topic_of(output))
               .set_properties(sink.security.client_properties())
               .set_delivery_guarantee(DeliveryGuarantee.EXACTLY_ONCE if exactly_once
                                       else DeliveryGuarantee.AT_LEAST_ONCE))
    if exactly_once:
        builder.set_config("pulsar.sink.transactionTimeoutMillis", sink.transaction_timeout_ms)
    if not sink.batching:
        builder.set_config("pulsar.producer.batchingEnabled", False)
    if keyed:
        builder._j_pulsar_sink_builder.setSerializationSchema(jvm().timeline.flink.sink.KeyedRecords())
        builder.set_topic_routing_mode(TopicRoutingMode.MESSAGE_KEY_HASH)
    else:
        builder.set_serialization_schema(SimpleStringSchema()).set_topic_routing_mode(TopicRoutingMode.ROUND_ROBIN)
    if exactly_once:
        return Sink(jvm().timeline.flink.transactions.ExactlyOncePulsarSink.of(
            builder._j_pulsar_sink_builder.build(), checkpoint.interval_ms, checkpoint.dir, uid))
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
