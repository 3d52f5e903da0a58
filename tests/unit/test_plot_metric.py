"""Drawing an aggregate per group over time."""
from __future__ import annotations

from pathlib import Path

import pytest

from dsl.spec import load_spec_file
from sessions.generate import generate_sessions
from cli.plot_metric import plot_metric
from engine.decode import Event

SPEC = load_spec_file(Path(__file__).resolve().parents[2] / "examples" / "cirr-by-cdn.yaml")


def sessions(count: int) -> list[Event]:
    return [Event(event["sessionId"], event["ts"], event)
            for event in generate_sessions(count, seed=5, span_ms=600_000, steps=5)]


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_one_row_per_reported_metric_and_one_line_per_group(tmp_path, suffix):
    events = sessions(40)
    out = tmp_path / f"metric.{suffix}"
    figure = plot_metric(SPEC, events, "cirr_by_cdn", out)
    assert out.stat().st_size > 0
    assert [row.get_ylabel() for row in figure.axes] == ["count", "sum (s)", "avg (s)", "min (s)", "max (s)"]
    cdns = {event.fields["cdn"] for event in events if "cdn" in event.fields}
    assert {line.get_label() for line in figure.axes[0].get_lines()} == {f"cdn={cdn}" for cdn in cdns}


def test_unknown_aggregate_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="unknown aggregate 'nope'; the spec has cirr_by_cdn"):
        plot_metric(SPEC, sessions(2), "nope", tmp_path / "x.png")
