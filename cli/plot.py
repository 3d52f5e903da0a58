"""Timeline diagrams: one key's events and timelines as stacked rows on one time axis."""
from __future__ import annotations

import dataclasses
import math
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from matplotlib import colormaps, dates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dsl import nodes
from dsl.plan import compile_plan
from dsl.render import plain_value
from dsl.spec import Spec
from dsl.typecheck import DURATIONS, aggregate_reference
from engine.batch import run_key
from engine.decode import Event
from engine.incremental import Engine

EPOCH_MS_FROM = 10**11  # first event times from 1973 on are read as epoch milliseconds
MARGIN = 0.1  # shown after the last change, as a share of the span before it
MIN_MARGIN_MS = 500
CHAR_WIDTH = 0.008  # width of one label character, as a share of the axis width
EVENT_LEVELS = 3  # heights at which event labels are staggered
ROW_HEIGHTS = {nodes.Kind.STATE: 0.45, nodes.Kind.BOOL: 0.35, nodes.Kind.NUMBER: 0.9}
EVENT_ROW_HEIGHT = 0.7
TRUE_COLOR = "#4c72b0"
LINE_COLOR = "#dd8452"

Point = tuple[int, Any, Any]  # where one timeline changes: time, value, rate
Span = tuple[int, int, Any, Any]  # start, stop, value, rate


@dataclass(frozen=True)
class TimeAxis:
    """The shown time range ``[t0, end]`` in milliseconds and how it maps to plot coordinates.

    Epoch times are drawn as UTC dates, other times as seconds since ``t0``.
    """

    t0: int
    end: int
    wall_clock: bool

    def x(self, ms: int) -> float:
        if self.wall_clock:
            return dates.date2num(_utc(ms))
        return (ms - self.t0) / 1000

    def text_width(self, text: str) -> float:
        """The approximate width of a label in plot coordinates."""
        return (len(text) + 1) * CHAR_WIDTH * (self.x(self.end) - self.x(self.t0))

    def text(self, ms: int) -> str:
        """A time for the axis label: the seconds since t0, or the UTC time (with the date if not t0's)."""
        if not self.wall_clock:
            return f"{(ms - self.t0) / 1000:g} s"
        shown = _utc(ms)
        return f"{shown:%H:%M:%S}" if shown.date() == _utc(self.t0).date() else f"{shown:%Y-%m-%d %H:%M:%S}"

    def label(self) -> str:
        if self.wall_clock:
            return f"time (UTC) on {_utc(self.t0):%Y-%m-%d}"
        return f"seconds since the key's first event (t0 = {self.t0} ms)"


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def plot_key(spec: Spec, events: Iterable[Event], key: str, out_path: str | Path,
             timelines: Sequence[str] | None = None) -> Figure:
    """Draw ``key``'s events and ``timelines`` (default: the spec's outputs) to a PNG or SVG file.

    Returns the figure; its axes are the events row, then one row per timeline.
    """
    names = _timeline_names(spec, timelines)
    key_events = sorted((event for event in events if event.key == key), key=lambda event: event.time)
    if not key_events:
        raise ValueError(f"no events for key {key!r}")
    changes = timeline_changes(spec, key_events)
    figure = _figure(spec, key, key_events, {name: changes[name] for name in names})
    figure.savefig(out_path, dpi=150)
    return figure


def plot_key_records(spec: Spec, records: Iterable[dict[str, Any]], key: str, out_path: str | Path,
                     timelines: Sequence[str] | None = None) -> Figure:
    """Draw ``key``'s ``timelines`` from the change records a job wrote (no events row: records have none)."""
    names = _timeline_names(spec, timelines)
    changes: dict[str, list[Point]] = {name: [] for name in names}
    for record in records:
        if record.get("key") == key and record.get("timeline") in changes:
            changes[record["timeline"]].append((record["time"], record["value"], record.get("rate")))
    missing = [name for name in names if not changes[name]]
    if missing:
        raise ValueError(f"no change records of {', '.join(missing)} for key {key!r}"
                         " (a job writes only the spec's outputs)")
    for shown in changes.values():
        shown.sort(key=lambda change: change[0])
    figure = _figure(spec, key, [], changes)
    figure.savefig(out_path, dpi=150)
    return figure


def _timeline_names(spec: Spec, timelines: Sequence[str] | None) -> tuple[str, ...]:
    names = tuple(timelines or spec.outputs)
    aggregates = [name for name in names if name in {aggregate.name for aggregate in spec.aggregates}]
    if aggregates:
        raise ValueError(f"{aggregate_reference(aggregates[0])}; draw it with --metric {aggregates[0]}")
    unknown = [name for name in names if name not in spec.timelines]
    if unknown:
        raise ValueError(f"unknown timeline(s) {', '.join(unknown)}; the spec has {', '.join(spec.timelines)}")
    return names


def timeline_changes(spec: Spec, key_events: list[Event]) -> dict[str, list[Point]]:
    """The changes of every named timeline for one key's time-ordered events."""
    engine = Engine(compile_plan(dataclasses.replace(spec, outputs=tuple(spec.timelines))))
    changes: dict[str, list[Point]] = {name: [] for name in spec.timelines}
    for name, time, value, rate in run_key(engine, key_events):
        changes[name].append((time, value, rate))
    return changes


def _time_axis(key_events: list[Event], changes: dict[str, list[Point]]) -> TimeAxis:
    """From the first event or change to a margin after the last event or non-null change, in whole seconds."""
    t0 = min([event.time for event in key_events[:1]] + [shown[0][0] for shown in changes.values() if shown])
    last = max([event.time for event in key_events[-1:]] + [time for shown in changes.values()
                                                             for time, value, _ in shown if value is not None])
    seconds = math.ceil((last - t0 + max((last - t0) * MARGIN, MIN_MARGIN_MS)) / 1000)
    return TimeAxis(t0, t0 + 1000 * seconds, t0 >= EPOCH_MS_FROM)


def _spans(changes: list[Point], end: int) -> list[Span]:
    """The changes as spans ``[start, stop)``, cut at ``end``."""
    stops = [time for time, _, _ in changes[1:]] + [end]
    return [(time, min(stop, end), value, rate)
            for (time, value, rate), stop in zip(changes, stops) if time < end]


def _figure(spec: Spec, key: str, key_events: list[Event], changes: dict[str, list[Point]]) -> Figure:
    axis = _time_axis(key_events, changes)
    kinds = [spec.kinds[name] for name in changes]
    event_rows = 1 if key_events else 0
    heights = [EVENT_ROW_HEIGHT] * event_rows + [ROW_HEIGHTS[kind] for kind in kinds]
    figure = Figure(figsize=(10, 1 + sum(heights)), layout="constrained")
    figure.get_layout_engine().set(h_pad=0.1)
    FigureCanvasAgg(figure)
    rows = figure.subplots(len(heights), 1, sharex=True, height_ratios=heights, squeeze=False)[:, 0]
    colors = _state_colors(value for name, kind in zip(changes, kinds) if kind is nodes.Kind.STATE
                           for _, value, _ in changes[name])
    if key_events:
        _draw_events(rows[0], key_events, spec, axis)
    for row, name, kind in zip(rows[event_rows:], changes, kinds):
        spans = _spans(changes[name], axis.end)
        if kind is nodes.Kind.STATE:
            _draw_state(row, spans, axis, colors)
        elif kind is nodes.Kind.BOOL:
            _draw_bool(row, spans, axis)
        else:
            _draw_number(row, spans, axis, isinstance(spec.timelines[name], DURATIONS))
        _name_row(row, name)
    _style_time_axis(rows, axis)
    figure.align_ylabels(rows)
    last_record = max(time for shown in changes.values() for time, _, _ in shown)
    cut = f"; cut at {axis.text(axis.end)}, the session ends at {axis.text(last_record)}"
    rows[-1].set_xlabel(axis.label() + (cut if last_record > axis.end else ""))
    figure.suptitle(f"{spec.name}: key {key}")
    return figure


def _name_row(row: Axes, name: str) -> None:
    row.set_ylabel(name, rotation=0, ha="right", va="center", labelpad=12)


def _style_time_axis(rows: Sequence[Axes], axis: TimeAxis) -> None:
    rows[0].set_xlim(axis.x(axis.t0), axis.x(axis.end))
    if axis.wall_clock:
        rows[-1].xaxis_date(tz=timezone.utc)
        rows[-1].xaxis.set_major_formatter(
            dates.ConciseDateFormatter(rows[-1].xaxis.get_major_locator(), tz=timezone.utc, show_offset=False))
    for row in rows:
        row.spines[["top", "right", "left"]].set_visible(False)
        row.grid(axis="x", color="#dddddd", linewidth=0.6)
        row.set_axisbelow(True)
    for row in rows[:-1]:
        row.tick_params(axis="x", length=0)


def _label_fields(spec: Spec) -> list[str]:
    """Event fields the spec reads, in the order it first mentions them."""
    fields: list[str] = []
    stack = list(reversed(spec.timelines.values()))
    while stack:
        node = stack.pop()
        reads_a_field = isinstance(node, (nodes.FieldCompare, nodes.LatestEventToState, nodes.FirstEventToState))
        if reads_a_field and node.column not in fields:
            fields.append(node.column)
        stack.extend(reversed(nodes.children(node)))
    return fields


def _event_label(event: Event, fields: list[str], ignored: set[str]) -> str:
    """The value of the event's first field the spec reads, else of its first other field."""
    candidates = [field for field in fields if event.fields.get(field) is not None]
    candidates += [field for field in event.fields if field not in ignored]
    return plain_value(event.fields[candidates[0]]) if candidates else ""


def _draw_events(row: Axes, key_events: list[Event], spec: Spec, axis: TimeAxis) -> None:
    """A tick per event, labels staggered over a few heights; a label with no room is left off."""
    fields, ignored = _label_fields(spec), {spec.key, spec.time}
    free_from = [-math.inf] * EVENT_LEVELS
    for event in key_events:
        x, label = axis.x(event.time), _event_label(event, fields, ignored)
        level = next((level for level, free in enumerate(free_from) if free <= x), None)
        height = 0.12 if level is None else (level + 1) / (EVENT_LEVELS + 1)
        row.vlines(x, 0, height, color="#333333", linewidth=1.2)
        if level is not None:
            free_from[level] = x + axis.text_width(label)
            row.text(x, height, f" {label}", ha="left", va="center", fontsize=8)
    row.set_ylim(0, 1)
    row.set_yticks([])
    _name_row(row, "events")


def _state_colors(values: Iterable[Any]) -> dict[str, Any]:
    """A distinct colour per non-null state value, the same in every plot unless two values collide."""
    palette = colormaps["Set3"].colors
    colors: dict[str, Any] = {}
    for value in sorted({plain_value(value) for value in values if value is not None}):
        slot = zlib.crc32(value.encode())
        while palette[slot % len(palette)] in colors.values() and len(colors) < len(palette):
            slot += 1
        colors[value] = palette[slot % len(palette)]
    return colors


def _draw_state(row: Axes, spans: list[Span], axis: TimeAxis, colors: dict[str, Any]) -> None:
    """A band per non-null value, labelled where the label fits."""
    for start, stop, value, _ in spans:
        if value is None:
            continue
        left, right = axis.x(start), axis.x(stop)
        label = plain_value(value)
        row.barh(0, right - left, left=left, height=1, color=colors[label], edgecolor="white")
        if right - left >= axis.text_width(label):
            row.text((left + right) / 2, 0, label, ha="center", va="center", fontsize=8)
    _band_row(row)


def _draw_bool(row: Axes, spans: list[Span], axis: TimeAxis) -> None:
    """Filled bands where true, outlined ones where false."""
    for start, stop, value, _ in spans:
        if value is None:
            continue
        left, right = axis.x(start), axis.x(stop)
        row.barh(0, right - left, left=left, height=1, color=TRUE_COLOR if value else "none",
                 edgecolor=TRUE_COLOR, linewidth=0.8)
    _band_row(row)


def _band_row(row: Axes) -> None:
    row.set_ylim(-0.6, 0.6)
    row.set_yticks([])
    row.spines["bottom"].set_visible(False)


def _draw_number(row: Axes, spans: list[Span], axis: TimeAxis, duration: bool) -> None:
    """The value (a duration in seconds), piecewise linear at any rate, below zero too; a gap where it is null."""
    scale = 1000 if duration else 1
    xs: list[float] = []
    ys: list[float] = []
    for start, stop, value, rate in spans:
        if value is None:
            xs.append(axis.x(start))
            ys.append(math.nan)
            continue
        xs += [axis.x(start), axis.x(stop)]
        ys += [value / scale, (value + rate * (stop - start)) / scale]
    row.plot(xs, ys, color=LINE_COLOR, linewidth=1.6)
    row.fill_between(xs, ys, color=LINE_COLOR, alpha=0.15, linewidth=0)
    shown = [y for y in ys if not math.isnan(y)]
    low, high = 1.1 * min(shown + [0]), 1.1 * max(shown + [0])
    row.set_ylim(low, high) if low < high else row.set_ylim(0, 1)
    row.yaxis.set_major_formatter(lambda y, _: f"{y:g} s" if duration else f"{y:g}")
    row.locator_params(axis="y", nbins=3)
