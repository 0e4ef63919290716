"""`python -m bench`: wall-clock figures of the whole system on the demo data set.

Starts its own Temporal dev server, Twilio sink, workers and API on free ports under a temporary directory,
loads the demo farm, then runs each task several times through the HTTP API and prints median and worst
end-to-end times (submit → SUCCESS seen by polling every 20 ms). Nothing here asserts: it prints figures.
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

import httpx

from gaveurs.db.migrate import upgrade
from gaveurs.db.session import make_engine
from gaveurs.farm.generator import generate_farm
from gaveurs.farm.loader import load_farm
from gaveurs.processes import ProcessGroup, wait_http
from gaveurs.temporal_client import register_search_attributes
from gaveurs.temporal_server import free_port, start_dev_server, wait_until_serving

TASKS: dict[str, Callable[[httpx.Client], httpx.Response]] = {
    "train_pysr_async (lot 3472, defaults)": lambda api: api.post("/api/tasks/ml/pysr/train?lot_id=3472"),
    "detect_anomalies_async (all sites)": lambda api: api.post("/api/tasks/ml/anomalies/detect"),
    "generate_lot_pdf_report (complete)": lambda api: api.post("/api/tasks/export/pdf/lot?lot_id=3472"),
    "send_sms_alert": lambda api: api.post(
        "/api/tasks/notifications/sms", json={"phone": "+33612345678", "message": "bench"}
    ),
    "health_check_periodic": lambda api: api.post("/api/tasks/system/health-check"),
}


def run_task(api: httpx.Client, start: Callable[[httpx.Client], httpx.Response]) -> float:
    began = time.perf_counter()
    task_id = start(api).json()["task_id"]
    while True:
        status = api.get(f"/api/tasks/status/{task_id}").json()["status"]
        if status in {"SUCCESS", "FAILURE", "REVOKED"}:
            if status != "SUCCESS":
                raise RuntimeError(f"{task_id} ended {status}")
            return time.perf_counter() - began
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gaveurs-bench-") as tmp:
        root = Path(tmp)
        database_url = f"sqlite:///{root / 'farm.db'}"
        upgrade(database_url)
        engine = make_engine(database_url)
        began = time.perf_counter()
        data = generate_farm("demo")
        generated = time.perf_counter() - began
        load_farm(engine, data)
        loaded = time.perf_counter() - began - generated
        engine.dispose()
        print(f"demo farm: generated in {generated:.1f}s, loaded into SQLite in {loaded:.1f}s")

        server = start_dev_server(
            db_file=root / "t.db", port=free_port(), ui_port=None, log_path=root / "t.log"
        )
        api_port, sink_port, smtp_port, mail_port = free_port(), free_port(), free_port(), free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TEMPORAL_ADDRESS": server.address,
            "ARTIFACT_DIR": str(root / "artifacts"),
            "TWILIO_API_BASE": f"http://127.0.0.1:{sink_port}",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port),
            "SMTP_SINK_API": f"http://127.0.0.1:{mail_port}",
        }
        group = ProcessGroup(log_dir=root, env=env)
        try:

            async def prepare() -> None:
                await register_search_attributes(await wait_until_serving(server.address))

            asyncio.run(prepare())
            group.spawn("twilio-sink", "-m", "gaveurs.notify.twilio_sink", "--port", str(sink_port))
            group.spawn(
                "smtp-sink", "-m", "gaveurs.notify.smtp_sink", "--port", str(smtp_port),
                "--http-port", str(mail_port),
            )  # fmt: skip
            group.spawn("workers", "-m", "workers", "all")
            api_process = group.spawn("api", "-m", "uvicorn", "api.main:app", "--port", str(api_port))
            wait_http(f"http://127.0.0.1:{api_port}/health", "API", api_process)
            with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=60) as api:
                run_task(api, TASKS["health_check_periodic"])  # warm-up: workers' first tasks import lazily
                print(f"\n{'task':45} {'median':>8} {'worst':>8}   (n={args.repeat}, submit → SUCCESS)")
                for name, start in TASKS.items():
                    times = [run_task(api, start) for _ in range(args.repeat)]
                    print(f"{name:45} {statistics.median(times):7.2f}s {max(times):7.2f}s")
        finally:
            group.stop()
            server.stop()


if __name__ == "__main__":
    main()
