"""`make run`'s launcher heals like production: a worker process that dies is restarted, its task finishes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gaveurs.processes import wait_http
from gaveurs.temporal_server import DevServer, free_port
from tests.fixtures_stack import LAUNCHER_NAMESPACE, PROJECT
from tests.waiting import status_of, wait_for_end, wait_until


@dataclass
class Launcher:
    process: subprocess.Popen[bytes]
    console: Path
    api_url: str

    def said(self) -> str:
        return self.console.read_text(errors="replace")


@pytest.fixture(scope="module")
def launcher(temporal_server: DevServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    root = tmp_path_factory.mktemp("launcher")
    api_port = free_port()
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": temporal_server.address,  # already serving: the launcher uses it
        "TEMPORAL_NAMESPACE": LAUNCHER_NAMESPACE,
        "DATABASE_URL": f"sqlite:///{root / 'farm.db'}",
        "ARTIFACT_DIR": str(root / "artifacts"),
        "API_PORT": str(api_port),
        "TWILIO_API_BASE": f"http://127.0.0.1:{free_port()}",
        "SMTP_PORT": str(free_port()),
        "SMTP_SINK_API": f"http://127.0.0.1:{free_port()}",
        "WORKER_GRACEFUL_SHUTDOWN_S": "5",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("API_TOKEN", None)
    console = root / "console.log"
    with console.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gaveurs.devstack", "--farm", "small", "--log-dir", str(root / "log")],
            cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    running = Launcher(process, console, f"http://127.0.0.1:{api_port}")
    try:
        wait_http(f"{running.api_url}/health", "the launcher's API", process, timeout=120)
        yield running
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_killed_worker_is_restarted_and_its_task_still_succeeds(launcher: Launcher) -> None:
    with httpx.Client(base_url=launcher.api_url, timeout=30) as api:
        task_id = api.post("/api/tasks/ml/pysr/train?lot_id=3472&restarts=6&generations=300").json()[
            "task_id"
        ]
        running = wait_until(
            lambda: (s := status_of(api, task_id))["status"] == "STARTED" and s.get("worker") and s,
            timeout=120,
            what="the fit to run on a worker",
        )
        identity = running["worker"]
        assert identity.startswith("ml_heavy@")
        pid = int(identity.rsplit(":", 1)[1])
        os.kill(pid, signal.SIGKILL)

        wait_until(
            lambda: f"worker-ml_heavy exited with code {-signal.SIGKILL}; restarted it" in launcher.said(),
            timeout=30,
            what="the launcher to restart the ml_heavy worker",
        )
        done = wait_for_end(api, task_id, timeout=240)
        assert done["status"] == "SUCCESS", done
        assert launcher.process.poll() is None, "the launcher itself must keep running"
        # The other queues never noticed: their workers are the ones the launcher started first.
        assert launcher.said().count("restarted it") == 1
