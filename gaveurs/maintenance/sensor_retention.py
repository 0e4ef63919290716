"""cleanup_old_sensor_data: delete raw SQAL samples past retention, only once they are in the aggregates.

A sample may go when (1) it is older than the cutoff (the start of a UTC day), (2) its id is at or below the SQAL watermark, so the
refresh that built its bucket counted it, and (3) its hourly and daily buckets exist. A late sample that
arrived in an old hour after that hour was aggregated fails (2) and stays until the next refresh folds it in;
an old sample whose bucket was never aggregated fails (3). Both are reported as `kept_unaggregated`.

Before deleting, the cleanup seals the days before the cutoff (see aggregates): a refresh then adds late rows
to those buckets instead of recomputing them from the raw rows deleted here.

Deletes run in batches of ids, one short transaction each, so the table is never locked for long, a crash
loses at most one batch of work, and a retry simply continues (it is idempotent).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, bindparam, text

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


def _candidates_sql(day: str, hour: str) -> str:
    return f"""
        SELECT s.id FROM sensor_samples s
        WHERE s.id > :after AND s.id <= :watermark AND s.horodatage < :cutoff
          AND EXISTS (SELECT 1 FROM sqal_hourly_aggregates h
                      WHERE h.day = {day} AND h.hour = {hour} AND h.lot_id = s.lot_id
                        AND h.device_id = s.device_id)
          AND EXISTS (SELECT 1 FROM sqal_daily_aggregates d
                      WHERE d.day = {day} AND d.lot_id = s.lot_id AND d.device_id = s.device_id)
        ORDER BY s.id
        LIMIT :batch"""


def cleanup_old_sensor_data(
    engine: Engine,
    *,
    retention_days: int,
    batch_size: int = 5000,
    now: datetime | None = None,
    on_progress: ProgressCallback = no_progress,
) -> CleanupSensorDataResult:
    """Delete aggregated raw samples older than `retention_days`, `batch_size` rows per transaction.

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
        sql = dialect_of(connection)
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
    select_ids = text(
        _candidates_sql(sql.of(sql.day, "s.horodatage"), sql.of(sql.hour, "s.horodatage"))
    ).bindparams(stamp("cutoff"))
    delete = text("DELETE FROM sensor_samples WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
    on_progress(0, f"{old} échantillons SQAL antérieurs au {cutoff:%d/%m/%Y}")
    deleted = batches = 0
    after = 0
    while True:
        with engine.begin() as connection:
            ids = list(
                connection.scalars(
                    select_ids,
                    {"after": after, "watermark": watermark, "cutoff": cutoff, "batch": batch_size},
                )
            )
            if not ids:
                break
            connection.execute(delete, {"ids": ids})
        deleted += len(ids)
        batches += 1
        after = ids[-1]
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
