"""The live event stream: keep-alive comments on a quiet task, an end after its maximum duration, and an
`event: error` (never a silent end) when Temporal goes away. Its own dev server, so it can be stopped."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gaveurs.processes import ProcessGroup, wait_http
from gaveurs.temporal_client import register_search_attributes
from gaveurs.temporal_server import DevServer, free_port, start_dev_server, wait_until_serving


@dataclass
class Quiet:
    server: DevServer
    api_url: str


@pytest.fixture(scope="module")
def quiet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Quiet]:
    """A server with no worker at all: every task stays PENDING, so its stream has nothing new to say."""
    root: Path = tmp_path_factory.mktemp("events")
    server = start_dev_server(db_file=root / "t.db", port=free_port(), ui_port=None, log_path=root / "t.log")
    api_port = free_port()
    group = ProcessGroup(
        log_dir=root,
        env={
            **os.environ,
            "TEMPORAL_ADDRESS": server.address,
            "DATABASE_URL": f"sqlite:///{root / 'farm.db'}",
            "SSE_KEEPALIVE_S": "0.3",
            "SSE_MAX_DURATION_S": "3",
        },
    )
    try:
        asyncio.run(_prepare(server.address))
        api = group.spawn("api", "-m", "uvicorn", "api.main:app", "--port", str(api_port))
        wait_http(f"http://127.0.0.1:{api_port}/health", "API", api)
        yield Quiet(server, f"http://127.0.0.1:{api_port}")
    finally:
        group.stop()
        server.stop()


async def _prepare(address: str) -> None:
    await register_search_attributes(await wait_until_serving(address))


def read_stream(url: str, *, until: str, timeout: float = 30.0, on_first: object = None) -> list[str]:
    lines: list[str] = []
    with httpx.stream("GET", url, timeout=timeout) as stream:
        for line in stream.iter_lines():
            lines.append(line)
            if len(lines) == 1 and callable(on_first):
                on_first()
            if line.startswith(f"event: {until}"):
                break
    return lines


def test_a_quiet_stream_keeps_alive_then_ends_at_its_maximum_duration(quiet: Quiet) -> None:
    task_id = httpx.post(f"{quiet.api_url}/api/tasks/system/health-check").json()["task_id"]
    began = time.monotonic()
    lines = read_stream(f"{quiet.api_url}/api/tasks/events/{task_id}", until="timeout")
    assert lines[0].startswith("data: ") and '"status": "PENDING"' in lines[0]
    assert lines.count(": keep-alive") >= 3
    assert 2.5 < time.monotonic() - began < 20
    assert lines[-1] == "event: timeout"


def test_a_stream_says_so_when_temporal_goes_away(quiet: Quiet) -> None:
    task_id = httpx.post(f"{quiet.api_url}/api/tasks/system/health-check").json()["task_id"]
    lines = read_stream(
        f"{quiet.api_url}/api/tasks/events/{task_id}", until="error", timeout=120, on_first=quiet.server.stop
    )
    assert lines[-1] == "event: error"
