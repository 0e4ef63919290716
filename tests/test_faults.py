"""Fault injection, bounded and on loopback only: what breaks around the workers does not lose or repeat work.

- the Temporal server stops and starts again mid-activity: the worker process reconnects by itself and the
  task ends SUCCESS, the SMS sent once;
- the farm database (PostgreSQL) refuses connections for a while: the activity fails, is retried, and
  succeeds once the database is back, with one artifact row;
- 500 tasks wait on a queue nobody polls, then a worker starts: all 500 finish, no message sent twice.

Each test runs its own worker processes (`python -m workers <queue>`, the production entry point) in a
namespace and a farm database of its own. (Killing a worker mid-activity and cancelling during an activity
are in tests/test_worker_lifecycle.py and tests/test_cancel.py.)
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from google.protobuf.duration_pb2 import Duration
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client, WorkflowHandle

from api.task_starter import start_task
from gaveurs.catalogue.exports import LOT_PDF_REPORT
from gaveurs.catalogue.notifications import SMS_ALERT
from gaveurs.contracts.exports import LotPdfReportInput
from gaveurs.contracts.notifications import SmsAlertInput
from gaveurs.db.migrate import upgrade
from gaveurs.db.models import Artifact, OutboundMessage
from gaveurs.db.session import make_engine, session_scope
from gaveurs.processes import ProcessGroup, wait_http
from gaveurs.queues import TaskQueue
from gaveurs.settings import Settings
from gaveurs.temporal_client import data_converter, register_search_attributes
from gaveurs.temporal_server import DevServer, free_port, start_dev_server, wait_until_serving
from tests.fixtures_db import (
    ADMIN_URL,
    _libpq,
    drop_postgres_database,
    make_postgres_database,
    postgres_or_skip,
)
from tests.fixtures_stack import PROJECT, wait_for_pollers

PHONE = "+33612345678"


@dataclass
class Rig:
    """A namespace, a farm database, a Twilio sink and worker processes of one test."""

    address: str
    namespace: str
    database_url: str
    sink_url: str
    group: ProcessGroup

    async def client(self) -> Client:
        return await Client.connect(
            self.address, namespace=self.namespace, data_converter=data_converter(Settings())
        )

    def start_workers(self, queue: TaskQueue, **env: str) -> subprocess.Popen[bytes]:
        return self.group.spawn(f"worker-{queue.value}", "-m", "workers", queue.value, **env)

    def sms_received(self) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.sink_url}/_sink/messages", params={"limit": 5000}, timeout=10)
        answer.raise_for_status()
        messages: list[dict[str, Any]] = answer.json()["messages"]
        return messages


@pytest.fixture
def rig_factory(tmp_path: Path) -> Iterator[Any]:
    groups: list[ProcessGroup] = []
    databases: list[str] = []

    def make(address: str, *, backend: str = "sqlite", farm: bool = False) -> Rig:
        namespace = f"faults-{uuid.uuid4().hex[:8]}"
        asyncio.run(_namespace(address, namespace))
        if backend == "postgres":
            database_url = make_postgres_database()
            databases.append(database_url)
        else:
            database_url = f"sqlite:///{tmp_path / f'{namespace}.db'}"
        if farm:
            subprocess.run(
                [sys.executable, "-m", "gaveurs", "demo", "load", "--size", "small", "--database-url", database_url],
                cwd=PROJECT, check=True, capture_output=True,
            )  # fmt: skip
        else:
            upgrade(database_url)
        sink_port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TEMPORAL_ADDRESS": address,
            "TEMPORAL_NAMESPACE": namespace,
            "ARTIFACT_DIR": str(tmp_path / "artifacts"),
            "TWILIO_API_BASE": f"http://127.0.0.1:{sink_port}",
            "WORKER_GRACEFUL_SHUTDOWN_S": "2",
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("FAULT_PAUSES", None)
        group = ProcessGroup(log_dir=tmp_path / namespace, env=env)
        groups.append(group)
        sink = group.spawn("twilio-sink", "-m", "gaveurs.notify.twilio_sink", "--port", str(sink_port))
        wait_http(f"http://127.0.0.1:{sink_port}/", "Twilio sink", sink)
        return Rig(address, namespace, database_url, f"http://127.0.0.1:{sink_port}", group)

    try:
        yield make
    finally:
        for group in groups:
            group.stop(timeout=10)
        for url in databases:
            drop_postgres_database(url)


async def _namespace(address: str, namespace: str) -> None:
    admin = await wait_until_serving(address)
    await admin.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace, workflow_execution_retention_period=Duration(seconds=86400)
        )
    )
    await register_search_attributes(await wait_until_serving(address, namespace))


async def _running_activity(handle: WorkflowHandle[Any, Any], name: str, timeout: float = 60.0) -> int:
    """Wait until `name` runs on a worker; returns its attempt number."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pending in (await handle.describe()).raw_description.pending_activities:
            if (
                pending.activity_type.name == name
                and pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
            ):
                return int(pending.attempt)
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} did not start within {timeout:.0f}s")


# --- the Temporal server goes away ------------------------------------------------------------------------


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[DevServer]:
    """A dev server of this test alone (it gets stopped), on a free port with its own SQLite file."""
    server = start_dev_server(
        db_file=tmp_path / "temporal.db", port=free_port(), ui_port=None, log_path=tmp_path / "temporal.log"
    )
    try:
        asyncio.run(wait_until_serving(server.address))
        yield server
    finally:
        server.stop()


def test_a_temporal_restart_mid_activity_loses_nothing_and_workers_reconnect_alone(
    own_server: DevServer, rig_factory: Any, tmp_path: Path
) -> None:
    rig: Rig = rig_factory(own_server.address)
    worker = rig.start_workers(
        TaskQueue.NOTIFICATIONS, FAULT_PAUSES=json.dumps({"send_sms.before_provider": 5})
    )

    async def submit() -> tuple[str, str]:
        client = await rig.client()
        await wait_for_pollers(client, [TaskQueue.NOTIFICATIONS])
        started = await start_task(client, SMS_ALERT, SmsAlertInput(phone=PHONE, message="redémarrage"))
        await _running_activity(
            client.get_workflow_handle(started.workflow_id, run_id=started.run_id), "send_sms"
        )
        return started.workflow_id, started.run_id

    workflow_id, run_id = asyncio.run(submit())
    # Mid-activity: the server stops (its history safe in SQLite) and comes back on the same port.
    own_server.stop()
    time.sleep(1.5)
    restarted = start_dev_server(
        db_file=tmp_path / "temporal.db",
        port=int(own_server.address.rsplit(":", 1)[1]),
        ui_port=None,
        log_path=tmp_path / "temporal.log",
    )
    own_server.process = restarted.process  # so the fixture stops this one

    async def outcome() -> Any:
        await wait_until_serving(rig.address, rig.namespace)
        client = await rig.client()
        handle = client.get_workflow_handle(workflow_id, run_id=run_id, result_type=SMS_ALERT.result)
        return await asyncio.wait_for(handle.result(), timeout=120)

    result = asyncio.run(outcome())
    assert result.status == "success", result
    # The same worker process carried on: nobody restarted it.
    assert worker.poll() is None
    assert [m["body"] for m in rig.sms_received()] == ["redémarrage"]


# --- the farm database refuses connections ----------------------------------------------------------------


def _allow_connections(database_url: str, allowed: bool) -> None:
    name = make_url(database_url).database
    with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"true" if allowed else "false"}')
        if not allowed:
            # Refusing new connections is not enough: the workers' pooled ones are cut too.
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )


@pytest.mark.postgres
def test_a_database_outage_is_retried_through_and_leaves_one_artifact_row(
    temporal_server: DevServer, rig_factory: Any
) -> None:
    postgres_or_skip()
    rig: Rig = rig_factory(temporal_server.address, backend="postgres", farm=True)
    rig.start_workers(TaskQueue.EXPORTS, FAULT_PAUSES=json.dumps({"render_lot_report.before_store": 3}))

    async def run() -> tuple[Any, str, str, int]:
        client = await rig.client()
        await wait_for_pollers(client, [TaskQueue.EXPORTS])
        started = await start_task(client, LOT_PDF_REPORT, LotPdfReportInput(lot_id=3472))
        handle = client.get_workflow_handle(
            started.workflow_id, run_id=started.run_id, result_type=LOT_PDF_REPORT.result
        )
        await _running_activity(handle, "render_lot_report")
        _allow_connections(rig.database_url, False)
        try:
            # The render reaches its store step during the outage, fails and is retried: wait for a retry.
            highest = 1
            deadline = time.monotonic() + 30
            while highest < 2 and time.monotonic() < deadline:
                for pending in (await handle.describe()).raw_description.pending_activities:
                    highest = max(highest, int(pending.attempt))
                await asyncio.sleep(0.2)
            assert highest >= 2, "the outage should have failed an attempt"
            await asyncio.sleep(2)
        finally:
            _allow_connections(rig.database_url, True)
        result = await asyncio.wait_for(handle.result(), timeout=120)
        return result, started.workflow_id, started.run_id, highest

    result, workflow_id, _run_id, attempts = asyncio.run(run())
    assert result.status == "success" and result.lot_id == 3472, result
    engine = make_engine(rig.database_url)
    try:
        with session_scope(engine) as session:
            rows = session.scalars(select(Artifact).where(Artifact.task_id.startswith(workflow_id))).all()
    finally:
        engine.dispose()
    assert len(rows) == 1, [(r.path, r.run_id) for r in rows]
    assert attempts >= 2


# --- a backlog waits for its worker -----------------------------------------------------------------------

BACKLOG = 500


def test_five_hundred_tasks_queued_without_a_worker_all_finish_once_one_starts(
    temporal_server: DevServer, rig_factory: Any
) -> None:
    rig: Rig = rig_factory(temporal_server.address)
    bodies = [f"file d'attente {n:03d}" for n in range(BACKLOG)]

    async def submit() -> list[str]:
        client = await rig.client()
        ids: list[str] = []
        for start in range(0, BACKLOG, 50):
            batch = await asyncio.gather(
                *(
                    start_task(client, SMS_ALERT, SmsAlertInput(phone=PHONE, message=b))
                    for b in bodies[start : start + 50]
                )
            )
            ids += [submitted.workflow_id for submitted in batch]
        return ids

    began = time.monotonic()
    workflow_ids = asyncio.run(submit())
    assert len(set(workflow_ids)) == BACKLOG
    submitted_s = time.monotonic() - began

    async def backlog(timeout: float = 30.0) -> int:
        # Visibility lags the starts a little: wait for it to list them all.
        client = await rig.client()
        deadline = time.monotonic() + timeout
        while (running := (await client.count_workflows("ExecutionStatus = 'Running'")).count) < BACKLOG:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        return running

    assert asyncio.run(backlog()) == BACKLOG, "all wait: nothing runs before a worker polls"
    # No rate limit here: the shared limiter would stretch 500 SMS to 100 s by design.
    rig.start_workers(TaskQueue.NOTIFICATIONS, SMS_PER_SECOND="0")

    async def drained(timeout: float = 240.0) -> tuple[int, int]:
        client = await rig.client()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = (await client.count_workflows("ExecutionStatus = 'Completed'")).count
            if done == BACKLOG:
                break
            await asyncio.sleep(1)
        failed = (
            await client.count_workflows("ExecutionStatus != 'Completed' AND ExecutionStatus != 'Running'")
        ).count
        return done, failed

    drained_at = time.monotonic()
    done, failed = asyncio.run(drained())
    assert (done, failed) == (BACKLOG, 0), rig.group.log_tail("worker-notifications")
    print(f"500 SMS tasks: submitted in {submitted_s:.1f}s, drained in {time.monotonic() - drained_at:.1f}s")

    received = [m["body"] for m in rig.sms_received()]
    assert sorted(received) == sorted(bodies), "each message exactly once"
    engine = make_engine(rig.database_url)
    try:
        with session_scope(engine) as session:
            states = session.execute(
                select(OutboundMessage.state, func.count()).group_by(OutboundMessage.state)
            ).all()
    finally:
        engine.dispose()
    assert dict(states) == {"sent": BACKLOG}
