"""`python -m bench.bench_maintenance_api`: the maintenance tasks end to end on the demo farm, through the API.

Starts its own Temporal dev server, the `default` queue's worker as production runs it (`python -m workers
default`: its own process, no preloaded fork server) and the API, on free ports under a temporary directory,
loads the demo farm into SQLite (or, with --postgres, a fresh PostgreSQL database), then times submit →
SUCCESS (polling every 20 ms) for each maintenance start route, in the order the schedules would run them.
Jobs that change the data run once; the idempotent ones report the median of --repeat runs. It prints
figures and asserts nothing (bench.bench_maintenance times the plain functions alone).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

from gaveurs.db.migrate import upgrade
from gaveurs.db.session import make_engine
from gaveurs.farm.generator import generate_farm
from gaveurs.farm.loader import load_farm
from gaveurs.processes import ProcessGroup, wait_http
from gaveurs.temporal_client import register_search_attributes
from gaveurs.temporal_server import free_port, start_dev_server, wait_until_serving

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# (label, route, query, repeated): in schedule order; `repeated` jobs leave the data as they found it.
JOBS = [
    ("refresh_continuous_aggregates (first build)", "maintenance/aggregates/refresh", {}, False),
    ("refresh_continuous_aggregates (nothing new)", "maintenance/aggregates/refresh", {}, True),
    ("backup_database_task", "maintenance/backup", {}, False),
    ("cleanup_old_celery_tasks", "maintenance/cleanup/tasks", {}, True),
    ("calculate_weekly_kpis (last week)", "maintenance/kpis/weekly", {}, True),
    ("calculate_weekly_kpis (2026-W44)", "maintenance/kpis/weekly", {"iso_week": "2026-W44"}, True),
    ("cleanup_old_sensor_data (365 days kept)", "maintenance/cleanup/sensor-data", {}, False),
    ("health_check_periodic", "system/health-check", {}, True),
]


def run_task(api: httpx.Client, route: str, query: dict[str, str]) -> float:
    began = time.perf_counter()
    task_id = api.post(f"/api/tasks/{route}", params=query).json()["task_id"]
    while True:
        status = api.get(f"/api/tasks/status/{task_id}").json()
        if status["status"] in {"SUCCESS", "FAILURE", "REVOKED"}:
            if status["status"] != "SUCCESS":
                raise RuntimeError(f"{task_id} ended {status['status']}: {status.get('error')}")
            return time.perf_counter() - began
        time.sleep(0.02)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_maintenance_api", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="farm in PostgreSQL instead of SQLite")
    parser.add_argument(
        "--postgres-admin-url", default=os.environ.get("TEST_POSTGRES_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gaveurs-bench-") as tmp:
        root = Path(tmp)
        database_url, pg_name = f"sqlite:///{root / 'farm.db'}", None
        if args.postgres:
            pg_name = f"gaveurs_bench_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(_libpq(args.postgres_admin_url), autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{pg_name}"')
            database_url = (
                make_url(args.postgres_admin_url).set(database=pg_name).render_as_string(hide_password=False)
            )
        server = start_dev_server(
            db_file=root / "t.db", port=free_port(), ui_port=None, log_path=root / "t.log"
        )
        api_port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TEMPORAL_ADDRESS": server.address,
            "ARTIFACT_DIR": str(root / "artifacts"),
            "BACKUP_DIR": str(root / "backups"),
        }
        group = ProcessGroup(log_dir=root, env=env)
        try:
            upgrade(database_url)
            engine = make_engine(database_url)
            load_farm(engine, generate_farm("demo"))
            engine.dispose()

            async def prepare() -> None:
                await register_search_attributes(await wait_until_serving(server.address))

            asyncio.run(prepare())
            group.spawn("worker-default", "-m", "workers", "default")
            api_process = group.spawn("api", "-m", "uvicorn", "api.main:app", "--port", str(api_port))
            wait_http(f"http://127.0.0.1:{api_port}/health", "API", api_process)
            backend = "PostgreSQL" if args.postgres else "SQLite"
            with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=60) as api:
                print(
                    f"demo farm in {backend}; one `default` worker process; submit → SUCCESS through the API\n"
                )
                print(f"| task | {backend} | runs |\n| --- | --- | --- |")
                for label, route, query, repeated in JOBS:
                    times = [run_task(api, route, query) for _ in range(args.repeat if repeated else 1)]
                    print(f"| {label} | {statistics.median(times):.2f} s | {len(times)} |")
        finally:
            group.stop()
            server.stop()
            if pg_name:
                with psycopg.connect(_libpq(args.postgres_admin_url), autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
