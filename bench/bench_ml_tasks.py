"""`python -m bench.bench_ml_tasks`: each ML task end to end through the API on the demo farm, beside the seed.

Starts its own Temporal dev server, Twilio sink, workers and API on free ports under a temporary directory,
loads the demo farm (SQLite, or PostgreSQL with --backend postgres), then starts each of the eight ML tasks
through its named route and times submit → SUCCESS (polling every 20 ms), median and worst of --repeat runs
(each run waits for the previous one, so it is a new run of the same work, not a join). The first run of a
task also pays the imports of its fitting libraries in a fresh child process. Nothing here asserts: it prints
figures, and writes them as JSON with --json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.demo_databases import DEFAULT_ADMIN_URL, demo_database
from gaveurs.catalogue.ml import DEMO_TODAY
from gaveurs.processes import ProcessGroup, wait_http
from gaveurs.temporal_client import register_search_attributes
from gaveurs.temporal_server import free_port, start_dev_server, wait_until_serving

WINDOW = f"date_debut={DEMO_TODAY}&date_fin=2026-11-21&today={DEMO_TODAY}"
# name, seed's figure, seed's lower figure in seconds, route, what to print of the result
TASKS: list[tuple[str, str, float, str, Callable[[dict[str, Any]], str]]] = [
    ("train_pysr_async (lot 3472, defaults)", "5–30 min", 300, "/api/tasks/ml/pysr/train?lot_id=3472",
     lambda r: f"R² {r['r2_score']:.3f}"),
    ("optimize_feeding_curve_async (lot 3472)", "2–10 min", 120,
     "/api/tasks/ml/feeding-curve/optimize?lot_id=3472",
     lambda r: f"+{r['expected_improvement']:.1f} points, confidence {r['confidence']:.2f}"),
    ("train_prophet_async (LL, 30 days)", "1–5 min", 60, "/api/tasks/ml/prophet/train?site_code=LL&horizon_days=30",
     lambda r: f"MAPE {r['mape_pct']:.1f} %"),
    ("train_prophet_async (LL, 90 days)", "1–5 min", 60, "/api/tasks/ml/prophet/train?site_code=LL&horizon_days=90",
     lambda r: f"MAPE {r['mape_pct']:.1f} %"),
    ("cluster_gaveurs_async (60 gaveurs)", "1–3 min", 60, "/api/tasks/ml/clustering/run",
     lambda r: f"ARI {r['adjusted_rand_index']}, silhouette {r['silhouette_score']:.2f}"),
    ("detect_anomalies_async (all sites)", "30 s–2 min", 30, "/api/tasks/ml/anomalies/detect",
     lambda r: f"{r['n_anomalies']} of {r['n_lots']} lots"),
    ("detect_anomalies_periodic (3 sites + alerts)", "2–5 min", 120, "/api/tasks/ml/anomalies/detect-all",
     lambda r: f"{r['n_critical']} critical, {r['alerts_started']} alerts started"),
    ("optimize_abattage_planning_async (3 weeks)", "2–10 min", 120, f"/api/tasks/ml/abattage/optimize?{WINDOW}",
     lambda r: f"{r['n_lots']} lots, greedy/optimal {r['optimization_ratio']}"),
    ("retrain_all_ml_models_async (13 children)", "30–60 min", 1800, "/api/tasks/ml/retrain-all",
     lambda r: f"{r['n_succeeded']}/{r['n_children']} children"),
]  # fmt: skip


def run_task(api: httpx.Client, route: str) -> tuple[float, dict[str, Any]]:
    began = time.perf_counter()
    submitted = api.post(route)
    submitted.raise_for_status()
    task_id = submitted.json()["task_id"]
    while True:
        status = api.get(f"/api/tasks/status/{task_id}").json()
        if status["status"] in {"SUCCESS", "FAILURE", "REVOKED"}:
            if status["status"] != "SUCCESS":
                raise RuntimeError(f"{task_id} ended {status['status']}: {status.get('error')}")
            return time.perf_counter() - began, status["result"]
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_ml_tasks", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--admin-url", default=DEFAULT_ADMIN_URL, help="PostgreSQL server for --backend postgres"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--only", default="", help="only the tasks whose line contains this text")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gaveurs-bench-ml-") as tmp:
        root = Path(tmp)
        with demo_database(args.backend, root, args.admin_url) as database_url:
            server = start_dev_server(
                db_file=root / "t.db", port=free_port(), ui_port=None, log_path=root / "t.log"
            )
            api_port, sink_port = free_port(), free_port()
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "TEMPORAL_ADDRESS": server.address,
                "ARTIFACT_DIR": str(root / "artifacts"),
                "TWILIO_API_BASE": f"http://127.0.0.1:{sink_port}",
            }
            env.pop("FAULT_PAUSES", None)
            group = ProcessGroup(log_dir=root, env=env)
            try:

                async def prepare() -> None:
                    await register_search_attributes(await wait_until_serving(server.address))

                asyncio.run(prepare())
                group.spawn("twilio-sink", "-m", "gaveurs.notify.twilio_sink", "--port", str(sink_port))
                group.spawn("workers", "-m", "workers", "all")
                api_process = group.spawn("api", "-m", "uvicorn", "api.main:app", "--port", str(api_port))
                wait_http(f"http://127.0.0.1:{api_port}/health", "API", api_process)
                figures = measure(f"http://127.0.0.1:{api_port}", args.repeat, args.backend, args.only)
            finally:
                group.stop()
                server.stop()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n")


def measure(api_url: str, repeat: int, backend: str, only: str = "") -> list[dict[str, Any]]:
    figures = []
    with httpx.Client(base_url=api_url, timeout=60) as api:
        print(
            f"\ndemo farm on {backend}; submit → SUCCESS through the API, median and worst of {repeat} runs\n"
        )
        print(f"{'task':<48} {'median':>8} {'worst':>8} {'first':>8}  {'seed':>10}  {'× faster':>8}  result")
        for name, seed, lower_s, route, describe in TASKS:
            if only not in name:
                continue
            runs = [run_task(api, route) for _ in range(repeat)]
            times = [seconds for seconds, _ in runs]
            median = statistics.median(times)
            print(
                f"{name:<48} {median:7.2f}s {max(times):7.2f}s {times[0]:7.2f}s  {seed:>10}  "
                f"{lower_s / median:7.0f}×  {describe(runs[-1][1])}",
                flush=True,
            )
            figures.append(
                {"task": name, "backend": backend, "median_s": median, "worst_s": max(times),
                 "first_s": times[0], "seed": seed, "speedup_vs_seed_lower": lower_s / median}
            )  # fmt: skip
    return figures


if __name__ == "__main__":
    main()
