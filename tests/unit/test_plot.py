"""Timeline plots of the bundled example."""
from __future__ import annotations

from pathlib import Path

import pytest

from dsl.spec import load_spec, load_spec_file
from engine.decode import Event
from cli.main import read_events
from cli.plot import plot_key, timeline_changes

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_spec_file(ROOT / "examples" / "cirr.yaml")
EVENTS = list(read_events(ROOT / "examples" / "events.jsonl", SPEC, strict=True))


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_writes_the_format_of_the_suffix(tmp_path, suffix, magic):
    out = tmp_path / f"s1{suffix}"
    plot_key(SPEC, EVENTS, "s1", out)
    assert out.read_bytes().startswith(magic)


def test_one_row_per_output_under_the_events_row(tmp_path):
    figure = plot_key(SPEC, EVENTS, "s1", tmp_path / "s1.png")
    assert len(figure.axes) == len(SPEC.outputs) + 1
    assert [axes.get_ylabel() for axes in figure.axes] == ["events", *SPEC.outputs]


def test_all_named_timelines(tmp_path):
    figure = plot_key(SPEC, EVENTS, "s2", tmp_path / "s2.png", timelines=list(SPEC.timelines))
    assert len(figure.axes) == len(SPEC.timelines) + 1


def test_axis_is_cut_after_the_last_change_not_at_the_session_end(tmp_path):
    figure = plot_key(SPEC, EVENTS, "s1", tmp_path / "s1.png", timelines=["state"])
    # events 1000..10000 shown as seconds since t0 = 1000; the session ends 30 min after the last one
    assert figure.axes[-1].get_xlim() == (0, 10)
    assert "the session ends at 1809 s" in figure.axes[-1].get_xlabel()


def test_changes_of_timelines_that_are_not_outputs():
    s1 = [event for event in EVENTS if event.key == "s1"]
    changes = timeline_changes(SPEC, s1)
    assert changes["state"][:3] == [(1000, "play", None), (3000, "buffer", None), (10000, "play", None)]
    assert changes["cirr"][:3] == [(1000, 0, 0), (7000, 0, 1), (10000, 3000, 0)]


def test_a_key_without_events_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no events for key 'nope'"):
        plot_key(SPEC, EVENTS, "nope", tmp_path / "nope.png")
    assert not (tmp_path / "nope.png").exists()


def test_an_unknown_timeline_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="unknown timeline.*bogus"):
        plot_key(SPEC, EVENTS, "s1", tmp_path / "s1.png", timelines=["cirr", "bogus"])


def test_a_numeric_timeline_below_zero_with_a_null_span_and_any_rate(tmp_path):
    spec = load_spec("name: n\nkey: sessionId\ntime: ts\ntimelines:\n  margin: 'latest_event_to_state(bitrate) / 1000"
                     " - 1.5 - duration_where(latest_event_to_state(playerStateChange) == \"buffer\") * 0.5'\n")
    events = [Event("s", 1000, {"bitrate": 2000, "playerStateChange": "buffer"}),
              Event("s", 3000, {"bitrate": "n/a"}), Event("s", 4000, {"bitrate": 1000})]
    figure = plot_key(spec, events, "s", tmp_path / "n.png")
    low, high = figure.axes[-1].get_ylim()
    assert low < -1500.5 and high > 0.5  # 0.5 at t0, null on [3000, 4000), -1500.5 at 4000 and falling
    assert figure.axes[-1].get_ylabel() == "margin"
