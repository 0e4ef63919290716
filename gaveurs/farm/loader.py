"""Bulk-load generated farm data: COPY on PostgreSQL, one executemany transaction on SQLite.

The ORM would spend minutes on half a million sensor rows; the DBAPI does it in seconds. Timestamps are written
as naive UTC text (PostgreSQL reads them in a UTC session), which is also the form SQLAlchemy uses on SQLite.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select, text

from gaveurs.db.models import Lot
from gaveurs.farm.generator import FarmData
from gaveurs.farm.tables import Table


@dataclass(frozen=True)
class LoadReport:
    rows: dict[str, int]
    seconds: float


def farm_is_empty(engine: Engine) -> bool:
    with engine.connect() as connection:
        return not connection.scalar(select(func.count()).select_from(Lot))


def _as_text(column: Any) -> Any:
    """Dates and times as text both drivers store faithfully; everything else as Python scalars."""
    if isinstance(column, np.ndarray):
        if np.issubdtype(column.dtype, np.datetime64):
            unit = "D" if column.dtype == np.dtype("datetime64[D]") else "us"
            values = np.datetime_as_string(column, unit=unit)  # type: ignore[call-overload]
            return [None if v == "NaT" else v.replace("T", " ") for v in values.tolist()]
        return column.tolist()
    return [v.isoformat() if isinstance(v, date) else v for v in column]


def _rows(table: Table) -> Iterator[tuple[Any, ...]]:
    return zip(*(_as_text(column) for column in table.data), strict=True)


def load_farm(engine: Engine, data: FarmData) -> LoadReport:
    """Insert every table in foreign-key order, in one transaction. The schema must exist (Alembic)."""
    started = time.perf_counter()
    with engine.begin() as connection:
        dbapi = connection.connection.driver_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")
            for table in data.tables:
                columns = ", ".join(table.columns)
                with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                    for row in _rows(table):
                        copy.write_row(row)
            for table in data.tables:
                if "id" in table.columns and table.name != "sites":
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT MAX(id) FROM {table.name}))"
                        )
                    )
        else:
            for table in data.tables:
                marks = ", ".join("?" for _ in table.columns)
                cursor.executemany(
                    f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({marks})", _rows(table)
                )
        cursor.close()
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    return LoadReport(rows={t.name: len(t) for t in data.tables}, seconds=time.perf_counter() - started)
