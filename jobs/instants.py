"""The instants stage: each key's events grouped by instant and released in time order, in Flink SQL.

    events (timestamped) -> late? --yes--> late payloads
                              \\ no -> 1 ms tumbling window per key -> (key, time, payloads)

A one-millisecond window of one key holds exactly the events of one instant.
Flink's window operator emits it once the watermark passes its time, each
key's windows in time order, and forwards that watermark only after them. So
the timeline operator after it gets complete instants in order and needs
neither a reorder buffer nor a timer per event. The payloads of an instant are
joined in arrival order by ``EVENT_SEPARATOR``.

The window operator would drop a late event silently, so late events (at or
below the current watermark where they are split off) leave first; the window
operator's watermark is never ahead of that one, so it drops nothing.
"""
from __future__ import annotations

from pyflink.common import Types
from pyflink.datastream import DataStream
from pyflink.table import DataTypes, Schema, StreamTableEnvironment

from operators.decode import KEYED_INSTANT
from engine.keyed import EVENT_SEPARATOR

ROWTIME = "rowtime"  # the DataStream timestamp, as the table's time attribute


def instants(tables: StreamTableEnvironment, events: DataStream) -> tuple[DataStream, DataStream]:
    """Timestamped ``Row(key, (key, time, payload))`` events as ``Row(key, (key, time, payloads))``
    instants, and the late events as ``Row(payload)``."""
    table = tables.from_data_stream(events, Schema.new_builder()
                                    .column_by_metadata(ROWTIME, DataTypes.TIMESTAMP_LTZ(3))
                                    .watermark(ROWTIME, "SOURCE_WATERMARK()")
                                    .build())
    watermark = f"CURRENT_WATERMARK({ROWTIME})"
    on_time = tables.sql_query(f"SELECT f0 AS k, f1.f1 AS t, f1.f2 AS p, {ROWTIME} FROM {table}"
                               f" WHERE {watermark} IS NULL OR {ROWTIME} > {watermark}")
    late = tables.sql_query(f"SELECT f1.f2 FROM {table} WHERE {ROWTIME} <= {watermark}")
    separator = f"U&'\\{ord(EVENT_SEPARATOR):04X}'"
    grouped = tables.sql_query(
        f"SELECT k, ROW(k, MAX(t), LISTAGG(p, {separator})) FROM TABLE("
        f"TUMBLE(TABLE {on_time}, DESCRIPTOR({ROWTIME}), INTERVAL '0.001' SECOND))"
        " GROUP BY k, window_start, window_end")
    return tables.to_append_stream(grouped, KEYED_INSTANT), tables.to_append_stream(late, Types.ROW([Types.STRING()]))
