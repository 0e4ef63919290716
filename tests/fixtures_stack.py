"""The running system for end-to-end tests: Temporal dev server, Twilio sink, workers and API as processes.

Everything listens on free loopback ports and keeps its state under a temporary directory, so a test run never
touches a developer's own stack.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from gaveurs.processes import ProcessGroup, wait_http
from gaveurs.queues import TaskQueue
from gaveurs.temporal_client import register_search_attributes
from gaveurs.temporal_server import DevServer, free_port, start_dev_server, wait_until_serving

PROJECT = Path(__file__).resolve().parent.parent
# A second namespace for tests that run their own workers (e.g. killing one) without the shared ones.
ISOLATED_NAMESPACE = "isolated"


@dataclass
class Stack:
    root: Path
    group: ProcessGroup
    temporal_address: str
    api_url: str
    sink_url: str
    database_url: str

    @property
    def env(self) -> dict[str, str]:
        return self.group.env

    def spawn(self, *args: str, name: str, namespace: str | None = None) -> subprocess.Popen[bytes]:
        overrides = {"TEMPORAL_NAMESPACE": namespace} if namespace else {}
        return self.group.spawn(name, *args, **overrides)

    async def client(self, namespace: str = "default") -> Client:
        return await Client.connect(
            self.temporal_address, namespace=namespace, data_converter=pydantic_data_converter
        )


async def wait_for_pollers(client: Client, queues: list[TaskQueue], timeout: float = 60.0) -> None:
    from temporalio.api.taskqueue.v1 import TaskQueue as TaskQueueRef
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    deadline = time.monotonic() + timeout
    waiting = list(queues)
    while waiting and time.monotonic() < deadline:
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace, task_queue=TaskQueueRef(name=waiting[0].value)
            )
        )
        if described.pollers:
            waiting.pop(0)
        else:
            await asyncio.sleep(0.2)
    if waiting:
        raise TimeoutError(f"no worker polled {', '.join(q.value for q in waiting)} within {timeout:.0f}s")


@pytest.fixture(scope="session")
def temporal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    root = tmp_path_factory.mktemp("temporal")
    server = start_dev_server(
        db_file=root / "temporal.db",
        port=free_port(),
        ui_port=None,
        log_path=root / "temporal.log",
        namespaces=(ISOLATED_NAMESPACE,),
    )

    async def ready() -> None:
        for namespace in ("default", ISOLATED_NAMESPACE):
            client = await wait_until_serving(server.address, namespace)
            await register_search_attributes(client)

    try:
        asyncio.run(ready())
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def stack(temporal_server: DevServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("stack")
    database_url = f"sqlite:///{root / 'farm.db'}"
    api_port, sink_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": temporal_server.address,
        "TEMPORAL_NAMESPACE": "default",
        "ARTIFACT_DIR": str(root / "artifacts"),
        "TWILIO_API_BASE": f"http://127.0.0.1:{sink_port}",
        "WORKER_GRACEFUL_SHUTDOWN_S": "5",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("API_TOKEN", None)
    stack = Stack(
        root=root,
        group=ProcessGroup(log_dir=root, env=env),
        temporal_address=temporal_server.address,
        api_url=f"http://127.0.0.1:{api_port}",
        sink_url=f"http://127.0.0.1:{sink_port}",
        database_url=database_url,
    )
    subprocess.run(
        [sys.executable, "-m", "gaveurs", "demo", "load", "--size", "small", "--database-url", database_url],
        cwd=PROJECT, env=env, check=True, capture_output=True,
    )  # fmt: skip
    try:
        sink = stack.spawn("-m", "gaveurs.notify.twilio_sink", "--port", str(sink_port), name="twilio-sink")
        stack.spawn("-m", "workers", "all", name="workers")
        api = stack.spawn("-m", "uvicorn", "api.main:app", "--port", str(api_port), name="api")
        wait_http(f"{stack.sink_url}/", "Twilio sink", sink)
        wait_http(f"{stack.api_url}/health", "API", api)

        async def workers_ready() -> None:
            await wait_for_pollers(await stack.client(), list(TaskQueue))

        try:
            asyncio.run(workers_ready())
        except TimeoutError as error:
            raise RuntimeError(f"{error}\n--- workers log ---\n{stack.group.log_tail('workers')}") from error
        yield stack
    finally:
        stack.group.stop()


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api_url, timeout=30.0) as client:
        yield client
