"""Child processes of the local stack (sink, workers, API): started with logs, watched, stopped in order.

Shared by the dev launcher, the end-to-end test fixtures and the benchmark, so all three run the system the
same way.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from gaveurs.settings import PROJECT_ROOT


@dataclass
class ProcessGroup:
    log_dir: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def spawn(self, name: str, *args: str, **env_overrides: str) -> subprocess.Popen[bytes]:
        """Run `python <args>` from the project root, output appended to `<log_dir>/<name>.log`."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path(name).open("ab")
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=PROJECT_ROOT,
            env={**self.env, **env_overrides},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes[name] = process
        return process

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def log_tail(self, name: str, chars: int = 4000) -> str:
        path = self.log_path(name)
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def first_exited(self) -> str | None:
        return next((name for name, p in self.processes.items() if p.poll() is not None), None)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM in reverse start order (API before workers), then SIGKILL whatever outlives `timeout`."""
        running = [p for p in reversed(self.processes.values()) if p.poll() is None]
        for process in running:
            process.terminate()
        for process in running:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_http(
    url: str, what: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 60.0
) -> None:
    """Until `url` answers anything at all; fails early if the process meant to serve it has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before serving {url}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError(f"{what} did not answer at {url} within {timeout:.0f}s")
