"""A worker killed in the middle of a batch export: the next worker resumes after the last slice the dead one
checkpointed, and the zip holds exactly what an uninterrupted export of the same lots holds.

Runs in the stack's isolated namespace with exports workers of its own (the first one slowed down between
slices by a fault-injection pause, so the kill lands mid-batch)."""

from __future__ import annotations

import asyncio
import io
import json
import signal
import subprocess
import time
import zipfile

import httpx
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.client import Client, WorkflowHandle

from api.task_starter import start_task
from gaveurs.catalogue.exports import LOTS_BATCH_CSV
from gaveurs.contracts.exports import BatchLotsCsvInput, BatchLotsCsvResult
from gaveurs.exports.batch import BatchCheckpoint
from gaveurs.queues import TaskQueue
from tests.fixtures_stack import Stack, wait_for_pollers
from tests.waiting import wait_for_end

# 200 lots: 8 slices of 25, in two activities of four slices.
LOT_IDS = list(range(3301, 3501))
STEPS = "export_lots_batch_steps"


def exports_worker(stack: Stack, name: str, **env: str) -> subprocess.Popen[bytes]:
    return stack.spawn("-m", "workers", "exports", name=name, namespace=stack.isolated_namespace, **env)


async def checkpointed(client: Client, handle: WorkflowHandle[object, object], slices: int) -> str:
    """Wait until the running slices activity has heartbeated a checkpoint of `slices`; its worker's identity."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for pending in (await handle.describe()).raw_description.pending_activities:
            details = pending.heartbeat_details.payloads
            if (
                pending.activity_type.name == STEPS
                and pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
                and len(details) == 2
            ):
                (checkpoint,) = await client.data_converter.decode([details[1]], [BatchCheckpoint])
                if checkpoint.steps_done >= slices:
                    return pending.last_worker_identity
        await asyncio.sleep(0.2)
    raise AssertionError(f"the batch never checkpointed {slices} slices")


async def attempts(handle: WorkflowHandle[object, object], activity_type: str) -> list[int]:
    """The attempt number each scheduled `activity_type` activity finally ran with, in order."""
    history = await handle.fetch_history()
    scheduled = [
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == activity_type
    ]
    started = {
        e.activity_task_started_event_attributes.scheduled_event_id: e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    }
    return [started[event_id] for event_id in scheduled]


async def interrupted_batch(stack: Stack) -> tuple[BatchLotsCsvResult, list[int]]:
    client = await stack.client(stack.isolated_namespace)
    slow = exports_worker(
        stack, f"batch-worker-1-{stack.backend}",
        FAULT_PAUSES=json.dumps({"export_lots_batch_steps.after_step": 1.5}),
    )  # fmt: skip
    try:
        await wait_for_pollers(client, [TaskQueue.EXPORTS])
        started = await start_task(client, LOTS_BATCH_CSV, BatchLotsCsvInput(lot_ids=LOT_IDS))
        handle = client.get_workflow_handle(
            started.workflow_id, run_id=started.run_id, result_type=BatchLotsCsvResult
        )
        identity = await checkpointed(client, handle, slices=2)
        assert identity.endswith(f":{slow.pid}"), identity
    finally:
        slow.send_signal(signal.SIGKILL)
        slow.wait(timeout=30)

    successor = exports_worker(stack, f"batch-worker-2-{stack.backend}")
    try:
        result = await handle.result()
        return result, await attempts(handle, STEPS)
    finally:
        successor.terminate()
        successor.wait(timeout=30)


def members(api: httpx.Client, url: str) -> dict[str, bytes]:
    answer = api.get(url)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    return {name: archive.read(name) for name in archive.namelist()}


def test_a_killed_worker_mid_batch_hands_over_and_the_next_resumes(stack: Stack, api: httpx.Client) -> None:
    result, step_attempts = asyncio.run(interrupted_batch(stack))
    # The first slices activity died with its worker after checkpointing two slices at least; after the
    # heartbeat timeout a second attempt, on the new worker, resumed there; the second activity ran once.
    assert len(step_attempts) == 2 and step_attempts[0] >= 2 and step_attempts[1] == 1
    assert result.resumed_steps >= 2
    assert result.lots == len(LOT_IDS) and result.files["lots.csv"] == len(LOT_IDS)

    # The same lots exported without interruption (the stack's own workers, through the API).
    answer = api.post("/api/tasks/export/csv/batch", json={"lot_ids": LOT_IDS})
    straight = wait_for_end(api, answer.json()["task_id"])
    assert straight["status"] == "SUCCESS", straight
    assert straight["result"]["resumed_steps"] == 0 and straight["result"]["files"] == result.files
    # Byte for byte the same CSVs: no slice lost, none written twice.
    assert members(api, result.csv_url) == members(api, straight["result"]["csv_url"])
