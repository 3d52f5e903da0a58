"""What people running the job see: its metrics scraped from the Prometheus reporter, and the progress line."""
from __future__ import annotations

import re
import shutil
import subprocess
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import orjson
import pulsar
import pytest

from jobs.ports import free_port
from broker.publish import publish
from sessions.generate import generate_sessions
from dsl.plan import compile_plan
from dsl.spec import load_spec_file
from engine import batch
from engine.decode import decode_event, reason_class
from engine.incremental import Engine

from .pane_png import render
from .conftest import JOB_TIMEOUT_S, ROOT, TIMELINE, flush_event, read_until_complete, stop_job, timeline_run

pytestmark = [pytest.mark.flink, pytest.mark.pulsar]
SPEC_PATH = ROOT / "examples" / "cirr-by-cdn.yaml"
SPEC = load_spec_file(SPEC_PATH)
BAD = (ROOT / "examples" / "bad-events.jsonl").read_bytes().splitlines()
PROMETHEUS = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"
SAMPLE = re.compile(r'^flink_taskmanager_job_task_operator_(\w+)\{(.*)\} (\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def scrape(port: int) -> Counter:
    """The job's own metrics, summed over subtasks, by (name, label value): ("deadLetters", "late")."""
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    except OSError:
        return Counter()
    totals: Counter = Counter()
    for line in body.splitlines():
        sample = SAMPLE.match(line)
        if not sample:
            continue
        name, labels, value = sample.groups()
        labels = dict(LABEL.findall(labels))
        label = labels.get("reason") or labels.get("timeline") or labels.get("aggregate")
        totals[name.rsplit("_", 1)[-1], label] += float(value)
    return totals


def wait_for(condition, what: str, timeout_s: float = JOB_TIMEOUT_S):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what}")


@dataclass
class RunningJob:
    """A ``timeline run`` of cirr-by-cdn on Pulsar with the Prometheus reporter on, its input and output."""

    events: list[dict]
    undecodable: list[bytes]
    changes: list[dict]  # what the input implies; the flush event's instant waits for a later watermark
    aggregates: list[dict]
    prometheus: int
    log: Path
    source: str  # the input topic
    output: str  # the change-record topic
    pulsar_url: str


@pytest.fixture(scope="module")
def running_job(pulsar_url, tmp_path_factory) -> Iterator[RunningJob]:
    tmp_path = tmp_path_factory.mktemp("observability")
    run = uuid.uuid4().hex[:8]
    source, output = f"observability-in-{run}", f"persistent://public/default/observability-out-{run}"
    good = list(generate_sessions(25, seed=21, span_ms=300_000, steps=4))
    flush = flush_event(good)
    events = [*good, flush]
    decoded = [decode_event(orjson.dumps(event), SPEC.key, SPEC.time) for event in events]
    records = batch.evaluate(Engine(compile_plan(SPEC)), decoded[:-1])
    job = RunningJob(events, BAD[:4], [r for r in records if "timeline" in r],
                     [r for r in records if "metric" in r], free_port(), tmp_path / "run.log", source, output,
                     pulsar_url)
    # the job's subscription, made now: the broker deletes a topic without one after a minute of no traffic,
    # and starting the job can take longer than that on a loaded machine
    client = pulsar.Client(pulsar_url, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Warn))
    client.subscribe(source, f"timeline-{SPEC.name}", initial_position=pulsar.InitialPosition.Earliest).close()
    client.close()
    publish(pulsar_url, source, iter([*(orjson.dumps(e) for e in good), *job.undecodable, orjson.dumps(flush)]))
    with job.log.open("w") as log:
        process = subprocess.Popen(
            [str(TIMELINE), "run", str(SPEC_PATH), "--source", f"pulsar:{source}", "--sink", f"pulsar:{output}",
             "--set", f"source.pulsar.service_url={pulsar_url}", "--set", f"sink.pulsar.service_url={pulsar_url}",
             "--set", "checkpoint.interval=1s", "--progress-every", "1",
             "-D", f"metrics.reporter.prom.factory.class={PROMETHEUS}",
             "-D", f"metrics.reporter.prom.port={job.prometheus}"],
            cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # starting the mini-cluster and the Python operators can take minutes on a loaded machine
        read = len(job.events) + len(job.undecodable)
        wait_for(lambda: f"read {read:,} events" in job.log.read_text(), "the job to read every event",
                 timeout_s=3 * JOB_TIMEOUT_S)
        read_until_complete(pulsar_url, output, job.changes)
        read_until_complete(pulsar_url, output + "-aggregates", job.aggregates)
        yield job
    finally:
        stop_job(process)


def test_metrics_and_progress_line_count_what_the_input_implies(running_job):
    job = running_job
    read = len(job.events) + len(job.undecodable)
    written = len(job.changes) + len(job.aggregates)
    progress = f"read {read:,} events, wrote {written:,} records, {len(job.undecodable)} dead letters, event time"
    wait_for(lambda: progress in job.log.read_text(), f"the progress line '{progress}'")
    late = BAD[4]  # an event of 2026-01-01 00:00: late, the watermark is past it
    publish(job.pulsar_url, job.source, iter([late]))
    # counted twice: by the instants (lateEvents) and, after an exchange, by the dead-letter operator
    metrics = wait_for(lambda: (lambda m: m if m["lateEvents", None] == m["deadLetters", "late"] == 1 else None)(
        scrape(job.prometheus)), "the late event in the metrics")

    reasons = Counter(reason_class(reason) for reason in
                      ("malformed JSON", "not a JSON object: an array", 'missing key field "sessionId"',
                       'time field "ts" is not ISO-8601: "yesterday"', "late"))
    per_timeline = Counter(record["timeline"] for record in job.changes)
    decoded = [decode_event(orjson.dumps(event), SPEC.key, SPEC.time) for event in job.events]
    expected = {
        ("eventsDecoded", None): len(job.events) + 1,  # the late event decodes
        ("lateEvents", None): 1,
        **{("deadLetters", re.sub(r"\W", "_", reason)): count for reason, count in reasons.items()},  # as labels
        ("instantsApplied", None): len({(event.key, event.time) for event in decoded[:-1]}),
        **{("changeRecords", name): count for name, count in per_timeline.items()},
        ("aggregateRecords", "cirr_by_cdn"): len(job.aggregates),
        ("activeKeys", None): 0,  # every session has ended; the flush event's instant is not out yet
    }
    assert {name: metrics[name] for name in expected} == expected
    sessions = len({event.key for event in decoded[:-1]})
    assert metrics["timersFired", None] >= sessions  # at least each session's end
    behind = time.time() * 1000 - job.events[-1]["ts"]  # the watermark: the flush event's time less the bound
    assert behind - 60_000 < metrics["eventTimeLag", None] < behind + 600_000
    output = job.log.read_text()
    assert re.search(r"^job [0-9a-f]{32} running; watch it at http://127\.0\.0\.1:\d+/jobs/[0-9a-f]{32}", output, re.M)
    assert f"metrics for Prometheus at http://127.0.0.1:{job.prometheus}/metrics" in output
    print("scraped:", dict(sorted(metrics.items(), key=str)))


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)")
def test_tail_shows_every_key_on_a_terminal(running_job, tmp_path):
    job = running_job
    session = f"tail-{uuid.uuid4().hex[:8]}"
    command = f"'{TIMELINE}' tail {job.pulsar_url}/{job.output} {job.pulsar_url}/{job.output}-aggregates --every 1"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "110", "-y", "45", command], check=True)
    try:
        keys = sorted({record["key"] for record in job.changes})
        shown = lambda: subprocess.run(["tmux", "capture-pane", "-p", "-t", session],  # noqa: E731
                                       capture_output=True, text=True).stdout
        screen = wait_for(lambda: (lambda text: text if f"{len(keys)} keys" in text
                                   and "cirr_by_cdn" in text else None)(shown()), "the tail screen")
        (tmp_path / "tail.txt").write_text(screen)
        render(screen, tmp_path / "tail.png")  # docs/images/tail.png is one of these
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    rows = {line.split()[0]: line for line in screen.splitlines() if line.split()}
    for key in keys[:40 - 3]:  # the rows that fit the pane
        assert "ended" in rows[key], rows[key]  # every session has ended
    last_tick = max(record["time"] for record in job.aggregates)
    assert datetime.fromtimestamp(last_tick / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S") in screen


def test_run_stops_before_the_job_on_a_topic_the_broker_does_not_know(pulsar_url, tmp_path):
    topic = "persistent://public/no-such-namespace/events"
    done = subprocess.run([str(TIMELINE), "run", str(SPEC_PATH), "--source", f"pulsar:{topic}",
                           "--set", f"source.pulsar.service_url={pulsar_url}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith(f"timeline run: 'source.pulsar': Pulsar at {pulsar_url} refused topic {topic}: "), \
        done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_bounded_jobs_last_progress_line_counts_every_event_the_pulsar_source_read(pulsar_url, topic, tmp_path):
    events = [orjson.dumps(event) for event in generate_sessions(300, seed=22, span_ms=300_000)]
    published = publish(pulsar_url, topic("in"), iter([*events, *BAD[:4]]))
    done = timeline_run("--source", f"pulsar:{topic('in')}", "--sink", f"pulsar:{topic('out')}",
                        "--set", f"source.pulsar.service_url={pulsar_url}",
                        "--set", f"sink.pulsar.service_url={pulsar_url}",
                        "--set", "source.pulsar.bounded=true", "--progress-every", "0.5", cwd=tmp_path, spec=SPEC_PATH)
    progress = [line for line in done.stderr.splitlines() if re.match(r"\d\d:\d\d:\d\d read ", line)]
    assert progress, done.stderr
    assert f" read {published:,} events, " in progress[-1], progress
