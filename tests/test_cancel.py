"""Cancel stops the work on every queue before REVOKED is read: no process left, no file, no message.

Each task is caught at a known step of its real activity by a fault-injection pause (FAULT_PAUSES, inert in
production), on workers of the stack's isolated namespace, then cancelled through the API's own code.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from subprocess import Popen
from typing import Any

import httpx
import pytest
from pydantic import BaseModel
from sqlalchemy import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from api.routes.tasks import cancel
from api.schemas import TaskStatus
from api.task_starter import start_task
from api.task_state import task_state
from gaveurs.catalogue import AnySpec
from gaveurs.catalogue.exports import LOT_PDF_REPORT
from gaveurs.catalogue.maintenance import HEALTH_CHECK
from gaveurs.catalogue.ml import DETECT_ANOMALIES
from gaveurs.catalogue.notifications import SMS_ALERT
from gaveurs.contracts.exports import LotPdfReportInput
from gaveurs.contracts.ml import DetectAnomaliesInput
from gaveurs.contracts.notifications import SmsAlertInput
from gaveurs.contracts.system import HealthCheckInput
from gaveurs.db.models import Artifact
from gaveurs.db.session import make_engine, session_scope
from gaveurs.queues import TaskQueue
from tests.fixtures_stack import Stack, wait_for_pollers
from tests.processes import computing_children

PAUSES = {
    "render_lot_report.before_store": 60,
    "send_sms.before_provider": 60,
    "score_lot_anomalies.forest": 60,
    "check_database.probe": 60,
}


@dataclass
class PausedWorkers:
    client: Client
    process: Popen[bytes]


@pytest.fixture(scope="module")
async def paused(stack: Stack) -> AsyncIterator[PausedWorkers]:
    process = stack.spawn(
        "-m", "workers", "all", name=f"paused-workers-{stack.backend}", namespace=stack.isolated_namespace,
        FAULT_PAUSES=json.dumps(PAUSES),
    )  # fmt: skip
    client = await stack.client(stack.isolated_namespace)
    try:
        await wait_for_pollers(client, list(TaskQueue))
        yield PausedWorkers(client, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


async def paused_at(client: Client, spec: AnySpec, params: BaseModel, stage: str) -> TaskStatus:
    """Start the task and return once its activity reports it is at the pause (its heartbeat says so)."""
    task_id = (await start_task(client, spec, params)).task_id
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = await task_state(client, task_id)
        if state.status == "STARTED" and state.stage == stage and state.worker:
            return state
        assert state.status in {"PENDING", "STARTED"}, state
        await asyncio.sleep(0.1)
    raise AssertionError(f"{spec.name} never reached {stage!r}")


async def cancel_and_wait(client: Client, state: TaskStatus) -> tuple[TaskStatus, list[Any]]:
    await cancel(client, state.task_id)
    ended = await task_state(client, state.task_id, wait_s=30)
    history = await client.get_workflow_handle(state.workflow_id, run_id=state.run_id).fetch_history()
    return ended, [event.event_type for event in history.events]


async def test_cancelled_pdf_leaves_no_file_and_no_record(paused: PausedWorkers, stack: Stack) -> None:
    state = await paused_at(
        paused.client,
        LOT_PDF_REPORT,
        LotPdfReportInput(lot_id=3472, report_type="summary"),
        "enregistrement du fichier",
    )
    ended, events = await cancel_and_wait(paused.client, state)
    assert ended.status == "REVOKED"
    # The activity confirmed it stopped before the workflow closed (WAIT_CANCELLATION_COMPLETED).
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED in events
    assert not list((stack.root / "artifacts").rglob("lot_3472_summary_*.pdf"))
    engine = make_engine(stack.database_url)
    with session_scope(engine) as session:
        assert session.scalars(select(Artifact).where(Artifact.task_id == state.task_id)).all() == []
    engine.dispose()


async def test_cancelled_sms_is_never_sent(paused: PausedWorkers, stack: Stack) -> None:
    before = int(httpx.get(f"{stack.sink_url}/").json()["messages"])
    alert = SmsAlertInput(phone="+33611223344", message="annulé avant l'envoi", priority="high")
    state = await paused_at(paused.client, SMS_ALERT, alert, "envoi du SMS")
    ended, events = await cancel_and_wait(paused.client, state)
    assert ended.status == "REVOKED"
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED in events
    await asyncio.sleep(2)  # long enough for a stray send to land
    assert int(httpx.get(f"{stack.sink_url}/").json()["messages"]) == before


async def test_cancelled_forest_kills_its_process(paused: PausedWorkers) -> None:
    state = await paused_at(
        paused.client, DETECT_ANOMALIES, DetectAnomaliesInput(site_code="LL"), "Isolation Forest"
    )
    assert computing_children(paused.process.pid), "the forest should be running in a child process"
    ended, events = await cancel_and_wait(paused.client, state)
    assert ended.status == "REVOKED"
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED in events
    assert computing_children(paused.process.pid) == []


async def test_cancelled_health_check_is_revoked(paused: PausedWorkers) -> None:
    task_id = (await start_task(paused.client, HEALTH_CHECK, HealthCheckInput())).task_id
    await asyncio.sleep(1)
    await cancel(paused.client, task_id)
    assert (await task_state(paused.client, task_id, wait_s=30)).status == "REVOKED"
