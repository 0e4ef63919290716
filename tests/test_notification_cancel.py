"""A cancelled notification sends nothing: caught before the provider call, or while waiting for a send slot.

The tasks run on workers of the stack's isolated namespace whose activities pause at a named point just
before the provider call (FAULT_PAUSES, inert in production), and whose SMS rate is one every ten seconds,
so a second SMS waits for its slot long enough to be cancelled there. They are cancelled through the API's
own code; REVOKED must come with the activity's own confirmation that it stopped.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from subprocess import Popen

import httpx
import pytest
from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from api.routes.tasks import cancel
from api.schemas import TaskStatus
from api.task_starter import start_task
from api.task_state import task_state
from gaveurs.catalogue import AnySpec
from gaveurs.catalogue.notifications import DAILY_SUMMARY, EMAIL_NOTIFICATION, SMS_ALERT
from gaveurs.contracts.notifications import DailySummaryInput, EmailNotificationInput, SmsAlertInput
from gaveurs.farm.generator import FarmData
from gaveurs.queues import TaskQueue
from tests.fixtures_stack import Stack, wait_for_pollers

PAUSES = {"send_email.before_provider": 60, "send_daily_summary_email.before_provider": 60}
SMS_EVERY_S = 10.0


@dataclass
class PausedWorkers:
    client: Client
    process: Popen[bytes]


@pytest.fixture(scope="module")
async def paused(stack: Stack) -> AsyncIterator[PausedWorkers]:
    process = stack.spawn(
        "-m", "workers", TaskQueue.NOTIFICATIONS.value, name=f"paused-notifications-{stack.backend}",
        namespace=stack.isolated_namespace, FAULT_PAUSES=json.dumps(PAUSES),
        SMS_PER_SECOND=str(1 / SMS_EVERY_S), SMS_BURST="1",
    )  # fmt: skip
    client = await stack.client(stack.isolated_namespace)
    try:
        await wait_for_pollers(client, [TaskQueue.NOTIFICATIONS])
        yield PausedWorkers(client, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


async def running(client: Client, spec: AnySpec, params: BaseModel, stage: str) -> TaskStatus:
    """Start the task and return once a worker runs its activity and reports `stage` (a heartbeat)."""
    task_id = (await start_task(client, spec, params)).task_id
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = await task_state(client, task_id)
        if state.status == "STARTED" and state.stage == stage and state.worker:
            return state
        assert state.status in {"PENDING", "STARTED"}, state
        await asyncio.sleep(0.1)
    raise AssertionError(f"{spec.name} never reached {stage!r}")


async def cancel_and_wait(client: Client, state: TaskStatus) -> tuple[TaskStatus, list[int]]:
    await cancel(client, state.task_id)
    ended = await task_state(client, state.task_id, wait_s=30)
    history = await client.get_workflow_handle(state.workflow_id, run_id=state.run_id).fetch_history()
    return ended, [event.event_type for event in history.events]


def received(url: str, to: str) -> int:
    return len(httpx.get(f"{url}/messages", params={"to": to, "limit": 1000}).json()["messages"])


async def test_an_email_cancelled_just_before_sending_is_never_sent(
    paused: PausedWorkers, stack: Stack
) -> None:
    address = f"annule.{uuid.uuid4().hex[:8]}@gaveurs.example.fr"
    params = EmailNotificationInput(to_email=address, subject="Annulé", body_html="<p>jamais envoyé</p>")
    state = await running(paused.client, EMAIL_NOTIFICATION, params, "envoi de l'e-mail")
    ended, events = await cancel_and_wait(paused.client, state)
    assert ended.status == "REVOKED"
    # The activity itself confirmed it stopped before the workflow closed (WAIT_CANCELLATION_COMPLETED).
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED in events
    await asyncio.sleep(2)  # long enough for a stray send to land
    assert received(stack.mail_url, address) == 0


async def test_a_cancelled_daily_summary_stops_every_recipients_step(
    paused: PausedWorkers, stack: Stack, small_farm: FarmData
) -> None:
    before = len(httpx.get(f"{stack.mail_url}/messages", params={"limit": 10_000}).json()["messages"])
    params = DailySummaryInput(day=DAILY_SUMMARY.example.day)
    state = await running(paused.client, DAILY_SUMMARY, params, "envoi des bilans du jour")
    ended, events = await cancel_and_wait(paused.client, state)
    assert ended.status == "REVOKED"
    # Nine managers, nine steps: each confirmed its cancel before the task closed, except the planted
    # malformed address's, which had failed at once without reaching the mail server.
    malformed = len(small_farm.truths.manager_contact_faults.invalid_email_ids)
    assert events.count(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED) == 9 - malformed
    assert events.count(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) == malformed
    await asyncio.sleep(2)
    after = len(httpx.get(f"{stack.mail_url}/messages", params={"limit": 10_000}).json()["messages"])
    assert after == before


async def test_an_sms_cancelled_while_it_waits_for_the_shared_rate_is_never_sent(
    paused: PausedWorkers, stack: Stack
) -> None:
    phone = f"+33612{uuid.uuid4().int % 10**6:06d}"
    # The first SMS takes the bucket's one token (after waiting for it, if other tests emptied it)…
    first = await start_task(paused.client, SMS_ALERT, SmsAlertInput(phone=phone, message="premier"))
    assert (await task_state(paused.client, first.task_id, wait_s=SMS_EVERY_S + 20)).status == "SUCCESS"
    # … so the second waits about ten seconds for its slot, heartbeating: cancelled there, it never goes.
    second = await running(
        paused.client, SMS_ALERT, SmsAlertInput(phone=phone, message="second"), "envoi du SMS"
    )
    await asyncio.sleep(1)
    began = time.monotonic()
    ended, events = await cancel_and_wait(paused.client, second)
    assert ended.status == "REVOKED" and EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED in events
    assert time.monotonic() - began < SMS_EVERY_S / 2  # stopped in its wait, not after it
    await asyncio.sleep(2)
    bodies = [
        m["body"]
        for m in httpx.get(f"{stack.sink_url}/_sink/messages", params={"to": phone}).json()["messages"]
    ]
    assert bodies == ["premier"]
