"""Bulk-load generated farm data: COPY on PostgreSQL, one executemany transaction on SQLite.

The ORM would spend minutes on half a million sensor rows; the DBAPI does it in seconds. Timestamps are written
as naive UTC text in SQLAlchemy's own SQLite format (PostgreSQL reads the same text in a UTC session), so rows
loaded here compare and read back exactly like rows the ORM writes later.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, func, insert, select, text

from gaveurs.db.models import Lot, PlantedTruthsRecord
from gaveurs.farm.generator import FarmData
from gaveurs.farm.tables import Table


class FarmNotEmpty(RuntimeError):
    """The database already holds lots: loading again would collide with their ids."""


@dataclass(frozen=True)
class LoadReport:
    rows: dict[str, int]
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def farm_is_empty(engine: Engine) -> bool:
    """True when no lot is stored (the schema must exist)."""
    with engine.connect() as connection:
        return not connection.scalar(select(func.count()).select_from(Lot))


def _values(column: Any) -> list[Any]:
    """Python scalars the drivers take as they are; dates and times as text, NaT as NULL."""
    if not isinstance(column, np.ndarray):
        return list(column)
    if np.issubdtype(column.dtype, np.datetime64):
        day = column.dtype == np.dtype("datetime64[D]")
        rendered = np.datetime_as_string(column, unit="D" if day else "us")
        return [None if v == "NaT" else v.replace("T", " ") for v in rendered.tolist()]
    values: list[Any] = column.tolist()
    return values


def _rows(table: Table) -> Iterator[tuple[Any, ...]]:
    return zip(*(_values(column) for column in table.data), strict=True)


def _copy_postgres(connection: Connection, data: FarmData) -> None:
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor:
        cursor.execute("SET LOCAL TIME ZONE 'UTC'")
        for table in data.tables:
            with cursor.copy(f"COPY {table.name} ({', '.join(table.columns)}) FROM STDIN") as copy:
                for row in _rows(table):
                    copy.write_row(row)
        # COPY bypasses the id sequences: move them past the loaded ids so ORM inserts don't collide.
        for table in data.tables:
            if "id" in table.columns:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE(MAX(id), 0) + 1, false) FROM {table.name}"
                )


def _insert_sqlite(connection: Connection, data: FarmData) -> None:
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        for table in data.tables:
            marks = ", ".join("?" for _ in table.columns)
            cursor.executemany(
                f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({marks})", _rows(table)
            )
    finally:
        cursor.close()


def load_farm(engine: Engine, data: FarmData) -> LoadReport:
    """Insert every table in foreign-key order in one transaction, then refresh planner statistics.

    The planted truths go along (table planted_truths), so a model run on this database can score itself.
    The schema must exist (gaveurs.db.migrate.upgrade); raises FarmNotEmpty if lots are already stored.
    """
    started = time.perf_counter()
    if not farm_is_empty(engine):
        raise FarmNotEmpty(f"{engine.url.render_as_string()} already holds lots; load into an empty database")
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            _copy_postgres(connection, data)
        else:
            _insert_sqlite(connection, data)
        connection.execute(
            insert(PlantedTruthsRecord).values(
                size=data.truths.size,
                seed=data.truths.seed,
                truths=data.truths.as_json(),
                loaded_at=datetime.now(UTC),
            )
        )
    with engine.begin() as connection:
        for table in data.tables:
            connection.execute(text(f"ANALYZE {table.name}"))
    return LoadReport(rows={t.name: len(t) for t in data.tables}, seconds=time.perf_counter() - started)
