"""`python -m bench.bench_export_tasks`: the eight export tasks end to end on the demo farm, through the HTTP API.

Starts its own Temporal dev server, exports worker and API on free ports under a temporary directory (SQLite demo
farm, or PostgreSQL with --postgres), then starts each export through its named route --repeat times and prints
the median and worst submit → SUCCESS time (polling the status every 20 ms), beside the seed's Celery figure.
bench.bench_exports times the same exports as plain functions, without Temporal. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.demo_databases import DEFAULT_ADMIN_URL, demo_database
from gaveurs.processes import ProcessGroup, wait_http
from gaveurs.temporal_client import register_search_attributes
from gaveurs.temporal_server import free_port, start_dev_server, wait_until_serving

Start = Callable[[httpx.Client], httpx.Response]
BATCH = {"lot_ids": list(range(3400, 3500))}

# name, seed's figure, the start request
EXPORTS: list[tuple[str, str, Start]] = [
    ("generate_lot_pdf_report (3472, complete)", "10–60 s",
     lambda api: api.post("/api/tasks/export/pdf/lot?lot_id=3472&report_type=complete")),
    ("generate_site_pdf_report (LL, 3 months)", "20–90 s",
     lambda api: api.post("/api/tasks/export/pdf/site?site_code=LL&date_debut=2026-08-01&date_fin=2026-10-31")),
    ("export_gavage_data_csv (lot 3472)", "5–30 s", lambda api: api.post("/api/tasks/export/csv/gavage?lot_id=3472")),
    ("export_gavage_data_csv (all lots)", "5–30 s", lambda api: api.post("/api/tasks/export/csv/gavage")),
    ("export_sqal_data_csv (lot 3472)", "5–30 s", lambda api: api.post("/api/tasks/export/csv/sqal?lot_id=3472")),
    ("export_sqal_data_csv (all samples)", "5–30 s", lambda api: api.post("/api/tasks/export/csv/sqal")),
    ("export_consumer_feedbacks_csv (2026)", "5–20 s",
     lambda api: api.post("/api/tasks/export/csv/feedbacks?date_debut=2026-01-01&date_fin=2026-12-31")),
    ("generate_blockchain_certificate (3472)", "2–10 s",
     lambda api: api.post("/api/tasks/export/certificate?lot_id=3472")),
    ("batch_export_lots_csv (100 lots)", "10–60 s", lambda api: api.post("/api/tasks/export/csv/batch", json=BATCH)),
    ("weekly_reports_generation (3 sites)", "2–5 min",
     lambda api: api.post("/api/tasks/export/pdf/weekly?week_start=2026-10-26")),
]  # fmt: skip


def timed(api: httpx.Client, start: Start) -> tuple[float, dict[str, Any]]:
    began = time.perf_counter()
    answer = start(api)
    answer.raise_for_status()
    task_id = answer.json()["task_id"]
    while True:
        status = api.get(f"/api/tasks/status/{task_id}").json()
        if status["status"] in {"SUCCESS", "FAILURE", "REVOKED"}:
            elapsed = time.perf_counter() - began
            if status["status"] != "SUCCESS":
                raise RuntimeError(f"{task_id} ended {status['status']}: {status.get('error')}")
            result: dict[str, Any] = status["result"]
            return elapsed, result
        time.sleep(0.02)


def size_of(result: dict[str, Any]) -> str:
    if "rows" in result:
        return f"{result['rows']:,} rows"
    if "reports" in result:
        return f"{len(result['reports'])} PDFs"
    return f"{result.get('file_size', 0) / 1024:,.0f} KiB"


def bench(database_url: str, root: Path, repeat: int) -> None:
    server = start_dev_server(db_file=root / "t.db", port=free_port(), ui_port=None, log_path=root / "t.log")
    api_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": server.address,
        "ARTIFACT_DIR": str(root / "artifacts"),
        "CERTIFICATE_KEY_FILE": str(root / "keys" / "certificate.pem"),
        "EXPORT_PSEUDONYM_KEY_FILE": str(root / "keys" / "pseudonym.key"),
    }
    env.pop("API_TOKEN", None)
    env.pop("FAULT_PAUSES", None)
    group = ProcessGroup(log_dir=root, env=env)
    try:

        async def prepare() -> None:
            await register_search_attributes(await wait_until_serving(server.address))

        asyncio.run(prepare())
        group.spawn("workers", "-m", "workers", "exports")
        api_process = group.spawn("api", "-m", "uvicorn", "api.main:app", "--port", str(api_port))
        wait_http(f"http://127.0.0.1:{api_port}/health", "API", api_process)
        with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=60) as api:
            timed(api, EXPORTS[0][2])  # warm-up: the worker's first task imports reportlab and friends
            print(f"\n{'export':44} {'median':>8} {'worst':>8}  {'output':>16}  {'seed':>9}   (n={repeat})")
            for name, seed, start in EXPORTS:
                runs = [timed(api, start) for _ in range(repeat)]
                times = [elapsed for elapsed, _ in runs]
                print(
                    f"{name:44} {statistics.median(times):7.2f}s {max(times):7.2f}s  "
                    f"{size_of(runs[-1][1]):>16}  {seed:>9}",
                    flush=True,
                )
    finally:
        group.stop()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_export_tasks", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="the demo farm in PostgreSQL, not SQLite")
    parser.add_argument(
        "--postgres-admin-url", default=os.environ.get("TEST_POSTGRES_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    args = parser.parse_args()
    backend = "postgres" if args.postgres else "sqlite"
    with tempfile.TemporaryDirectory(prefix="gaveurs-bench-exports-") as tmp:
        print(f"== {backend} ==")
        with demo_database(backend, Path(tmp), args.postgres_admin_url) as url:
            bench(url, Path(tmp), args.repeat)


if __name__ == "__main__":
    main()
