"""The ``timeline`` command line on the bundled example and on bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from engine.records import change_order

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "examples" / "cirr.yaml"
EVENTS = ROOT / "examples" / "events.jsonl"


def run(capsys, *argv: str) -> tuple[str, str]:
    main(list(argv))
    captured = capsys.readouterr()
    return captured.out, captured.err


def records_of(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_eval_prints_the_worked_example(capsys):
    out, _ = run(capsys, "eval", str(SPEC), str(EVENTS))
    cirr = [(r["time"], r["value"], r["rate"]) for r in records_of(out) if r["key"] == "s1" and r["timeline"] == "cirr"]
    # play@1000, seek@2000 (window to 7000), buffer@3000, play@10000; the session ends 30 min after 10000
    assert cirr == [(1000, 0, 0), (7000, 0, 1), (10000, 3000, 0), (1_810_000, None, 0)]


def test_eval_engines_agree_and_output_is_sorted(capsys):
    incremental, _ = run(capsys, "eval", str(SPEC), str(EVENTS))
    reference, _ = run(capsys, "eval", str(SPEC), str(EVENTS), "--engine", "reference")
    assert incremental == reference
    records = records_of(incremental)
    assert records == sorted(records, key=change_order)


def test_bad_lines_are_reported_and_skipped(tmp_path, capsys):
    events = tmp_path / "events.jsonl"
    good = EVENTS.read_text()
    events.write_text('not json\n[1, 2]\n{"ts": 5}\n{"sessionId": "s9", "ts": "soon"}\n\n' + good)
    out, err = run(capsys, "eval", str(SPEC), str(events))
    clean, _ = run(capsys, "eval", str(SPEC), str(EVENTS))
    assert out == clean
    assert f"{events}:1: malformed JSON" in err
    assert f"{events}:2: not a JSON object" in err
    assert f"{events}:3: missing key field \"sessionId\"" in err
    assert f"{events}:4: time field \"ts\" is not ISO-8601" in err
    assert ":5:" not in err  # blank lines are not events


def test_strict_fails_on_the_first_bad_line(tmp_path, capsys):
    events = tmp_path / "events.jsonl"
    events.write_text('{"sessionId": "s1", "ts": 1}\nnot json\n')
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", str(SPEC), str(events), "--strict"])
    assert exit_info.value.code == 1
    assert ":2: malformed JSON" in capsys.readouterr().err


def test_bad_spec_exits_with_position_and_caret(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: x\nkey: k\ntime: t\ntimelines:\n  a: duration_where(latest_event_to_state(s))\n")
    with pytest.raises(SystemExit) as exit_info:
        main(["check", str(spec)])
    message = str(exit_info.value.code)
    assert f"{spec}:5:" in message and "timeline 'a'" in message and "^" in message


def test_check_prints_the_shared_plan(capsys):
    out, _ = run(capsys, "check", str(SPEC))
    assert "[shared" in out and "output cirr" in out and "= state" in out
    assert "def apply(" not in out


def test_check_show_code_prints_the_engines_code(capsys):
    out, _ = run(capsys, "check", "--show-code", str(SPEC))
    plan, code = out.split("\n\n# <timeline plan video_qoe ", 1)
    assert "output cirr" in plan
    namespace: dict = {}
    exec(code.split("\n", 1)[1], namespace)  # the printed code is the whole generated module
    assert {"start", "apply", "evaluate", "probe"} <= set(namespace)
    assert "ev.get('userAction') == 'seek'" in code


def test_explain_json_gives_every_node(capsys):
    out, _ = run(capsys, "explain", str(SPEC), str(EVENTS), "--key", "s1", "--at", "8000", "--format", "json")
    explained = json.loads(out)
    cirr = explained["nodes"][explained["outputs"]["cirr"]]
    assert explained["active"] and cirr["value"] == 1000  # rising since 7000
    assert len(explained["nodes"]) == len({node["node"] for node in explained["nodes"]})


def test_generate_is_reproducible(tmp_path, capsys):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    run(capsys, "generate", "--sessions", "20", "--seed", "7", "--out", str(first))
    run(capsys, "generate", "--sessions", "20", "--seed", "7", "--out", str(second))
    events = records_of(first.read_text())
    assert first.read_bytes() == second.read_bytes()
    assert len({event["sessionId"] for event in events}) == 20
    assert [event["ts"] for event in events] == sorted(event["ts"] for event in events)


def test_plot_writes_the_picture(tmp_path, capsys):
    out = tmp_path / "s1.svg"
    run(capsys, "plot", str(SPEC), str(EVENTS), "--key", "s1", "--all", "--out", str(out))
    assert out.read_text().lstrip().startswith("<?xml")
    with pytest.raises(SystemExit, match="no events for key 'nobody'"):
        main(["plot", str(SPEC), str(EVENTS), "--key", "nobody", "--out", str(tmp_path / "x.png")])


def test_poisoned_times_are_reported_and_the_good_records_are_exact(tmp_path, capsys):
    events = tmp_path / "events.jsonl"
    poisoned = ['{"sessionId": "p1", "ts": 1e30}', '{"sessionId": "p2", "ts": 9223372036854775807}',
                '{"sessionId": "p3", "ts": "+275760-09-13T00:00:00Z"}', '{"sessionId": "p4", "ts": NaN}',
                '{"sessionId": "p5", "ts": -1}']
    events.write_text("\n".join(poisoned) + "\n" + EVENTS.read_text())
    clean, _ = run(capsys, "eval", str(SPEC), str(EVENTS))
    for engine in ("incremental", "reference"):
        out, err = run(capsys, "eval", str(SPEC), str(events), "--engine", engine)
        assert out == clean
        assert [line.split(": ", 1)[1].split(":")[0] for line in err.splitlines()] == [
            'time field "ts" is out of range', 'time field "ts" is out of range', 'time field "ts" is not ISO-8601',
            "malformed JSON", 'time field "ts" is out of range']


@pytest.mark.parametrize("literal", ["2000.0", "2000", "-5", "-5.0", "9" * 30, "1" + "0" * 30 + ".0"])
def test_numeric_literals_of_every_spelling_give_the_same_bytes_from_both_engines(literal, tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"""\
name: literals
key: sessionId
time: ts
timelines:
  long: duration_where(latest_event_to_state(playerStateChange) == "buffer") >= {literal}
session_timeout: 30m
""")
    incremental, _ = run(capsys, "eval", str(spec), str(EVENTS))
    reference, _ = run(capsys, "eval", str(spec), str(EVENTS), "--engine", "reference")
    assert incremental == reference
    assert all(type(record["time"]) is int for record in records_of(incremental))
