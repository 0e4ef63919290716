"""refresh_continuous_aggregates: SQAL samples per hour and per day, feeding data per lot and day.

The aggregates are tables on both backends rather than PostgreSQL materialized views: `REFRESH MATERIALIZED
VIEW` recomputes the whole view every hour (plain PostgreSQL has no incremental refresh), and a view over
`sensor_samples` would lose its history when cleanup_old_sensor_data deletes old raw samples, while these
tables keep it. One code path also serves SQLite.

Incremental refresh: a watermark per source table holds the highest row id already folded in. A refresh
takes the rows above it, finds the buckets they touch (UTC hour × lot × device for SQAL, lot × UTC day for
feeding), and recomputes exactly those buckets from their raw rows. Days whose raw samples retention has
started deleting are *sealed* (`sealed_before`, set by the sensor cleanup): their hourly buckets cannot be
recomputed, so new rows landing there are added to what the bucket holds. Daily SQAL rows of the touched
days are summed from the hourly rows, which are never deleted. Everything, watermarks included, commits in
one transaction: a retry after a failure redoes the same work, a retry after success finds nothing new, and
each bucket always equals the aggregate of all its rows up to the watermark, deleted ones included.

Raw rows are append-only for this purpose: a correction made by UPDATE to a row already folded in is seen
only by a `full=True` refresh, which recomputes every bucket of the unsealed days.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Engine, text

from gaveurs.contracts.maintenance import RefreshAggregatesResult
from gaveurs.maintenance._sqal_refresh import TEMP_TABLES, SqalWork, refresh_sqal
from gaveurs.maintenance._sql import (
    Dialect,
    ProgressCallback,
    day_param,
    dialect_of,
    drop_temp_tables,
    no_progress,
    recreate_temp_table,
    stamp,
    take_maintenance_lock,
    utc,
)

SOURCES = ("sensor_samples", "gavage_data_lots")


@dataclass(frozen=True)
class Watermark:
    last_id: int
    sealed_before: date | None


def read_watermarks(connection: Connection) -> dict[str, Watermark]:
    rows = connection.execute(text("SELECT source, last_id, sealed_before FROM aggregate_watermarks")).all()
    found = {
        str(source): Watermark(
            int(last_id), sealed if sealed is None or isinstance(sealed, date) else date.fromisoformat(sealed)
        )
        for source, last_id, sealed in rows
    }
    return {source: found.get(source, Watermark(0, None)) for source in SOURCES}


def _settled_max_ids(engine: Engine) -> dict[str, int]:
    """The highest id of each source below which every row is committed.

    PostgreSQL hands out ids before commit, so id 101 can be visible while id 100 is still in flight; a SHARE
    lock waits for every transaction that is writing to the table, and the max read under it is settled.
    The lock is held for two index lookups only. SQLite has a single writer: its max is settled already.
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL lock_timeout = '60s'"))
            connection.execute(text(f"LOCK TABLE {', '.join(SOURCES)} IN SHARE MODE"))
        return {
            source: int(connection.scalar(text(f"SELECT COALESCE(MAX(id), 0) FROM {source}")) or 0)
            for source in SOURCES
        }


def _refresh_gavage(connection: Connection, sql: Dialect, after: int, upto: int, recompute_all: bool) -> int:
    """Recompute the (lot, day) feeding rows touched by ids in (after, upto]; all of them if asked."""
    day = sql.of(sql.day, "g.horodatage")
    aggregates = f"""
        SELECT g.lot_id, {day} AS day, l.site_code, MAX(g.jour_gavage) AS jour_gavage, COUNT(*) AS meals,
               SUM(g.dose_moyenne_g) AS dose_total_g, AVG(g.dose_moyenne_g) AS dose_mean_g,
               AVG(g.poids_moyen_g) AS weight_mean_g, AVG(g.temperature_stabule_c) AS temperature_mean_c,
               AVG(g.humidite_stabule_pct) AS humidity_mean_pct
        FROM gavage_data_lots g JOIN lots_gavage l ON l.id = g.lot_id"""
    params = {"after": after, "upto": upto}
    if recompute_all:
        source = f"{aggregates} WHERE g.id <= :upto GROUP BY g.lot_id, {day}, l.site_code"
    else:
        recreate_temp_table(
            connection,
            "tmp_gavage_days",
            f"SELECT DISTINCT g.lot_id, {day} AS day FROM gavage_data_lots g WHERE g.id > :after AND g.id <= :upto",
            params,
        )
        source = f"""{aggregates} JOIN tmp_gavage_days t ON t.lot_id = g.lot_id AND t.day = {day}
                     WHERE g.id <= :upto GROUP BY g.lot_id, {day}, l.site_code"""
    recreate_temp_table(connection, "tmp_gavage_daily", source, params)
    connection.execute(
        text(
            "DELETE FROM gavage_daily_aggregates WHERE (lot_id, day) IN (SELECT lot_id, day FROM tmp_gavage_daily)"
        )
    )
    columns = (
        "lot_id, day, site_code, jour_gavage, meals, dose_total_g, dose_mean_g, weight_mean_g, "
        "temperature_mean_c, humidity_mean_pct"
    )
    return int(
        connection.execute(
            text(f"INSERT INTO gavage_daily_aggregates ({columns}) SELECT {columns} FROM tmp_gavage_daily")
        ).rowcount
    )


def store_watermark(connection: Connection, source: str, *, last_id: int, now: datetime) -> None:
    """Raise the watermark of `source` (never moves back: a lower one would only redo work)."""
    values = {"source": source, "last_id": last_id, "now": utc(now)}
    updated = connection.execute(
        text("""UPDATE aggregate_watermarks
                SET last_id = CASE WHEN last_id > :last_id THEN last_id ELSE :last_id END, refreshed_at = :now
                WHERE source = :source""").bindparams(stamp("now")),
        values,
    ).rowcount
    if not updated:
        connection.execute(
            text("""INSERT INTO aggregate_watermarks (source, last_id, refreshed_at)
                    VALUES (:source, :last_id, :now)""").bindparams(stamp("now")),
            values,
        )


def seal_days_before(connection: Connection, source: str, day: date) -> None:
    """Mark the days before `day` as losing raw rows (the boundary only moves forward)."""
    connection.execute(
        text("""UPDATE aggregate_watermarks SET sealed_before = :day
                WHERE source = :source AND (sealed_before IS NULL OR sealed_before < :day)""").bindparams(
            day_param("day")
        ),
        {"source": source, "day": day},
    )


def refresh_continuous_aggregates(
    engine: Engine,
    *,
    full: bool = False,
    now: datetime | None = None,
    on_progress: ProgressCallback = no_progress,
) -> RefreshAggregatesResult:
    """Fold the raw rows added since the last refresh into the aggregate tables; see the module docstring.

    Idempotent: run twice, the second run refreshes 0 rows. Database errors propagate (a retry is safe).
    """
    started = time.perf_counter()
    now = utc(now or datetime.now(UTC))
    on_progress(5, "lecture des filigranes")
    settled = _settled_max_ids(engine)
    hourly = daily = gavage = 0
    with engine.begin() as connection:
        take_maintenance_lock(connection)
        sql = dialect_of(connection)
        marks = read_watermarks(connection)
        sqal, feeding = marks["sensor_samples"], marks["gavage_data_lots"]
        if settled["sensor_samples"] > sqal.last_id or full:
            on_progress(20, "agrégats SQAL horaires et journaliers")
            # Nothing folded in yet: one GROUP BY over the table beats probing bucket by bucket.
            work = SqalWork(
                sqal.last_id, settled["sensor_samples"], full or sqal.last_id == 0, sqal.sealed_before
            )
            hourly, daily = refresh_sqal(connection, sql, work)
        if settled["gavage_data_lots"] > feeding.last_id or full:
            on_progress(70, "agrégats de gavage journaliers")
            gavage = _refresh_gavage(
                connection, sql, feeding.last_id, settled["gavage_data_lots"], full or feeding.last_id == 0
            )
        # On failure the rollback removes the temporary tables with everything else.
        drop_temp_tables(connection, *TEMP_TABLES, "tmp_gavage_days", "tmp_gavage_daily")
        for source in SOURCES:
            store_watermark(connection, source, last_id=max(settled[source], marks[source].last_id), now=now)
        watermarks = {source: mark.last_id for source, mark in read_watermarks(connection).items()}
    on_progress(100, "agrégats à jour")
    return RefreshAggregatesResult(
        full=full,
        sqal_hourly_rows=hourly,
        sqal_daily_rows=daily,
        gavage_daily_rows=gavage,
        rows_refreshed=hourly + daily + gavage,
        watermarks=watermarks,
        duration_s=round(time.perf_counter() - started, 3),
        refreshed_at=now,
    )
