"""``timeline check`` validates the whole spec, job sections included, with positions; the CLI's messages."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "examples" / "cirr.yaml"
EVENTS = ROOT / "examples" / "events.jsonl"
TIMELINE = Path(sys.executable).with_name("timeline")


def failure(*argv: str) -> str:
    """The message ``timeline argv`` exits with."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    assert isinstance(exit_info.value.code, str), exit_info.value.code
    return exit_info.value.code


def spec_with(tmp_path: Path, sections: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text("name: s\nkey: k\ntime: t\ntimelines:\n  x: latest_event_to_state(x)\n" + sections)
    return path


def line_of(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize("sections, written, column, message", [
    ("sink:\n  pulsar:\n    topic: changes\n    delivery: twice\n", "delivery: twice", 15,
     "'sink.pulsar.delivery' must be one of at-least-once, exactly-once, got \"twice\""),
    ("checkpoint:\n  intervall: 5s\n", "intervall", 3,
     "unknown key 'checkpoint.intervall' (did you mean 'interval'?)"),
    ("sink:\n  pulsar:\n    topic: changes\n    delivery: exactly-once\n    transaction_timeout: 1s\n"
     "checkpoint:\n  interval: 5s\n", "transaction_timeout", 26,
     "'sink.pulsar.transaction_timeout' (1s) must be longer than 'checkpoint.interval' (5s)"),
    ("source:\n  pulsar:\n    topics: [events]\n    bounded: yes please\n", "bounded", 14,
     "'source.pulsar.bounded' must be true or false, got \"yes please\""),
    ("watermark:\n  max_out_of_orderness: soon\n", "max_out_of_orderness", 25,
     "'watermark.max_out_of_orderness': "),
    ("source:\n  kafka: {}\n", "source:", 3, "'source' must have exactly one of pulsar, file, got 'kafka'"),
])
def test_check_reports_job_settings_with_file_line_column_and_caret(tmp_path, sections, written, column, message):
    spec = spec_with(tmp_path, sections)
    text = failure("check", str(spec))
    line = line_of(spec, written) + (1 if written == "source:" else 0)
    first, source_line, caret = text.splitlines()
    assert first.startswith(f"{spec}:{line}:{column}: {message}")
    written_line = spec.read_text().splitlines()[line - 1]
    indent = len(written_line) - len(written_line.lstrip())
    assert source_line == "  " + written_line.strip()
    assert caret == "  " + " " * (column - 1 - indent) + "^"


def test_a_bad_setting_from_the_command_line_says_so(tmp_path):
    from jobs.arguments import load_job

    with pytest.raises(Exception) as error:
        load_job(SPEC, sink="pulsar:out", assignments=("sink.pulsar.delivery=twice",))
    assert str(error.value) == ("'sink.pulsar.delivery' must be one of at-least-once, exactly-once, got \"twice\""
                                " (set on the command line)")


def test_an_aggregate_used_as_a_timeline_is_named_as_such(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: a\nkey: k\ntime: t\nsession_timeout: 30m\ntimelines:\n"
                    "  busy: duration_where(has_existed(x == 1))\n"
                    "  by_x: busy | aggregate(count, every(1m))\n"
                    "  much: by_x >= 5\n")
    assert "timeline 'much': 'by_x' is an aggregate, not a timeline" in failure("check", str(spec))
    spec.write_text(spec.read_text().replace("much: by_x", "much: busy") + "outputs: [busy, by_x]\n")
    assert ":9:17: 'by_x' is an aggregate, not a timeline" in failure("check", str(spec))


@pytest.mark.parametrize("command, events, problem", [
    ("eval", "missing.jsonl", "No such file or directory"), ("eval", ".", "Is a directory"),
    ("explain", "missing.jsonl", "No such file or directory"), ("explain", ".", "Is a directory"),
    ("plot", "missing.jsonl", "No such file or directory"),  # a folder is a sink folder to plot
])
def test_an_unreadable_events_file_is_one_line(tmp_path, command, events, problem):
    extra = {"explain": ["--key", "s1", "--at", "5000"], "plot": ["--key", "s1", "--out", str(tmp_path / "x.png")]}
    path = tmp_path / events
    assert failure(command, str(SPEC), str(path), *extra.get(command, [])) == \
        f"cannot read the events file {path}: {problem}"


@pytest.mark.parametrize("argv", [["generate", "--sessions", "1"],
                                  ["plot", str(SPEC), str(EVENTS), "--key", "s1"]])
def test_out_into_a_missing_folder_is_one_line(tmp_path, argv):
    out = tmp_path / "nowhere" / "file"
    assert failure(*argv, "--out", str(out)) == f"--out {out}: the folder {out.parent} does not exist"


def test_a_closed_pipe_ends_quietly():
    piped = subprocess.run(f"'{TIMELINE}' generate --sessions 3000 | head -1", shell=True,
                           capture_output=True, text=True, timeout=120)
    assert piped.stdout.count("\n") == 1
    assert piped.stderr == ""
