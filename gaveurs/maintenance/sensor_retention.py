"""cleanup_old_sensor_data: delete raw SQAL samples past retention, only once they are in the aggregates.

A sample may go when (1) it is older than the cutoff (the start of a UTC day), (2) its id is at or below the
SQAL watermark, so the refresh that built its bucket counted it, and (3) its hourly and daily buckets exist.
A late sample that arrived in an old hour after that hour was aggregated fails (2) and stays until the next
refresh folds it in; an old sample whose bucket was never aggregated fails (3). Both are reported as
`kept_unaggregated`.

Before deleting, the cleanup seals the days before the cutoff (see aggregates): a refresh then adds late rows
to those buckets instead of recomputing them from the raw rows deleted here.

The work goes bucket by bucket: one GROUP BY over the old raw rows lists the aggregated hours that still have
some, then each batch deletes whole hours through the (lot_id, horodatage) index, in its own short
transaction, until about `batch_size` rows (an hour is never split, so a batch may exceed it by one hour's
samples). A crash loses at most one batch of work and a retry simply continues: it is idempotent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, text

from gaveurs.contracts.maintenance import CleanupSensorDataResult
from gaveurs.maintenance._sql import (
    ProgressCallback,
    dialect_of,
    no_progress,
    stamp,
    take_maintenance_lock,
    utc,
)
from gaveurs.maintenance.aggregates import read_watermarks, seal_days_before

_HOURS = Table(
    "tmp_cleanup_hours",
    MetaData(),
    Column("lot_id", Integer),
    Column("device_id", String(16)),
    Column("starts", DateTime(timezone=True)),
    Column("ends", DateTime(timezone=True)),
    prefixes=["TEMPORARY"],
)


@dataclass(frozen=True)
class _Hour:
    lot_id: int
    device_id: str
    starts: datetime
    samples: int


def _aggregated_hours(engine: Engine, cutoff: datetime, watermark: int) -> list[_Hour]:
    """Hours before the cutoff that still have raw rows folded in (id <= watermark) and are aggregated."""
    with engine.connect() as connection:
        sql = dialect_of(connection)
        day, hour = sql.of(sql.day, "s.horodatage"), sql.of(sql.hour, "s.horodatage")
        rows = connection.execute(
            text(f"""
                SELECT b.day, b.hour, b.lot_id, b.device_id, b.samples FROM (
                    SELECT {day} AS day, {hour} AS hour, s.lot_id, s.device_id, COUNT(*) AS samples
                    FROM sensor_samples s WHERE s.horodatage < :cutoff AND s.id <= :watermark
                    GROUP BY {day}, {hour}, s.lot_id, s.device_id) b
                JOIN sqal_hourly_aggregates h ON h.day = b.day AND h.hour = b.hour AND h.lot_id = b.lot_id
                     AND h.device_id = b.device_id
                JOIN sqal_daily_aggregates d ON d.day = b.day AND d.lot_id = b.lot_id AND d.device_id = b.device_id
                ORDER BY b.day, b.hour, b.lot_id, b.device_id""").bindparams(stamp("cutoff")),
            {"cutoff": cutoff, "watermark": watermark},
        ).all()
    return [
        _Hour(
            lot_id=int(lot_id),
            device_id=str(device_id),
            starts=datetime.combine(
                on if isinstance(on, date) else date.fromisoformat(on), datetime.min.time(), UTC
            )
            + timedelta(hours=int(at)),
            samples=int(samples),
        )
        for on, at, lot_id, device_id, samples in rows
    ]


def _batches(hours: list[_Hour], batch_size: int) -> Iterator[list[_Hour]]:
    batch: list[_Hour] = []
    rows = 0
    for hour in hours:
        if batch and rows + hour.samples > batch_size:
            yield batch
            batch, rows = [], 0
        batch.append(hour)
        rows += hour.samples
    if batch:
        yield batch


def _delete_hours(engine: Engine, hours: list[_Hour], watermark: int) -> int:
    with engine.begin() as connection:
        _HOURS.drop(connection, checkfirst=True)
        _HOURS.create(connection)
        connection.execute(
            _HOURS.insert(),
            [
                {
                    "lot_id": h.lot_id,
                    "device_id": h.device_id,
                    "starts": h.starts,
                    "ends": h.starts + timedelta(hours=1),
                }
                for h in hours
            ],
        )
        if connection.dialect.name == "postgresql":
            # Row counts for the planner: with them it probes the (lot_id, horodatage) index per hour.
            connection.execute(text("ANALYZE tmp_cleanup_hours"))
        deleted = connection.execute(
            text("""
                DELETE FROM sensor_samples WHERE id IN (
                    SELECT s.id FROM tmp_cleanup_hours b
                    JOIN sensor_samples s ON s.lot_id = b.lot_id AND s.horodatage >= b.starts
                         AND s.horodatage < b.ends AND s.device_id = b.device_id
                    WHERE s.id <= :watermark)"""),
            {"watermark": watermark},
        ).rowcount
        _HOURS.drop(connection)
    return int(deleted)


def cleanup_old_sensor_data(
    engine: Engine,
    *,
    retention_days: int,
    batch_size: int = 5000,
    now: datetime | None = None,
    on_progress: ProgressCallback = no_progress,
) -> CleanupSensorDataResult:
    """Delete aggregated raw samples older than `retention_days`, about `batch_size` rows per transaction.

    Returns how many went and how many old samples were kept because no aggregate covers them yet.
    """
    if retention_days < 1 or batch_size < 1:
        raise ValueError("retention_days and batch_size must be at least 1")
    started = time.perf_counter()
    # Whole UTC days, so an hourly bucket is never left half deleted.
    cutoff_day = (utc(now or datetime.now(UTC)) - timedelta(days=retention_days)).date()
    cutoff = datetime.combine(cutoff_day, datetime.min.time(), UTC)
    with engine.begin() as connection:
        # Seal the days first, under the refresh's lock: from now on a refresh adds to their buckets instead
        # of recomputing them from raw rows this cleanup is about to delete.
        take_maintenance_lock(connection)
        watermark = read_watermarks(connection)["sensor_samples"].last_id
        if watermark:
            seal_days_before(connection, "sensor_samples", cutoff_day)
        old = int(
            connection.scalar(
                text("SELECT COUNT(*) FROM sensor_samples WHERE horodatage < :cutoff").bindparams(
                    stamp("cutoff")
                ),
                {"cutoff": cutoff},
            )
            or 0
        )
    on_progress(0, f"{old} échantillons SQAL antérieurs au {cutoff:%d/%m/%Y}")
    hours = _aggregated_hours(engine, cutoff, watermark) if watermark else []
    deleted = batches = 0
    for batch in _batches(hours, batch_size):
        deleted += _delete_hours(engine, batch, watermark)
        batches += 1
        on_progress(min(99, deleted * 100 // max(old, 1)), f"{deleted} échantillons supprimés")
    on_progress(100, "nettoyage terminé")
    return CleanupSensorDataResult(
        cutoff=cutoff,
        retention_days=retention_days,
        deleted=deleted,
        kept_unaggregated=old - deleted,
        batches=batches,
        duration_s=round(time.perf_counter() - started, 3),
    )
