"""`python -m bench.bench_maintenance`: each scheduled maintenance job on the demo farm, beside the seed's figures.

Loads the demo farm into a temporary SQLite file and a fresh PostgreSQL database (created on the server at
TEST_POSTGRES_ADMIN_URL or --postgres-admin-url, dropped afterwards), adds a realistic backlog of task records
and expired exports, then times each plain function once, in the order the schedules would run them. The
jobs change the data, so each figure is a single run. Nothing here asserts: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, insert
from sqlalchemy.engine import make_url

from gaveurs.artifact_records import record_artifact
from gaveurs.artifacts import ArtifactStore
from gaveurs.db.migrate import upgrade
from gaveurs.db.models import HealthCheckRecord, MlResult, OutboundMessage, SensorSample
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm.generator import FarmData, generate_farm
from gaveurs.farm.loader import load_farm
from gaveurs.farm.truths import TODAY
from gaveurs.maintenance.aggregates import refresh_continuous_aggregates
from gaveurs.maintenance.backup import backup_database
from gaveurs.maintenance.sensor_retention import cleanup_old_sensor_data
from gaveurs.maintenance.task_cleanup import Retention, cleanup_old_task_records
from gaveurs.maintenance.weekly_kpis import calculate_weekly_kpis, previous_iso_week

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
NOW = datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(days=1, hours=3)  # Monday 2 Nov 2026
SEED = {  # the Celery guide's durations
    "refresh_continuous_aggregates (first build)": "2–5 min",
    "refresh_continuous_aggregates (one new day)": "2–5 min",
    "refresh_continuous_aggregates (nothing new)": "2–5 min",
    "backup_database_task (dump + verify)": "5–10 min",
    "cleanup_old_celery_tasks": "1–3 min",
    "calculate_weekly_kpis (last week)": "5–30 min",
    "calculate_weekly_kpis (every week since 2024)": "—",
    "cleanup_old_sensor_data (365 days kept)": "2–5 min",
}


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def add_backlog(engine: Engine, store: ArtifactStore) -> None:
    """Expired exports on disk, a year and a half of ML history, SMS ledger and health checks."""
    old = NOW - timedelta(days=500)
    with session_scope(engine) as session:
        for i in range(500):
            stored = store.write(f"reports/bench/lot-{i}.pdf", b"%PDF-1.4 " + bytes(20_000))
            record_artifact(
                session, stored, kind="lot_pdf", content_type="application/pdf", task_id=f"bench-{i}",
                lot_id=None, created_at=old, expires_at=NOW - timedelta(days=1 + i % 30),
            )  # fmt: skip
        session.execute(
            insert(MlResult),
            [
                {
                    "task_name": "train_pysr_async",
                    "workflow_id": f"bench-{i}",
                    "run_id": "r",
                    "lot_id": 3301 + i % 2000,
                    "site_code": None,
                    "engine": "pyoperon",
                    "summary": "f",
                    "metrics": {},
                    "payload": {},
                    "created_at": NOW - timedelta(days=i % 540),
                }
                for i in range(5000)
            ],
        )
        session.execute(
            insert(OutboundMessage),
            [
                {
                    "idempotency_key": f"bench-{i}",
                    "channel": "sms",
                    "recipient": "+33612345678",
                    "body_sha256": "0" * 64,
                    "state": "sent",
                    "provider_id": f"SM{i:032x}",
                    "reserved_at": NOW - timedelta(hours=i),
                    "sent_at": None,
                }
                for i in range(20_000)
            ],
        )
        session.execute(
            insert(HealthCheckRecord),
            [
                {
                    "workflow_id": f"bench-{i}",
                    "run_id": "r",
                    "status": "healthy",
                    "checked_at": NOW - timedelta(hours=6 * i),
                    "result": {},
                }
                for i in range(1500)
            ],
        )


def add_one_day_of_samples(engine: Engine) -> None:
    """A day of the SQAL line (about 600 livers) after the first refresh, as the hourly runs would see."""
    with session_scope(engine) as session:
        session.execute(
            insert(SensorSample),
            [
                {
                    "lot_id": 3301 + i % 40,
                    "device_id": f"SQAL-LL-0{1 + i % 2}",
                    "horodatage": NOW - timedelta(hours=20) + timedelta(seconds=50 * i),
                    "tof_volume_mm3": 520_000.0,
                    "spectral_ratio": 1.0,
                    "fusion_final_score": 0.5 + (i % 50) / 100,
                    "fusion_final_grade": "A" if i % 3 else "B",
                }
                for i in range(600)
            ],
        )


def timed(job: Callable[[], Any]) -> float:
    started = time.perf_counter()
    job()
    return time.perf_counter() - started


def run_jobs(url: str, farm: FarmData, root: Path) -> dict[str, float]:
    upgrade(url)
    engine = make_engine(url)
    store = ArtifactStore(root / "artifacts")
    try:
        load_farm(engine, farm)
        add_backlog(engine, store)
        figures = {
            "refresh_continuous_aggregates (first build)": timed(
                lambda: refresh_continuous_aggregates(engine, now=NOW)
            )
        }
        add_one_day_of_samples(engine)
        figures["refresh_continuous_aggregates (one new day)"] = timed(
            lambda: refresh_continuous_aggregates(engine, now=NOW)
        )
        figures["refresh_continuous_aggregates (nothing new)"] = timed(
            lambda: refresh_continuous_aggregates(engine, now=NOW)
        )
        figures["backup_database_task (dump + verify)"] = timed(
            lambda: backup_database(url, root / "backups", keep_daily=7, now=NOW)
        )
        retention = Retention(ml_results_days=365, outbound_messages_days=90, health_results_days=30)
        figures["cleanup_old_celery_tasks"] = timed(
            lambda: cleanup_old_task_records(engine, store, retention, now=NOW)
        )
        figures["calculate_weekly_kpis (last week)"] = timed(
            lambda: calculate_weekly_kpis(engine, previous_iso_week(NOW), now=NOW)
        )

        def every_week() -> None:
            day = farm.truths.today - timedelta(days=7)
            first = datetime(2024, 1, 8, tzinfo=UTC).date()
            while day >= first:
                year, week, _ = day.isocalendar()
                calculate_weekly_kpis(engine, f"{year}-W{week:02d}", refresh_aggregates=False, now=NOW)
                day -= timedelta(days=7)

        figures["calculate_weekly_kpis (every week since 2024)"] = timed(every_week)
        figures["cleanup_old_sensor_data (365 days kept)"] = timed(
            lambda: cleanup_old_sensor_data(engine, retention_days=365, batch_size=5000, now=NOW)
        )
        return figures
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_maintenance", description=__doc__)
    parser.add_argument("--size", choices=["demo", "small"], default="demo")
    parser.add_argument(
        "--postgres-admin-url", default=os.environ.get("TEST_POSTGRES_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()

    farm = generate_farm(args.size)
    counts = farm.truths.counts
    print(
        f"{args.size} farm: {counts['lots_gavage']:,} lots, {counts['sensor_samples']:,} SQAL samples, "
        f"{counts['gavage_data_lots']:,} feeding rows; backlog: 500 expired PDFs, 5,000 ML results, "
        "20,000 SMS ledger rows, 1,500 health checks"
    )
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="gaveurs-bench-") as tmp:
        results["SQLite"] = run_jobs(f"sqlite:///{Path(tmp) / 'farm.db'}", farm, Path(tmp) / "sqlite")
    if not args.skip_postgres:
        name = f"gaveurs_bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_libpq(args.postgres_admin_url), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = make_url(args.postgres_admin_url).set(database=name).render_as_string(hide_password=False)
            with tempfile.TemporaryDirectory(prefix="gaveurs-bench-") as tmp:
                results["PostgreSQL"] = run_jobs(url, farm, Path(tmp))
        finally:
            with psycopg.connect(_libpq(args.postgres_admin_url), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    backends = list(results)
    print(f"\n| job | {' | '.join(backends)} | seed's Celery figure |")
    print(f"| --- | {' | '.join('---' for _ in backends)} | --- |")
    for job, seed in SEED.items():
        cells = " | ".join(f"{results[b][job]:.2f} s" for b in backends)
        print(f"| {job} | {cells} | {seed} |")


if __name__ == "__main__":
    main()
