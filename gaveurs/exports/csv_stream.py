"""Streaming query results into CSV without ever holding the whole result.

PostgreSQL: one query on a server-side cursor (`stream_results` + `yield_per`): the server keeps the result and
hands it over `chunk_rows` rows at a time. SQLite: keyset pagination, one short query per chunk (`WHERE (keys) >
(last keys) ORDER BY keys LIMIT n`), so no read transaction stays open for the whole export (a long one would stop
WAL checkpoints while other workers write) and the last key written is a natural resume point.

Either way the rows are written as they arrive: memory stays at one chunk, whatever the number of rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Row, Select, func, select, tuple_

from gaveurs.reports.layout import ByteSink, ProgressCallback

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """One CSV cell: ISO 8601 UTC times, shortest round-trip floats, empty for NULL.

    Both backends give the same text (SQLite hands back naive UTC datetimes, PostgreSQL aware ones in the
    session's zone), so the same rows make byte-identical files whichever database served them.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return aware.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def utc_text(value: datetime) -> str:
    """A timestamp as ISO 8601 UTC with a Z: the fast path of `cell` for columns known to hold timestamps.

    Runs once per row: naive values (SQLite, UTC) and UTC-aware ones (PostgreSQL in a UTC session, see
    iter_chunks) skip the time zone conversion.
    """
    if value.tzinfo is None:
        return value.isoformat() + "Z"
    text = value.isoformat()
    if text.endswith("+00:00"):
        return text[:-6] + "Z"
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def text_cell(value: str | None) -> str:
    """Free text typed by someone outside the company: a leading = + - @ would run as a spreadsheet formula
    when the file is opened (CSV injection), so such text gets a leading apostrophe, as spreadsheets expect."""
    if value is None:
        return ""
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


@dataclass(frozen=True)
class CsvQuery:
    """A filtered query and its CSV shape.

    `source` is the table the rows come from. `keys` order the rows and identify each one (unique together);
    they are selected first, so a row's key is `row[:len(keys)]`. `columns` follow. `format_row` turns a
    selected row into the CSV cells under `header`: text, or ints and floats, which the csv module writes
    with str() (shortest round-trip for floats) in C, much faster than formatting them here; None is empty.
    """

    source: Any
    keys: Sequence[Any]  # mapped columns (or column expressions)
    columns: Sequence[Any]
    header: Sequence[str]
    format_row: Callable[[Sequence[Any]], Sequence[Any]]
    joins: Sequence[tuple[Any, ColumnElement[bool]]] = ()
    where: Sequence[ColumnElement[bool]] = field(default_factory=list)

    def select(self) -> Select[Any]:
        query = select(*self.keys, *self.columns).select_from(self.source)
        for target, on in self.joins:
            query = query.join(target, on)
        return query.where(*self.where).order_by(*self.keys)

    def count(self) -> Select[Any]:
        query = select(func.count()).select_from(self.source)
        for target, on in self.joins:
            query = query.join(target, on)
        return query.where(*self.where)


def iter_chunks(
    engine: Engine, spec: CsvQuery, chunk_rows: int, after: Sequence[Any] | None = None
) -> Iterator[Sequence[Row[Any]]]:
    """The rows of `spec` in key order, `chunk_rows` at a time, starting after the key `after` if given."""
    base = spec.select()
    width = len(spec.keys)
    if after is not None:
        base = base.where(tuple_(*spec.keys) > tuple_(*after))
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            # Timestamps then arrive in UTC already: no per-row time zone conversion while formatting.
            connection.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
            result = connection.execution_options(stream_results=True, yield_per=chunk_rows).execute(base)
            yield from result.partitions()
        return
    last = None
    while True:
        query = base if last is None else base.where(tuple_(*spec.keys) > tuple_(*last))
        with engine.connect() as connection:
            rows = connection.execute(query.limit(chunk_rows)).all()
        if rows:
            yield rows
        if len(rows) < chunk_rows:
            return
        last = tuple(rows[-1][:width])


def count_rows(engine: Engine, spec: CsvQuery) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(spec.count()) or 0)


def write_csv(
    engine: Engine,
    spec: CsvQuery,
    out: ByteSink,
    *,
    chunk_rows: int,
    expected_rows: int | None = None,
    include_header: bool = True,
    on_progress: ProgressCallback | None = None,
    progress_span: tuple[int, int] = (5, 95),
    stage: str = "écriture du CSV",
) -> int:
    """Write the header (optional) and every row of `spec` into `out` as UTF-8 CSV; returns the rows written.

    Each chunk is formatted in a small text buffer, encoded and written at once: one write per chunk, and
    nothing but the current chunk in memory.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: comma, double quotes where needed, CRLF line ends
    if include_header:
        writer.writerow(spec.header)
    low, high = progress_span
    written = 0
    for chunk in iter_chunks(engine, spec, chunk_rows):
        writer.writerows(spec.format_row(row) for row in chunk)
        out.write(buffer.getvalue().encode("utf-8"))
        buffer.seek(0)
        buffer.truncate()
        written += len(chunk)
        if on_progress is not None and expected_rows:
            on_progress(low + (high - low) * min(written, expected_rows) // expected_rows, stage)
    if buffer.tell():
        out.write(buffer.getvalue().encode("utf-8"))  # the header of an export without rows
    return written
