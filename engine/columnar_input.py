"""Reading events for the columnar evaluator: JSON lines and Parquet, into decoded Arrow tables
(:func:`engine.columnar_events.decoded_schema`).

JSON lines decode exactly as :func:`engine.decode.decode_event` decodes each
line (``tests/unit/test_columnar_input.py`` holds them to it, hostile lines
included): a line that orjson reads as an object with a plain key and time takes
a short path, every other line the full one, which finds the same event or the
same reason. Lines end at each ``\\n`` and nothing else; blank lines are skipped.

Parquet columns are event fields: the spec's key (strings, or integers in
decimal) and time (integers or whole floats of epoch milliseconds, ISO-8601
strings, or timestamps), other columns as their values.

The BATCH job's batches are records the JVM decoded already
(:func:`decode_fields`): key, time and the spec's fields as written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from engine.columnar_events import decoded_schema, decoded_table
from engine.decode import MAX_EVENT_BYTES, decode_event, is_blank, text_of
from engine.events import MAX_TIME, BadEvent

BLOCK_BYTES = 1 << 22  # JSON lines are read in blocks of about this many bytes, cut after a line's end


@dataclass
class Decoded:
    """Decoded events of a block of input, and its bad lines as ``(line number, reason)``."""

    table: pa.Table
    bad: list[tuple[int, str]] = field(default_factory=list)


def decode_lines(data: bytes, first_number: int, key: str, time: str, columns: Sequence[str]) -> Decoded:
    """The events of the JSON lines in ``data``, the first of them line ``first_number``."""
    keys: list[str] = []
    times: list[int] = []
    events: list[dict] = []
    bad: list[tuple[int, str]] = []
    loads, add_key, add_time, add_event = orjson.loads, keys.append, times.append, events.append
    for number, line in enumerate(data.split(b"\n"), start=first_number):
        try:
            fields = loads(line) if len(line) <= MAX_EVENT_BYTES else None
        except orjson.JSONDecodeError:
            fields = None
        if type(fields) is dict:
            event_key, event_time = fields.get(key), fields.get(time)
        else:
            event_key = event_time = None
        if not (type(event_key) is str and event_key and type(event_time) is int and 0 <= event_time <= MAX_TIME):
            text = text_of(line)
            if is_blank(text):
                continue
            try:
                event_key, event_time, fields = decode_event(text, key, time)
            except BadEvent as error:
                bad.append((number, error.reason))
                continue
        add_key(event_key)
        add_time(event_time)
        add_event(fields)
    texts = {name: json_texts([fields.get(name) for fields in events]) for name in columns}
    return Decoded(decoded_table(keys, times, texts), bad)


_ESCAPED = r'[\x00-\x1f"\\]'  # characters that JSON text writes escaped


def json_texts(values: list) -> pa.Array:
    """Values as JSON text, as orjson writes them (null: None); columns of strings take a short path, each
    distinct string quoted once."""
    try:
        encoded = pc.dictionary_encode(pa.array(values, pa.string()))
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([None if value is None else orjson.dumps(value) for value in values], pa.binary())
    distinct = encoded.dictionary
    if pc.any(pc.match_substring_regex(distinct, _ESCAPED)).as_py():
        quoted = pa.array([orjson.dumps(text) for text in distinct.to_pylist()], pa.binary())
    else:
        quoted = pc.binary_join_element_wise('"', distinct, '"', "").cast(pa.binary())
    return quoted.take(encoded.indices)


FIELD_SEPARATOR = "\x1f"  # between the fields of a record of the BATCH job (jvm/: FieldRecords.SEPARATOR)


def decode_fields(data: bytes, columns: Sequence[str]) -> pa.Table:
    """The events of a batch of the BATCH job (jvm/: ``FieldRecords``), decoded by the JVM already: one record
    a line, its key as a JSON string, its time in decimal, then the JSON text of each of ``columns`` as the
    event writes it (empty: absent), separated by :data:`FIELD_SEPARATOR`. Read as columns; each distinct key
    and value text is parsed once, a value written again as orjson writes it, as :func:`decode_lines` would."""
    names = [str(number) for number in range(2 + len(columns))]  # by position: a column may be the key's field
    table = pa_csv.read_csv(
        pa.BufferReader(data),
        read_options=pa_csv.ReadOptions(column_names=names, use_threads=False, block_size=len(data) + 1),
        parse_options=pa_csv.ParseOptions(delimiter=FIELD_SEPARATOR, quote_char=False, escape_char=False),
        convert_options=pa_csv.ConvertOptions(column_types={name: pa.binary() for name in names} | {"1": pa.int64()},
                                              null_values=[""], strings_can_be_null=True))
    keys = _each_distinct(table.column(0), orjson.loads, pa.string())
    texts = [_each_distinct(table.column(2 + number), _rewritten, pa.binary()) for number in range(len(columns))]
    return pa.table([keys, table.column(1), *texts], schema=decoded_schema(columns))


def _rewritten(text: bytes) -> bytes | None:
    """A JSON text as orjson writes its value (null: None)."""
    value = orjson.loads(text)
    return None if value is None else orjson.dumps(value)


def _each_distinct(texts: pa.ChunkedArray, parse, of_type: pa.DataType) -> pa.Array:
    """``parse`` of each text, each distinct text parsed once (null stays null)."""
    encoded = pc.dictionary_encode(texts.combine_chunks())
    return pa.array([parse(text) for text in encoded.dictionary.to_pylist()], of_type).take(encoded.indices)


def line_blocks(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[tuple[int, bytes]]:
    """The file's lines in blocks of whole lines, each with the number of its first line."""
    number = 1
    rest = b""
    with path.open("rb") as file:
        while chunk := file.read(block_bytes):
            chunk = rest + chunk
            cut = chunk.rfind(b"\n") + 1
            if cut:
                block, rest = chunk[:cut - 1], chunk[cut:]
                yield number, block
                number += block.count(b"\n") + 1
            else:
                rest = chunk
    if rest:
        yield number, rest


def parquet_files(path: Path) -> list[Path]:
    """A Parquet file, or the Parquet files of a folder (and its folders), in name order."""
    if path.is_dir():
        return sorted(found for found in path.rglob("*.parquet") if found.is_file())
    return [path]


def is_parquet(path: Path) -> bool:
    """A Parquet file, or a folder with Parquet files; anything else is read as JSON lines."""
    if path.is_dir():
        return any(path.rglob("*.parquet"))
    with path.open("rb") as file:
        return file.read(4) == b"PAR1"


def decode_parquet(batch: pa.RecordBatch, first_row: int, key: str, time: str, columns: Sequence[str]) -> Decoded:
    """The events of a batch of Parquet rows (row numbers from ``first_row``, counted from 1).

    When every row's key is a non-empty string or an integer and its time an integer in range, the batch
    takes a short path; else each row's key and time go as JSON through :func:`~engine.decode.decode_event`,
    for the same event or the same reason.
    """
    texts = {name: json_text_column(batch, name) for name in columns}
    keys, times = _plain_keys_and_times(batch, key, time)
    if keys is not None:
        return Decoded(pa.table([keys, times, *texts.values()], schema=decoded_schema(columns)))
    key_texts, time_texts = (json_text_column(batch, name).to_pylist() for name in (key, time))
    kept_keys, kept_times, kept, bad = [], [], [], []
    for row, (key_text, time_text) in enumerate(zip(key_texts, time_texts)):
        fields = {name: orjson.loads(text) for name, text in ((key, key_text), (time, time_text)) if text is not None}
        try:
            event_key, event_time, _ = decode_event(orjson.dumps(fields), key, time)
        except BadEvent as error:
            bad.append((first_row + row, error.reason))
            continue
        kept_keys.append(event_key)
        kept_times.append(event_time)
        kept.append(row)
    rows = pa.array(kept, pa.int64())
    return Decoded(decoded_table(kept_keys, kept_times, {name: text.take(rows) for name, text in texts.items()}), bad)


def _plain_keys_and_times(batch: pa.RecordBatch, key: str, time: str) -> tuple[pa.Array | None, pa.Array | None]:
    """The keys (as text) and times of a batch whose every row has a plain key and time; (None, None) if not."""
    names = batch.schema.names
    if key not in names or time not in names:
        return None, None
    keys, times = batch.column(names.index(key)), _epoch_millis(batch.column(names.index(time)))
    if keys.null_count or times.null_count or not pa.types.is_integer(times.type):
        return None, None
    if pa.types.is_integer(keys.type):
        keys = pc.cast(keys, pa.string())
    elif not pa.types.is_string(keys.type) or pc.any(pc.equal(keys, "")).as_py():
        return None, None
    if len(times) and (pc.min(times).as_py() < 0 or pc.max(times).as_py() > MAX_TIME):
        return None, None
    return keys, pc.cast(times, pa.int64())


def _epoch_millis(column: pa.Array) -> pa.Array:
    """Timestamps and dates as epoch milliseconds (finer units cut); other columns as they are."""
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        return pc.cast(pc.cast(column, pa.timestamp("ms"), safe=False), pa.int64())
    return column


def json_text_column(batch: pa.RecordBatch, name: str) -> pa.Array:
    """A column's values as JSON text (null: absent, null or NaN), each distinct value written once."""
    if name not in batch.schema.names:
        return pa.nulls(batch.num_rows, pa.binary())
    encoded = pc.dictionary_encode(_epoch_millis(batch.column(batch.schema.names.index(name))))
    texts = [orjson.dumps(value) for value in encoded.dictionary.to_pylist()]
    return pa.array([None if text == b"null" else text for text in texts], pa.binary()).take(encoded.indices)


def parquet_batches(path: Path, row_groups: Sequence[int] | None = None, first_row: int = 1,
                    batch_rows: int = 1 << 16) -> Iterator[tuple[int, pa.RecordBatch]]:
    """The rows of a Parquet file (of some of its row groups, the first of them row ``first_row``) in batches,
    each with the number of its first row."""
    number = first_row
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows, row_groups=row_groups):
        yield number, batch
        number += batch.num_rows


def decoded_blocks(path: Path, key: str, time: str, columns: Sequence[str]) -> Iterator[tuple[Path, Decoded]]:
    """The events of a JSON-lines file, or of a Parquet file or folder, block by block, each with its file."""
    if is_parquet(path):
        for file in parquet_files(path):
            for number, batch in parquet_batches(file):
                yield file, decode_parquet(batch, number, key, time, columns)
    else:
        for number, block in line_blocks(path):
            yield path, decode_lines(block, number, key, time, columns)
