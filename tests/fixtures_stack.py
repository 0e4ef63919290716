"""The running system for end-to-end tests: Temporal dev server, Twilio and SMTP sinks, workers and API as
processes.

The stack runs once per farm-database backend (SQLite, then PostgreSQL), each in namespaces of its own on the
one dev server, so leftovers of one can never be picked up by the other's workers. Everything listens on
free loopback ports and keeps its state under a temporary directory: a test run never touches a developer's
own stack.
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

from gaveurs.processes import ProcessGroup, wait_http
from gaveurs.queues import TaskQueue
from gaveurs.settings import Settings
from gaveurs.temporal_client import data_converter, register_search_attributes
from gaveurs.temporal_server import DevServer, free_port, start_dev_server, wait_until_serving
from tests.fixtures_db import drop_postgres_database, make_postgres_database, postgres_or_skip

PROJECT = Path(__file__).resolve().parent.parent
# Per backend: the namespace of the shared workers, and one for tests that run their own workers (e.g.
# killing one) without the shared ones.
NAMESPACES = {"sqlite": ("default", "isolated"), "postgres": ("pg", "pg-isolated")}
# For tests that start the whole launcher (`make run`'s code) against the test server.
LAUNCHER_NAMESPACE = "launcher"
# For tests that run deliberately misbehaving workflows on in-process workers.
LIFECYCLE_NAMESPACE = "lifecycle"
STACK_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class Stack:
    backend: str
    root: Path
    group: ProcessGroup
    temporal_address: str
    api_url: str
    sink_url: str
    database_url: str
    namespace: str
    isolated_namespace: str
    # Prometheus endpoints of the shared workers' process and of the API.
    workers_metrics_url: str = ""
    api_metrics_url: str = ""
    # The loopback SMTP sink: its SMTP port and its HTTP listing (`GET {mail_url}/messages`, test hooks).
    smtp_port: int = 0
    mail_url: str = ""

    @property
    def env(self) -> dict[str, str]:
        return self.group.env

    def spawn(
        self, *args: str, name: str, namespace: str | None = None, **env: str
    ) -> subprocess.Popen[bytes]:
        overrides = {"TEMPORAL_NAMESPACE": namespace} if namespace else {}
        return self.group.spawn(name, *args, **overrides, **env)

    async def client(self, namespace: str | None = None) -> Client:
        """A client like the stack's own processes: same data converter, so the same payload keys."""
        return await Client.connect(
            self.temporal_address,
            namespace=namespace or self.namespace,
            data_converter=data_converter(Settings()),
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
    namespaces = [ns for pair in NAMESPACES.values() for ns in pair if ns != "default"] + [
        LAUNCHER_NAMESPACE,
        LIFECYCLE_NAMESPACE,
    ]
    server = start_dev_server(
        db_file=root / "temporal.db",
        port=free_port(),
        ui_port=None,
        log_path=root / "temporal.log",
        namespaces=tuple(namespaces),
    )

    async def ready() -> None:
        for namespace in ("default", *namespaces):
            client = await wait_until_serving(server.address, namespace)
            await register_search_attributes(client)

    try:
        asyncio.run(ready())
        yield server
    finally:
        server.stop()


def _farm_database(backend: str, root: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{root / 'farm.db'}"
    postgres_or_skip()
    return make_postgres_database()


@pytest.fixture(scope="session", params=STACK_BACKENDS)
def stack(
    request: pytest.FixtureRequest, temporal_server: DevServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    backend: str = request.param
    root = tmp_path_factory.mktemp(f"stack-{backend}")
    database_url = _farm_database(backend, root)
    namespace, isolated = NAMESPACES[backend]
    api_port, sink_port = free_port(), free_port()
    workers_metrics, api_metrics = free_port(), free_port()
    smtp_port, mail_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": temporal_server.address,
        "TEMPORAL_NAMESPACE": namespace,
        "ARTIFACT_DIR": str(root / "artifacts"),
        "BACKUP_DIR": str(root / "backups"),
        "TWILIO_API_BASE": f"http://127.0.0.1:{sink_port}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_SINK_API": f"http://127.0.0.1:{mail_port}",
        "WORKER_GRACEFUL_SHUTDOWN_S": "5",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("API_TOKEN", None)
    env.pop("FAULT_PAUSES", None)
    stack = Stack(
        backend=backend,
        root=root,
        group=ProcessGroup(log_dir=root, env=env),
        temporal_address=temporal_server.address,
        api_url=f"http://127.0.0.1:{api_port}",
        sink_url=f"http://127.0.0.1:{sink_port}",
        database_url=database_url,
        namespace=namespace,
        isolated_namespace=isolated,
        workers_metrics_url=f"http://127.0.0.1:{workers_metrics}/metrics",
        api_metrics_url=f"http://127.0.0.1:{api_metrics}/metrics",
        smtp_port=smtp_port,
        mail_url=f"http://127.0.0.1:{mail_port}",
    )
    try:
        subprocess.run(
            [sys.executable, "-m", "gaveurs", "demo", "load", "--size", "small", "--database-url", database_url],
            cwd=PROJECT, env=env, check=True, capture_output=True,
        )  # fmt: skip
        sink = stack.spawn("-m", "gaveurs.notify.twilio_sink", "--port", str(sink_port), name="twilio-sink")
        mail = stack.spawn(
            "-m", "gaveurs.notify.smtp_sink", "--port", str(smtp_port), "--http-port", str(mail_port),
            name="smtp-sink",
        )  # fmt: skip
        stack.spawn("-m", "workers", "all", name="workers", METRICS_PORT=str(workers_metrics))
        # As in production: `python -m api` (JSON logs, metrics port), not bare uvicorn.
        api = stack.spawn("-m", "api", "--port", str(api_port), name="api", METRICS_PORT=str(api_metrics))
        wait_http(f"{stack.sink_url}/", "Twilio sink", sink)
        wait_http(f"{stack.mail_url}/", "SMTP sink", mail)
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
        if backend == "postgres":
            drop_postgres_database(database_url)


@pytest.fixture
def api(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api_url, timeout=30.0) as client:
        yield client
