"""SQL fragments that differ between SQLite and PostgreSQL, and small helpers the maintenance modules share.

Timestamps are stored as UTC on both backends: SQLite keeps naive text (`2026-03-02 07:12:33.000000`,
SQLAlchemy's format), PostgreSQL `timestamptz`. Buckets are therefore UTC days and hours.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BindParameter, Connection, Date, DateTime, bindparam, text

ProgressCallback = Callable[[int, str], None]


def no_progress(_percent: int, _stage: str) -> None:
    """The default progress callback: the caller does not watch."""


@dataclass(frozen=True)
class Dialect:
    """Expressions over a timestamp column `{c}`, rendered for one backend."""

    name: str
    day: str  # UTC date
    hour: str  # UTC hour 0–23
    hour_start: str  # first instant of the UTC hour, comparable with the column
    hour_end: str

    def of(self, fragment: str, column: str) -> str:
        return fragment.format(c=column)


_SQLITE = Dialect(
    name="sqlite",
    day="date({c})",
    hour="CAST(strftime('%H', {c}) AS INTEGER)",
    # Same text layout as SQLAlchemy's stored stamps, so the comparisons are plain string comparisons.
    hour_start="strftime('%Y-%m-%d %H:00:00.000000', {c})",
    hour_end="strftime('%Y-%m-%d %H:00:00.000000', {c}, '+1 hour')",
)
_POSTGRESQL = Dialect(
    name="postgresql",
    day="CAST(({c} AT TIME ZONE 'UTC') AS DATE)",
    hour="CAST(EXTRACT(HOUR FROM ({c} AT TIME ZONE 'UTC')) AS INTEGER)",
    hour_start="(date_trunc('hour', {c} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')",
    hour_end="(date_trunc('hour', {c} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + INTERVAL '1 hour')",
)


def dialect_of(connection: Connection) -> Dialect:
    name = connection.dialect.name
    if name == "sqlite":
        return _SQLITE
    if name == "postgresql":
        return _POSTGRESQL
    raise NotImplementedError(f"maintenance SQL is written for SQLite and PostgreSQL, not {name}")


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime (naive input is taken as UTC), since SQLite stores the wall clock it is given."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def stamp(name: str) -> BindParameter[datetime]:
    """A timestamp parameter of a text() statement, written in the column's own format on SQLite.

    Without the type, sqlite3 would store `2026-01-05 03:00:00+00:00`, which neither sorts nor parses like
    SQLAlchemy's stored stamps. Pass UTC values (see `utc`).
    """
    return bindparam(name, type_=DateTime(timezone=True))


def day_param(name: str) -> BindParameter[date]:
    """A date parameter of a text() statement (`2026-11-02` on SQLite, as the Date columns store it)."""
    return bindparam(name, type_=Date())


def recreate_temp_table(
    connection: Connection,
    name: str,
    select_sql: str,
    params: Mapping[str, object] | None = None,
    *binds: BindParameter[Any],
) -> None:
    """`CREATE TEMPORARY TABLE name AS select` on both backends, replacing a leftover of an earlier run.

    SQLite keeps temporary tables for the life of the (pooled) connection, hence the DROP first.
    """
    # Only the parameters this SELECT names: callers share one parameter set between related statements.
    statement = text(f"CREATE TEMPORARY TABLE {name} AS {select_sql}")
    statement = statement.bindparams(*(bind for bind in binds if f":{bind.key}" in select_sql))
    connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
    connection.execute(statement, {k: v for k, v in (params or {}).items() if f":{k}" in select_sql})


def take_maintenance_lock(connection: Connection) -> None:
    """Serialise the aggregate refresh and the sensor cleanup; call first in their write transactions.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: BEGIN IMMEDIATE takes the write lock now, so
    every read of the transaction sees one state (pysqlite would otherwise begin only at the first write).
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('gaveurs.maintenance.aggregates'))"))
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def drop_temp_tables(connection: Connection, *names: str) -> None:
    for name in names:
        connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
