"""Drawing an aggregate: each reported metric over time, one line per group."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from matplotlib import dates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from dsl.plan import compile_plan
from dsl.render import plain_value
from dsl.spec import Spec
from engine import batch
from engine.decode import Event
from engine.incremental import Engine

MS_METRICS = ("sum", "avg", "min", "max")  # in milliseconds; drawn in seconds


def aggregate_series(spec: Spec, records: Iterable[dict], metric: str) -> dict[str, list[dict]]:
    """The aggregate records of ``metric`` per group label (``cdn=akamai``), each in time order."""
    names = [aggregate.name for aggregate in spec.aggregates]
    if metric not in names:
        raise ValueError(f"unknown aggregate {metric!r}; the spec has {', '.join(names) or 'none'}")
    series: dict[str, list[dict]] = {}
    for record in records:
        if record.get("metric") == metric:
            label = ", ".join(f"{column}={plain_value(value)}" for column, value in record["group"].items()) or "all keys"
            series.setdefault(label, []).append(record)
    if not series:
        raise ValueError(f"aggregate {metric!r} has no records: no key was active at any tick")
    for records_of_group in series.values():
        records_of_group.sort(key=lambda record: record["time"])
    return series


def plot_metric(spec: Spec, events: Iterable[Event], metric: str, out_path: str | Path) -> Figure:
    """Draw aggregate ``metric`` of ``events`` to a PNG or SVG file; one row per reported metric (count, sum, ...)."""
    return plot_metric_records(spec, batch.evaluate(Engine(compile_plan(spec)), events), metric, out_path)


def plot_metric_records(spec: Spec, records: Iterable[dict], metric: str, out_path: str | Path) -> Figure:
    """Draw aggregate ``metric`` from aggregate records (a job's, or :func:`engine.batch.evaluate`'s)."""
    series = aggregate_series(spec, records, metric)
    reported = next(aggregate for aggregate in spec.aggregates if aggregate.name == metric).reported
    figure = Figure(figsize=(10, 1.0 + 1.8 * len(reported)), layout="constrained")
    FigureCanvasAgg(figure)
    rows = figure.subplots(len(reported), 1, sharex=True, squeeze=False)[:, 0]
    for row, name in zip(rows, reported):
        scale = 1000 if name in MS_METRICS else 1
        for label, records in sorted(series.items()):
            times = [datetime.fromtimestamp(record["time"] / 1000, tz=timezone.utc) for record in records]
            row.plot(times, [record[name] / scale for record in records], marker=".", label=label)
        row.set_ylabel(f"{name} (s)" if scale > 1 else name)
        row.grid(color="#dddddd", linewidth=0.6)
        row.spines[["top", "right"]].set_visible(False)
    rows[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    rows[-1].xaxis.set_major_formatter(dates.ConciseDateFormatter(rows[-1].xaxis.get_major_locator(), tz=timezone.utc))
    rows[-1].set_xlabel("tick (UTC)")
    figure.suptitle(f"{spec.name}: {metric}, per group at every tick")
    figure.savefig(out_path, dpi=150)
    return figure
