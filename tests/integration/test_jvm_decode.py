"""The JVM decoder (``timeline.flink.decode``) against the Python reference decoder: the same events, the same
dead letters with the same reasons, on one generated corpus of good and bad payloads."""
from __future__ import annotations

import os
import random
import re
from pathlib import Path

import orjson
import pytest
from pyflink.common import Configuration, Encoder, WatermarkStrategy
from pyflink.datastream import DataStream, StreamExecutionEnvironment
from pyflink.datastream.connectors.file_system import FileSink, FileSource, OutputFileConfig, StreamFormat
from pyflink.java_gateway import get_gateway

from sessions.generate import generate_sessions
from engine.decode import dead_letter, decode_payload, text_of
from engine.events import BadEvent
from jobs.artifacts import export_artifacts

pytestmark = pytest.mark.flink
KEY, TIME = "sessionId", "ts"
NOW_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z, the clock of every decode
MAX_FUTURE_MS = 86_400_000


def mutations(rng: random.Random, event: dict) -> list[bytes]:
    """Bad, odd and borderline variants of one good event, as raw payloads."""
    body = orjson.dumps(event)
    other = {k: v for k, v in event.items() if k not in (KEY, TIME)}

    def with_fields(**fields) -> bytes:
        return orjson.dumps({**other, **fields})

    def raw_time(text: str) -> bytes:
        return b'{"sessionId": "s", "x": 1, "ts": ' + text.encode() + b"}"

    key, time = event[KEY], event[TIME]
    return [
        body[:rng.randrange(1, len(body))],  # cut: malformed
        body + b",", body + b" x", b" \t" + body + b"\r", b"\xef\xbb\xbf" + body, body.replace(b":", b": ", 1),
        body.replace(b"}", b",}"), b"/*c*/" + body, body.replace(b'"', b"'"),
        b"[" + body + b"]", b'"' + key.encode() + b'"', str(time).encode(), b"null", b"true", b"1.5",
        with_fields(ts=time), with_fields(sessionId=key), with_fields(sessionId=None, ts=time),
        with_fields(sessionId="", ts=time), with_fields(sessionId=rng.randrange(-2**63, 2**64), ts=time),
        with_fields(sessionId=rng.choice([True, False, 1.5, 2.0, [key], {"k": key}]), ts=time),
        with_fields(sessionId=key, ts=rng.choice([True, None, [time], {"t": time}, time + 0.5, float(time)])),
        with_fields(sessionId=key, ts=rng.choice([-1, 0, 253402300799999, 253402300800000, 2**63, 2**64 - 1])),
        with_fields(sessionId=key, ts=NOW_MS + MAX_FUTURE_MS + rng.choice([0, 1, 1000])),
        with_fields(sessionId="k\u00e9\U0001F600\x1e\"\\", ts=time),
        with_fields(sessionId=key, ts="x" * rng.randrange(60, 70)),
        with_fields(sessionId=key, ts=iso_text(rng)),
        raw_time(rng.choice(["1e400", "-1e400", "1e30", "1e-400", "-0.0", "0e5", "1.7672256e12", "NaN", "Infinity",
                             "01", "-", "1.", ".5", "+1", "99999999999999999999", "18446744073709551615",
                             "18446744073709551616", "-9223372036854775809", "1" + "0" * rng.randrange(300, 320),
                             "1767225600000.000", "2E12", "1e+12"])),
        raw_time(rng.choice(['"\\ud800"', '"\\udc00x"', '"\\ud83d\\ude00"', '"\\u00e9"', '"a\tb"', '"\\/"', '"\\x"',
                             '"\\u12"', '"\\uD83D\\uDE00"'])),
        b'{"sessionId": "a", "sessionId": "b", "ts": 1, "ts": 2}',
        b"[" * 1024 + b"]" * 1024, b'{"sessionId": "a", "ts": 1, "n": ' + b"[" * 1023 + b"]" * 1023 + b"}",
        b'{"sessionId": "a", "ts": 1, "n": ' + b"[" * 1024 + b"]" * 1024 + b"}",
        with_fields(sessionId=key, ts=time, pad="\U0001F600" * rng.randrange(262_100, 262_200)),  # about 1 MiB
        with_fields(sessionId="p", ts="é" * 3000),
        bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12))) + body,
        body.replace(b'"', bytes([rng.choice([0xED, 0xC0, 0xF4, 0xE0, 0x80])]), 1),
        body[:-1] + b', "bad": "' + bytes(rng.choice([0xED, 0xF0, 0xE2]) for _ in range(3)) + b'"}',
        rng.choice([b"", b" ", b"\t\r", b"\x0b", b"\x1c\x1e", "\u00a0\u2028\u3000".encode(), "\ufeff".encode()]),
    ]


def iso_text(rng: random.Random) -> str:
    """ISO-8601 times, valid and not, near the grammar's edges."""
    date = f"{rng.choice([0, 1, 1969, 1970, 2000, 2023, 2024, 2100, 9999]):04d}-{rng.randrange(0, 14):02d}-" \
           f"{rng.randrange(0, 32):02d}"
    clock = rng.choice(["", f"T{rng.randrange(25):02d}:{rng.randrange(61):02d}",
                        f" {rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(61):02d}",
                        f"T12:30:15.{rng.randrange(10 ** 9)}", "T12:30:15.", "t12:30", "T1:30", "T12:30:15,5"])
    zone = rng.choice(["", "Z", "z", "+00:00", "-01:00", "+23:59", "+24:00", "+05:60", "+0530", "+05"]) if clock else ""
    return rng.choice([date + clock + zone, date + clock + zone, "+" + date, date[:-1], date + "T", "２０２４-01-01"])


def corpus(seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    events = list(generate_sessions(40, seed=seed))
    lines = [orjson.dumps(event) for event in events]
    for event in rng.sample(events, 60):
        lines.extend(mutations(rng, event))
    return lines


def python_decoded(raw: bytes, max_future_ms: int | None = MAX_FUTURE_MS) -> tuple | None:
    """The reference decoder's result: ``(key, time, payload, None)`` or ``(None, None, payload, reason)``."""
    text = text_of(raw)
    try:
        event = decode_payload(text, KEY, TIME, max_future_ms, NOW_MS)
    except BadEvent as error:
        return None, None, text, error.reason
    return None if event is None else (event.key, event.time, text, None)


def jvm_decoded(decoder, raw: bytes) -> tuple | None:
    row = decoder.decode(raw, NOW_MS)
    return None if row is None else tuple(row.getField(i) for i in range(4))


def environment() -> StreamExecutionEnvironment:
    """An environment as the job's, its JVM and jobs with the project's jar."""
    export_artifacts()
    conf = Configuration()
    conf.set_string("pipeline.jars", os.environ["FLINK_PULSAR_JARS"])
    return StreamExecutionEnvironment.get_execution_environment(conf)


@pytest.fixture(scope="module")
def jvm():
    environment()
    return get_gateway().jvm


def test_the_jvm_decoder_gives_the_reference_events_and_reasons(jvm):
    decoder = jvm.timeline.flink.decode.EventDecoder(KEY, TIME, MAX_FUTURE_MS)
    lines = corpus()
    results = [(python_decoded(raw), jvm_decoded(decoder, raw)) for raw in lines]
    differing = [(raw[:300], python, java) for raw, (python, java) in zip(lines, results) if python != java]
    assert not differing, differing[:5]
    reasons = {python[3] for python, _ in results if python and python[3]}
    assert len(reasons) > 40 and sum(1 for python, _ in results if python and not python[3]) > 400


def test_dead_letters_are_the_reference_records_byte_for_byte(jvm):
    dead_letters = jvm.timeline.flink.decode.DeadLetters
    payloads = ["", "short", "\U0001F600" * 2047 + "ab", "\U0001F600" * 2048, "x" * 2049, "\x00\x1f\"\\\x7f\u2028/",
                *(python_decoded(raw)[2] for raw in corpus()[::37] if python_decoded(raw))]
    for payload in payloads:
        reason = f"time field {orjson.dumps(payload[:70]).decode()} is not ISO-8601"
        assert dead_letters.json(payload, reason) == orjson.dumps(dead_letter(payload, reason)).decode()


ROW = re.compile(r"\+I\[(.*?), (\d+), (.*), null, \d+\]")  # Row.toString of an event read from a file (its
# position last); the test's keys have no ", "


def test_a_file_source_job_splits_events_and_dead_letters_as_the_reference_decoder(jvm, tmp_path):
    lines = [line for line in corpus(seed=11) if b"\n" not in line and len(line) < 100_000]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "events.jsonl").write_bytes(b"\n".join(lines) + b"\r\n\n   ")
    env = environment()
    env.set_parallelism(1)
    decode = jvm.timeline.flink.decode
    source = FileSource.for_record_stream_format(StreamFormat(decode.JsonLinesFormat(KEY, TIME, -1)),
                                                 str(tmp_path / "in")).build()
    decoded = env.from_source(source, WatermarkStrategy.no_watermarks(), "file-source")
    split = decoded._j_data_stream.process(decode.SplitDeadLetters(), decode.Decoded.type())
    DataStream(split).sink_to(text_sink(tmp_path / "events"))
    DataStream(split.getSideOutput(decode.SplitDeadLetters.deadLetters())).sink_to(text_sink(tmp_path / "dead"))
    env.execute("jvm-decode")

    expected_events, expected_letters = [], []
    for raw in (tmp_path / "in" / "events.jsonl").read_bytes().split(b"\n"):
        decoded_line = python_decoded(raw, max_future_ms=None)
        if decoded_line and decoded_line[3]:
            expected_letters.append(orjson.dumps(dead_letter(decoded_line[2], decoded_line[3])).decode())
        elif decoded_line:
            expected_events.append(decoded_line[:3])
    events = [(match[1], int(match[2]), match[3]) for match in map(ROW.fullmatch, written(tmp_path / "events"))]
    assert events == expected_events
    assert written(tmp_path / "dead") == expected_letters
    assert len(expected_events) > 400 and len(expected_letters) > 300


def text_sink(folder: Path) -> FileSink:
    return (FileSink.for_row_format(str(folder), Encoder.simple_string_encoder())
            .with_output_file_config(OutputFileConfig.builder().with_part_suffix(".txt").build()).build())


def written(folder: Path) -> list[str]:
    """The lines of a sink's files, in order (one part file: parallelism 1, a bounded job)."""
    return [line for path in sorted(folder.rglob("*.txt")) for line in path.read_bytes().decode().split("\n")[:-1]]
