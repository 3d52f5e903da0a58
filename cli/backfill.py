"""``timeline backfill``: a spec's records over bounded files of events, in bounded memory, on every core.

Two passes over partitions of the keys (a hash of the key picks one of
``partitions``), each a pool of worker processes:

1. *split*: each input piece (a range of lines of a JSON-lines file, or of
   row groups of a Parquet file) is decoded and its events appended to one Arrow IPC file per
   partition, only the fields that the spec reads;
2. *evaluate*: each partition's events, read back in input order, are
   evaluated by the columnar evaluator; its change records are written to a
   part file of their own, and its aggregate folds, which are small, go back
   to the parent, which adds them up into the aggregate records.

A worker holds one block of input or one partition at a time, and a
partition holds about ``PARTITION_EVENTS`` events, so memory does not depend
on the input's size (docs/backfill.md).
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time as clock
import zlib
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from dsl.spec import Spec
from engine.columnar_events import decoded_schema, spec_columns, table_of_decoded
from engine.columnar_input import (
    BLOCK_BYTES, Decoded, decode_lines, decoded_blocks, decode_parquet, is_parquet, parquet_batches, parquet_files)
from engine.columnar_output import (
    aggregate_lines, change_lines, write_aggregate_parquet, write_change_parquet)
from engine.columnar_records import aggregate_records, evaluate

PARTITION_EVENTS = 300_000  # events per partition: bounds a worker's memory while it evaluates one
PIECE_BYTES = 64 << 20  # a JSON-lines file is split into pieces of about this many bytes
SAMPLE_BYTES = 1 << 20  # a JSON-lines file's count of events is estimated from its first lines


@dataclass(frozen=True)
class Piece:
    """A part of the input: a byte range of a JSON-lines file, or a range of a Parquet file's row groups."""

    index: int  # in input order: pieces concatenated in this order keep the events' input order
    path: Path
    start: int  # a byte offset, or the first row group
    stop: int  # the byte offset after the piece, or the row group after it
    size: int  # bytes read: of the file, or of the row groups' (compressed) columns
    events: int  # counted for Parquet (its metadata), estimated for JSON lines
    first_row: int | None = None  # Parquet: the number of the piece's first row in its file; None: JSON lines


@dataclass(frozen=True)
class SplitDone:
    piece: Piece
    lines: int  # lines of a JSON-lines piece, to number the bad lines of the pieces after it
    bad: list[tuple[int, str]]


def pieces_of(paths: Sequence[Path]) -> list[Piece]:
    """The inputs cut into pieces: JSON-lines files at line ends, Parquet files at row groups."""
    pieces: list[Piece] = []
    for path in paths:
        try:
            pieces.extend(_pieces_of_file(path, PIECE_BYTES, len(pieces)))
        except OSError as error:
            raise SystemExit(f"cannot read the input {path}: {error.strerror}") from None
    return pieces


def _pieces_of_file(path: Path, piece_bytes: int, first: int) -> Iterator[Piece]:
    if is_parquet(path):
        index = first
        for file in parquet_files(path):
            for piece in _row_group_pieces(file, piece_bytes, index):
                yield piece
                index += 1
        return
    size, start, index = os.path.getsize(path), 0, first
    with path.open("rb") as file:
        sample = file.read(SAMPLE_BYTES)
        bytes_per_event = len(sample) / max(1, sample.count(b"\n"))
        while start < size:
            file.seek(min(start + piece_bytes, size))
            file.readline()
            stop = min(file.tell(), size)
            yield Piece(index, path, start, stop, stop - start, round((stop - start) / bytes_per_event))
            index, start = index + 1, stop


def _row_group_pieces(path: Path, piece_bytes: int, first: int) -> Iterator[Piece]:
    """A Parquet file's row groups in pieces of about ``piece_bytes`` compressed bytes, at least one group each."""
    metadata = pq.ParquetFile(path).metadata
    groups = [metadata.row_group(number) for number in range(metadata.num_row_groups)]
    sizes = [sum(group.column(column).total_compressed_size for column in range(group.num_columns))
             for group in groups]
    start, row, index = 0, 1, first
    while start < len(groups):
        stop, piece_size = start + 1, sizes[start]
        while stop < len(groups) and piece_size + sizes[stop] <= piece_bytes:
            piece_size += sizes[stop]
            stop += 1
        rows = sum(group.num_rows for group in groups[start:stop])
        yield Piece(index, path, start, stop, piece_size, rows, first_row=row)
        start, row, index = stop, row + rows, index + 1


def partition_of(keys: pa.Array, partitions: int) -> np.ndarray:
    """Each key's partition: a CRC-32 of its UTF-8 text modulo ``partitions``, the same in every process."""
    encoded = pc.dictionary_encode(keys)
    of_distinct = [zlib.crc32(key.encode()) % partitions for key in encoded.dictionary.to_pylist()]
    return np.array(of_distinct, dtype=np.int64)[encoded.indices.to_numpy(zero_copy_only=False)]


def split_piece(piece: Piece, spec: Spec, partitions: int, folder: Path) -> SplitDone:
    """Decode one piece and append its events to one IPC file per partition."""
    columns = spec_columns(spec)
    schema = decoded_schema(columns)
    writers: dict[int, ipc.RecordBatchStreamWriter] = {}
    bad: list[tuple[int, str]] = []
    lines = 0
    try:
        for decoded, block_lines in _decoded_piece(piece, spec, columns):
            bad.extend(decoded.bad)
            lines += block_lines
            table = decoded.table
            if not len(table):
                continue
            partition = partition_of(table["key"].combine_chunks(), partitions)
            order = np.argsort(partition, kind="stable")  # stable: each partition's events stay in input order
            numbers, starts, counts = np.unique(partition[order], return_index=True, return_counts=True)
            grouped = table.take(pa.array(order))
            for number, start, count in zip(numbers.tolist(), starts.tolist(), counts.tolist()):
                if number not in writers:
                    writers[number] = ipc.new_stream(folder / f"{number:05d}-{piece.index:06d}.arrow", schema)
                writers[number].write_table(grouped.slice(start, count))
    finally:
        for writer in writers.values():
            writer.close()
    return SplitDone(piece, lines, bad)


def _decoded_piece(piece: Piece, spec: Spec, columns) -> Iterator[tuple[Decoded, int]]:
    if piece.first_row is not None:
        for number, batch in parquet_batches(piece.path, range(piece.start, piece.stop), piece.first_row):
            yield decode_parquet(batch, number, spec.key, spec.time, columns), batch.num_rows
        return
    with piece.path.open("rb") as file:
        file.seek(piece.start)
        number, left = 1, piece.stop - piece.start
        while left > 0:
            block = file.read(min(BLOCK_BYTES, left))
            left -= len(block)
            if left > 0:
                more = file.readline()[:left]
                block += more
                left -= len(more)
            block = block.removesuffix(b"\n")  # a piece ends after a line's end, or at the end of the file
            count = block.count(b"\n") + 1
            yield decode_lines(block, number, spec.key, spec.time, columns), count
            number += count


def evaluate_partition(spec: Spec, number: int, folder: Path, out: Path, output_format: str) -> tuple[pa.Table, int]:
    """Evaluate one partition's events and write its change records; its aggregate folds and event count."""
    files = sorted(folder.glob(f"{number:05d}-*.arrow"))  # in piece order: the events' input order
    tables = [ipc.open_stream(file).read_all() for file in files]
    decoded = pa.concat_tables(tables) if tables else decoded_schema(spec_columns(spec)).empty_table()
    for file in files:
        file.unlink()
    result = evaluate(spec, table_of_decoded(decoded, spec_columns(spec)))
    if output_format == "parquet":
        write_change_parquet(result.changes, spec, out / "changes", f"part-{number:05d}")
    else:
        (out / "changes" / f"part-{number:05d}.jsonl").write_bytes(change_lines(result.changes))
    return result.folds, len(decoded)


@dataclass
class Summary:
    events: int
    bad_lines: int
    partitions: int
    seconds: float


def backfill(spec: Spec, inputs: Sequence[Path], out: Path, output_format: str = "jsonl", workers: int | None = None,
             partitions: int | None = None, progress: ProgressBar | None = None) -> Summary:
    """Write ``spec``'s change and aggregate records over ``inputs`` into the folder ``out``."""
    started = clock.monotonic()
    workers = workers or os.cpu_count() or 1
    pieces = pieces_of(inputs)
    total = sum(piece.size for piece in pieces)
    partitions = partitions or max(2 * workers, -(-sum(piece.events for piece in pieces) // PARTITION_EVENTS))
    progress = progress or ProgressBar(None)
    (out / "changes").mkdir(parents=True)
    folder = Path(tempfile.mkdtemp(prefix=".split-", dir=out))
    context = get_context("spawn")  # no fork of a parent whose Arrow threads may hold locks
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_one_thread) as pool:
            done = _as_done({pool.submit(split_piece, piece, spec, partitions, folder): piece.size for piece in pieces},
                            lambda size, total_done: progress.show("split", total_done, total, "bytes"))
            bad = _numbered_bad_lines([future.result() for future in done])
            evaluated = _as_done({pool.submit(evaluate_partition, spec, number, folder, out, output_format): 1
                                  for number in range(partitions)},
                                 lambda _, count: progress.show("evaluate", count, partitions, "partitions"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    progress.end()
    for path, number, reason in bad:
        print(f"{path}:{number}: {reason}", file=sys.stderr)
    results = [future.result() for future in evaluated]
    records = aggregate_records(spec, [folds for folds, _ in results])
    if spec.aggregates:
        if output_format == "parquet":
            write_aggregate_parquet(records, out / "aggregates.parquet")
        else:
            (out / "aggregates.jsonl").write_bytes(aggregate_lines(records))
    return Summary(sum(count for _, count in results), len(bad), partitions, clock.monotonic() - started)


def _one_thread() -> None:
    """A worker is one of as many processes as cores: Arrow's own threads would only compete with them."""
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


def _as_done(futures: dict[Future, int], show) -> list[Future]:
    """Wait for every future, calling ``show(weight, total weight done)`` as each finishes; in submission order."""
    pending, done_weight = set(futures), 0
    while pending:
        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            future.result()  # a worker's error stops the backfill here
            done_weight += futures[future]
            show(futures[future], done_weight)
    return list(futures)


def _numbered_bad_lines(splits: list[SplitDone]) -> list[tuple[Path, int, str]]:
    """Every bad line with its number in its file (pieces number their lines from their own start)."""
    before: dict[Path, int] = {}
    bad = []
    for split in sorted(splits, key=lambda split: split.piece.index):
        offset = before.get(split.piece.path, 0) if split.piece.first_row is None else 0
        bad.extend((split.piece.path, offset + number, reason) for number, reason in split.bad)
        before[split.piece.path] = offset + split.lines
    return bad


class ProgressBar:
    """A one-line progress bar, redrawn in place on ``stream`` (None: draws nothing)."""

    WIDTH = 30

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.drawn = False

    def show(self, stage: str, done: int, total: int, unit: str) -> None:
        if self.stream is None:
            return
        share = done / total if total else 1.0
        filled = round(share * self.WIDTH)
        amount = f"{_size(done)} of {_size(total)}" if unit == "bytes" else f"{done:,} of {total:,} {unit}"
        self.stream.write(f"\r{stage:<8} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%}  {amount}\033[K")
        self.stream.flush()
        self.drawn = True

    def end(self) -> None:
        if self.stream is not None and self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _size(count: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"


def evaluate_file(spec: Spec, path: Path, strict: bool) -> bytes:
    """``timeline eval``'s output over one input, evaluated in this process: bad lines are reported on stderr
    and skipped, or fatal with ``strict``."""
    columns = spec_columns(spec)
    tables = []
    try:
        for file, decoded in decoded_blocks(path, spec.key, spec.time, columns):
            for number, reason in decoded.bad:
                print(f"{file}:{number}: {reason}", file=sys.stderr)
                if strict:
                    raise SystemExit(1)
            tables.append(decoded.table)
    except OSError as error:
        raise SystemExit(f"cannot read the events file {path}: {error.strerror}") from None
    decoded = pa.concat_tables(tables) if tables else decoded_schema(columns).empty_table()
    result = evaluate(spec, table_of_decoded(decoded, columns))
    return change_lines(result.changes) + aggregate_lines(aggregate_records(spec, [result.folds]))


def run_backfill(spec: Spec, inputs: Sequence[Path], out: Path, output_format: str, workers: int | None,
                 partitions: int | None) -> None:
    """``timeline backfill``: the backfill with a progress bar, and a summary line on stderr."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SystemExit(f"--out {out}: not an empty folder")
    summary = backfill(spec, inputs, out, output_format, workers, partitions, ProgressBar())
    rate = summary.events / summary.seconds if summary.seconds else 0
    bad = f"{summary.bad_lines:,} bad line{'' if summary.bad_lines == 1 else 's'}"
    print(f"backfill: {summary.events:,} events ({bad}) in {summary.partitions} partitions,"
          f" {summary.seconds:.1f} s, {rate:,.0f} events/s -> {out}", file=sys.stderr)
