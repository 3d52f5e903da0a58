"""Writing the columnar evaluator's records: JSON lines, byte for byte as ``timeline eval`` writes them,
or Parquet (docs/backfill.md gives the schema)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dsl.nodes import Kind
from dsl.typecheck import WHOLE_NUMERIC
from dsl.spec import Spec

AGGREGATES = pa.schema([("metric", pa.string()), ("group", pa.string()), ("time", pa.int64()),
                        ("count", pa.int64()), ("sum", pa.int64()), ("avg", pa.float64()),
                        ("min", pa.int64()), ("max", pa.int64())])
_VALUE_TYPES = {Kind.NUMBER: pa.int64(), Kind.BOOL: pa.bool_(), Kind.STATE: pa.string()}


def change_lines(changes: pa.Table) -> bytes:
    """The change records as JSON lines, each what ``orjson.dumps`` writes of the record, and a newline."""
    if not len(changes):
        return b""
    keys = pc.dictionary_encode(changes["key"]).combine_chunks()
    quoted_keys = pa.array([orjson.dumps(key).decode() for key in keys.dictionary.to_pylist()], pa.string())
    names = pc.dictionary_encode(changes["timeline"]).combine_chunks()
    quoted_names = pa.array([orjson.dumps(name).decode() for name in names.dictionary.to_pylist()], pa.string())
    rate = changes["rate"].combine_chunks()
    rate_text = pc.if_else(pc.is_null(rate), pa.scalar("}\n"), pc.binary_join_element_wise(',"rate":', rate, "}\n", ""))
    lines = pc.binary_join_element_wise(
        '{"key":', quoted_keys.take(keys.indices), ',"timeline":', quoted_names.take(names.indices),
        ',"time":', pc.cast(changes["time"].combine_chunks(), pa.string()),
        ',"value":', changes["value"].combine_chunks(), rate_text, "")
    return _joined(lines)


def _joined(strings: pa.Array) -> bytes:
    """The concatenation of a string array's values: its data buffer between its first and last offset."""
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32)[strings.offset:strings.offset + len(strings) + 1]
    return strings.buffers()[2].to_pybytes()[offsets[0]:offsets[-1]]


def aggregate_lines(records: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


def write_change_parquet(changes: pa.Table, spec: Spec, folder: Path, part: str) -> None:
    """One Parquet file per output timeline, ``folder/<timeline>/<part>.parquet``: key, time, value
    typed by the timeline's kind (bool, a state's value as JSON text, int64 for numeric timelines whose values are
    always whole, else float64), rate (numeric only, typed as the value)."""
    for name in spec.outputs:
        rows = changes.filter(pc.equal(changes["timeline"], name))
        kind = spec.kinds[name]
        number = pa.int64() if isinstance(spec.timelines[name], WHOLE_NUMERIC) else pa.float64()
        columns = {"key": rows["key"], "time": rows["time"], "value": _typed(rows["value"], kind, number)}
        if kind is Kind.NUMBER:
            columns["rate"] = _typed(rows["rate"], kind, number)
        (folder / name).mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(columns), folder / name / f"{part}.parquet")


def _typed(texts: pa.ChunkedArray, kind: Kind, number: pa.DataType) -> pa.Array:
    texts = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    if kind is Kind.STATE:
        return texts
    present = pc.if_else(pc.equal(texts, "null"), pa.scalar(None, pa.string()), texts)
    if kind is Kind.BOOL:
        return pc.equal(present, "true")
    return pc.cast(present, number)


def write_aggregate_parquet(records: list[dict[str, Any]], path: Path) -> None:
    """Aggregate records as Parquet: metric, group (JSON text), time, count, sum, avg, min, max (null
    where the aggregate does not report it)."""
    columns = {name: [record.get(name) for record in records] for name in AGGREGATES.names}
    columns["group"] = [orjson.dumps(record["group"]).decode() for record in records]
    pq.write_table(pa.table(columns, schema=AGGREGATES), path)
