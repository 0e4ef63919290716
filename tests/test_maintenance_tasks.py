"""The maintenance tasks through the API on the running stack (SQLite and PostgreSQL), judged by their effects:
rows refreshed, a backup that restores, expired files gone, KPIs stored, old samples deleted only once
aggregated, the health check's result readable.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, insert, select, text

from gaveurs.artifact_records import record_artifact
from gaveurs.artifacts import ArtifactStore
from gaveurs.catalogue import CATALOGUE
from gaveurs.db.models import (
    Artifact,
    HealthCheckRecord,
    Lot,
    SensorSample,
    SqalDailyAggregate,
    SqalHourlyAggregate,
    WeeklyKpi,
)
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm.generator import generate_farm
from gaveurs.maintenance.backup import restore_backup, verify_backup
from gaveurs.maintenance.weekly_kpis import previous_iso_week, week_bounds
from tests.fixtures_db import drop_postgres_database, make_postgres_database
from tests.fixtures_stack import Stack
from tests.waiting import wait_for_end

RETRAIN_ALL = "retrain_all_ml_models_async"


@pytest.fixture
def farm_db(stack: Stack) -> Iterator[Engine]:
    engine = make_engine(stack.database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def run(api: httpx.Client, route: str, timeout: float = 120.0, **params: Any) -> dict[str, Any]:
    """Start through a named route, wait for the end, return the result of a task that must succeed."""
    submitted = api.post(f"/api/tasks/maintenance/{route}", params=params)
    assert submitted.status_code == 200, submitted.text
    done = wait_for_end(api, submitted.json()["task_id"], timeout=timeout)
    assert done["status"] == "SUCCESS", done
    result: dict[str, Any] = done["result"]
    return result


def add_samples(
    engine: Engine, lot_id: int, device: str, stamps: list[datetime], scores: list[float]
) -> None:
    grades = {0.95: "A+", 0.85: "A", 0.7: "B", 0.55: "C"}
    with session_scope(engine) as session:
        session.execute(
            insert(SensorSample),
            [
                {
                    "lot_id": lot_id, "device_id": device, "horodatage": stamp, "tof_volume_mm3": 520_000.0,
                    "spectral_ratio": 1.0, "fusion_final_score": score,
                    "fusion_final_grade": next((g for floor, g in grades.items() if score >= floor), "REJECT"),
                }
                for stamp, score in zip(stamps, scores, strict=True)
            ],
        )  # fmt: skip


def hourly(engine: Engine, lot_id: int, device: str) -> dict[tuple[date, int], tuple[int, float]]:
    with session_scope(engine) as session:
        rows = session.scalars(
            select(SqalHourlyAggregate).where(
                SqalHourlyAggregate.lot_id == lot_id, SqalHourlyAggregate.device_id == device
            )
        )
        return {(r.day, r.hour): (r.sample_count, round(r.score_mean, 6)) for r in rows}


def first_lot(engine: Engine) -> int:
    with session_scope(engine) as session:
        lot_id = session.scalar(select(func.min(Lot.id)))
    assert lot_id is not None
    return int(lot_id)


def test_a_refresh_folds_new_samples_into_their_hour_and_day(api: httpx.Client, farm_db: Engine) -> None:
    run(api, "aggregates/refresh")  # whatever earlier tests added is folded in first
    lot_id, device = first_lot(farm_db), "SQAL-T-REFRESH"
    at = datetime(2026, 10, 15, 9, tzinfo=UTC)
    add_samples(
        farm_db, lot_id, device, [at + timedelta(minutes=m) for m in (1, 7, 30, 59)], [0.6, 0.7, 0.8, 0.9]
    )

    result = run(api, "aggregates/refresh")
    assert result["sqal_hourly_rows"] >= 1 and result["sqal_daily_rows"] >= 1 and not result["full"]
    with session_scope(farm_db) as session:
        newest = session.scalar(select(func.max(SensorSample.id)))
        daily = session.scalars(
            select(SqalDailyAggregate).where(
                SqalDailyAggregate.lot_id == lot_id, SqalDailyAggregate.device_id == device
            )
        ).one()
    assert result["watermarks"]["sensor_samples"] == newest
    (count, mean) = hourly(farm_db, lot_id, device)[at.date(), 9]
    assert (count, mean) == (4, 0.75)
    assert (daily.day, daily.sample_count, daily.grade_b, daily.grade_c) == (at.date(), 4, 2, 1)

    again = run(api, "aggregates/refresh")
    assert again["rows_refreshed"] == 0 and again["watermarks"] == result["watermarks"]


def table_counts(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return {
                table: int(connection.scalar(text(f"SELECT COUNT(*) FROM {table}")) or 0)
                for table in ("lots_gavage", "gavage_data_lots", "sensor_samples", "consumer_feedbacks")
            }
    finally:
        engine.dispose()


def test_a_backup_is_checksummed_verified_and_restores_the_farm(
    api: httpx.Client, stack: Stack, tmp_path: Path
) -> None:
    before = table_counts(stack.database_url)
    result = run(api, "backup", keep_daily=3)
    backup = Path(result["backup"]["path"])
    assert backup.parent == stack.root / "backups" and result["verified"]
    assert result["backend"] == ("sqlite" if stack.backend == "sqlite" else "postgresql")
    assert verify_backup(backup).sha256 == result["backup"]["sha256"]
    assert not list(backup.parent.glob(".tmp-*")), "no temporary file is left behind"

    if stack.backend == "sqlite":
        restore_backup(backup, f"sqlite:///{tmp_path / 'restored.db'}")
        assert table_counts(f"sqlite:///{tmp_path / 'restored.db'}") == before
    else:
        target = make_postgres_database()
        try:
            restore_backup(backup, target)
            assert table_counts(target) == before
        finally:
            drop_postgres_database(target)


def test_cleanup_removes_expired_exports_abandoned_temp_files_and_nothing_else(
    api: httpx.Client, stack: Stack, farm_db: Engine
) -> None:
    store = ArtifactStore(stack.root / "artifacts")
    now = datetime.now(UTC)
    paths = {"expired": "reports/test_cleanup_expired.pdf", "kept": "reports/test_cleanup_kept.pdf"}
    with session_scope(farm_db) as session:
        for name, path in paths.items():
            stored = store.write(path, f"%PDF {name}".encode())
            expires = now - timedelta(days=1) if name == "expired" else now + timedelta(days=10)
            record_artifact(
                session, stored, kind="lot_pdf_report", content_type="application/pdf", task_id=f"test-{name}",
                lot_id=None, created_at=now - timedelta(days=31), expires_at=expires,
            )  # fmt: skip
    abandoned = store.root / "reports" / ".tmp-test_cleanup-killed.pdf-a1"
    abandoned.write_bytes(b"half")
    stamp = (now - timedelta(days=3)).timestamp()
    os.utime(abandoned, (stamp, stamp))
    writing = store.root / "reports" / ".tmp-test_cleanup-writing.pdf-b2"
    writing.write_bytes(b"being written")

    result = run(api, "cleanup/tasks")
    assert result["artifacts_deleted"] >= 1 and result["bytes_freed"] >= len(b"%PDF expired")
    assert "reports/.tmp-test_cleanup-killed.pdf-a1" in result["abandoned_removed"]
    assert not store.resolve(paths["expired"]).exists() and store.resolve(paths["kept"]).exists()
    assert not abandoned.exists() and writing.exists()
    with session_scope(farm_db) as session:
        left = set(session.scalars(select(Artifact.path).where(Artifact.path.in_(paths.values()))))
    assert left == {paths["kept"]}
    assert api.get(f"/exports/{paths['expired']}").status_code in (404, 410)
    writing.unlink()


def lots_finishing_in(week: str) -> dict[str, int]:
    """Per site, the small farm's finished lots whose last feeding day falls in `week` (from the generator)."""
    monday, sunday = week_bounds(week)
    lots = generate_farm("small").table("lots_gavage")
    columns = ("site_code", "debut_gavage", "duree_gavage", "statut", "poids_foie_moyen_g")
    finished: dict[str, int] = {}
    for site, start, days, status, liver in zip(*(lots.values(c) for c in columns), strict=True):
        start = start if isinstance(start, date) else date.fromisoformat(str(start)[:10])
        last = start + timedelta(days=int(days) - 1)
        if status in ("termine", "abattu") and liver is not None and monday <= last <= sunday:
            finished[site] = finished.get(site, 0) + 1
    return finished


def test_weekly_kpis_of_a_week_are_stored_per_site_and_gaveur(api: httpx.Client, farm_db: Engine) -> None:
    week = "2026-W40"
    submitted = api.post("/api/tasks/maintenance/kpis/weekly", params={"iso_week": week}).json()
    assert submitted["iso_week"] == week and submitted["workflow_id"] == f"weekly-kpis-{week}"
    done = wait_for_end(api, submitted["task_id"])
    assert done["status"] == "SUCCESS", done
    result = done["result"]
    assert (result["iso_week"], result["week_start"], result["week_end"]) == (
        week,
        "2026-09-28",
        "2026-10-04",
    )
    sites = {row["site_code"]: row for row in result["sites"]}
    assert set(sites) == {"LL", "LS", "MT"} and result["gaveurs"]
    expected = lots_finishing_in(week)
    assert sum(expected.values()) > 0, "the small farm finishes lots every week"
    assert {site: row["lots_finished"] for site, row in sites.items() if row["lots_finished"]} == expected
    assert sum(row["lots_finished"] for row in result["gaveurs"]) == sum(expected.values())
    with session_scope(farm_db) as session:
        stored = {
            row.scope: row for row in session.scalars(select(WeeklyKpi).where(WeeklyKpi.iso_week == week))
        }
    assert len(stored) == len(result["sites"]) + len(result["gaveurs"]) == result["rows_upserted"]
    assert stored["site:LL"].lots_finished == sites["LL"]["lots_finished"]
    assert stored["site:LL"].mortality_pct == pytest.approx(sites["LL"]["mortality_pct"])


def test_without_a_week_the_previous_week_in_paris_is_computed(api: httpx.Client) -> None:
    before = previous_iso_week(datetime.now(UTC))
    submitted = api.post("/api/tasks/maintenance/kpis/weekly").json()
    assert submitted["iso_week"] is None and submitted["workflow_id"] == "weekly-kpis-last-week"
    done = wait_for_end(api, submitted["task_id"])
    assert done["status"] == "SUCCESS", done
    assert done["result"]["iso_week"] in {before, previous_iso_week(datetime.now(UTC))}

    refused = api.post("/api/tasks/maintenance/kpis/weekly", params={"iso_week": "2026-W54"})
    assert refused.status_code == 422
    assert (
        refused.json()["message"].startswith("iso_week:")
        and "2026 has no week 54" in refused.json()["message"]
    )


def test_old_samples_go_only_once_their_hours_are_aggregated(api: httpx.Client, farm_db: Engine) -> None:
    """Samples planted before the farm's first one (24 Jan 2024), so the farm's own data is not touched."""
    lot_id, device = first_lot(farm_db), "SQAL-T-RETAIN"
    folded = [datetime(2024, 1, 2, 10, minute, tzinfo=UTC) for minute in (0, 10, 20, 30)]
    add_samples(farm_db, lot_id, device, folded, [0.9, 0.8, 0.7, 0.6])
    run(api, "aggregates/refresh")
    late = [datetime(2024, 1, 3, 8, minute, tzinfo=UTC) for minute in (5, 15, 25)]
    add_samples(farm_db, lot_id, device, late, [0.5, 0.5, 0.8])  # arrived after that refresh
    # The cutoff is the start of 5 Jan 2024 (UTC): everything planted is past retention.
    retention_days = (datetime.now(UTC).date() - date(2024, 1, 5)).days

    def planted() -> list[datetime]:
        with session_scope(farm_db) as session:
            stamps = session.scalars(
                select(SensorSample.horodatage)
                .where(SensorSample.device_id == device)
                .order_by(SensorSample.id)
            )
            return [stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp for stamp in stamps]

    first = run(api, "cleanup/sensor-data", retention_days=retention_days, batch_size=2)
    assert (
        first["deleted"] == 4
        and first["kept_unaggregated"] == 3
        and first["retention_days"] == retention_days
    )
    assert planted() == late, "only the samples the aggregates already count were deleted"
    assert hourly(farm_db, lot_id, device) == {(date(2024, 1, 2), 10): (4, 0.75)}

    run(api, "aggregates/refresh")  # folds the late ones into their (sealed) hour
    second = run(api, "cleanup/sensor-data", retention_days=retention_days)
    assert (second["deleted"], second["kept_unaggregated"]) == (3, 0) and planted() == []
    assert hourly(farm_db, lot_id, device) == {
        (date(2024, 1, 2), 10): (4, 0.75),
        (date(2024, 1, 3), 8): (3, 0.6),
    }


def test_the_last_health_check_is_stored_and_readable_from_the_api(
    api: httpx.Client, farm_db: Engine
) -> None:
    submitted = api.post("/api/tasks/system/health-check").json()
    done = wait_for_end(api, submitted["task_id"], timeout=60)
    assert done["status"] == "SUCCESS", done
    last = api.get("/api/tasks/system/health/last")
    assert last.status_code == 200, last.text
    body = last.json()
    assert body["task_id"] == submitted["task_id"] and body["status"] == done["result"]["status"] == "healthy"
    assert body["checks"] == done["result"]["checks"] and body["checked_at"] == done["result"]["checked_at"]
    with session_scope(farm_db) as session:
        row = session.scalars(
            select(HealthCheckRecord).where(HealthCheckRecord.run_id == submitted["run_id"])
        ).one()
    assert row.status == "healthy" and row.workflow_id == submitted["workflow_id"]


def test_the_monthly_retraining_runs_retrain_all_as_its_child(api: httpx.Client, stack: Stack) -> None:
    submitted = api.post("/api/tasks/maintenance/ml/retrain-monthly").json()
    done = wait_for_end(api, submitted["task_id"], timeout=900)
    assert done["status"] == "SUCCESS", done
    result = done["result"]
    child = wait_for_end(api, result["child_task_id"], timeout=10)
    assert child["status"] == "SUCCESS" and child["task_name"] == RETRAIN_ALL
    assert child["queue"] == CATALOGUE[RETRAIN_ALL].queue.value and result["retrain"] == child["result"]

    async def parent_of_child() -> str:
        client = await stack.client()
        described = await client.get_workflow_handle(child["workflow_id"], run_id=child["run_id"]).describe()
        return described.raw_description.workflow_execution_info.parent_execution.workflow_id

    assert asyncio.run(parent_of_child()) == submitted["workflow_id"]
