"""Child processes of the local stack (sinks, workers, API): started with logs, watched, restarted, stopped.

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

# A process that keeps dying right after its start is broken, not unlucky: give up after this many in a row.
MAX_QUICK_RESTARTS = 5
QUICK_S = 10.0


@dataclass
class _Managed:
    args: tuple[str, ...]
    env_overrides: dict[str, str]
    process: subprocess.Popen[bytes]
    started: float
    quick_restarts: int = 0


@dataclass
class ProcessGroup:
    log_dir: Path
    env: dict[str, str]
    managed: dict[str, _Managed] = field(default_factory=dict)

    @property
    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        return {name: m.process for name, m in self.managed.items()}

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
        previous = self.managed.get(name)
        self.managed[name] = _Managed(
            args, dict(env_overrides), process, time.monotonic(), previous.quick_restarts if previous else 0
        )
        return process

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def log_tail(self, name: str, chars: int = 4000) -> str:
        path = self.log_path(name)
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def first_exited(self) -> str | None:
        return next((name for name, p in self.processes.items() if p.poll() is not None), None)

    def restart_exited(self) -> list[tuple[str, int]]:
        """Start again every process that has exited; returns (name, exit code) of each one restarted.

        Raises RuntimeError for a process that died quickly MAX_QUICK_RESTARTS times in a row.
        """
        restarted = []
        for name, managed in list(self.managed.items()):
            code = managed.process.poll()
            if code is None:
                continue
            quick = time.monotonic() - managed.started < QUICK_S
            managed.quick_restarts = managed.quick_restarts + 1 if quick else 0
            if managed.quick_restarts >= MAX_QUICK_RESTARTS:
                raise RuntimeError(
                    f"{name} keeps exiting right after starting (code {code}); see {self.log_path(name)}"
                )
            self.spawn(name, *managed.args, **managed.env_overrides)
            restarted.append((name, code))
        return restarted

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM in reverse start order (API before workers), then SIGKILL whatever outlives `timeout`."""
        running = [p for p in reversed(self.processes.values()) if p.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
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
