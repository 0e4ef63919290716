"""Workers die and restart; tasks do not notice. Runs in the stack's isolated namespace with its own workers."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time

from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.client import Client, WorkflowHandle

from api.task_starter import start_task
from api.task_state import task_state
from gaveurs.catalogue.exports import LOT_PDF_REPORT
from gaveurs.catalogue.ml import TRAIN_PYSR
from gaveurs.contracts.exports import LotPdfReportInput, LotPdfReportResult
from gaveurs.contracts.ml import SymbolicCheckpoint, SymbolicRegressionResult, TrainSymbolicRegressionInput
from gaveurs.queues import TaskQueue
from tests.fixtures_stack import Stack, wait_for_pollers


def start_worker(stack: Stack, queue: TaskQueue, name: str, **env: str) -> subprocess.Popen[bytes]:
    return stack.spawn("-m", "workers", queue.value, name=name, namespace=stack.isolated_namespace, **env)


async def wait_for_checkpoint(client: Client, handle: WorkflowHandle[object, object], restarts: int) -> str:
    """Until the fit has heartbeated a checkpoint of at least `restarts`; returns the worker running it."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        description = await handle.describe()
        for pending in description.raw_description.pending_activities:
            details = pending.heartbeat_details.payloads
            if (
                pending.activity_type.name == "fit_symbolic_regression"
                and pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
                and len(details) == 2
            ):
                (checkpoint,) = await client.data_converter.decode([details[1]], [SymbolicCheckpoint])
                if checkpoint.restarts_done >= restarts:
                    return pending.last_worker_identity
        await asyncio.sleep(0.2)
    raise AssertionError(f"the fit never checkpointed {restarts} restart(s)")


async def attempts_of(handle: WorkflowHandle[object, object], activity_type: str) -> int:
    history = await handle.fetch_history()
    scheduled = {
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == activity_type
    }
    return max(
        e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and e.activity_task_started_event_attributes.scheduled_event_id in scheduled
    )


async def interrupted_fit(
    stack: Stack, lot_id: int, interrupt: signal.Signals
) -> tuple[SymbolicRegressionResult, int]:
    client = await stack.client(stack.isolated_namespace)
    first = start_worker(stack, TaskQueue.ML_HEAVY, f"fit-worker-{interrupt.name}-1-{stack.backend}")
    await wait_for_pollers(client, [TaskQueue.ML_HEAVY])
    started = await start_task(
        client, TRAIN_PYSR, TrainSymbolicRegressionInput(lot_id=lot_id, restarts=8, generations=300)
    )
    handle = client.get_workflow_handle(
        started.workflow_id, run_id=started.run_id, result_type=SymbolicRegressionResult
    )

    identity = await wait_for_checkpoint(client, handle, restarts=2)
    assert identity.endswith(f":{first.pid}"), identity
    before = await task_state(client, started.task_id)
    first.send_signal(interrupt)
    exit_code = first.wait(timeout=30)
    if interrupt == signal.SIGTERM:
        assert exit_code == 0

    # No worker holds the task now: status still answers at once, with the progress it had.
    began = time.perf_counter()
    orphan = await task_state(client, started.task_id)
    assert time.perf_counter() - began < 1.0
    assert before.progress is not None and orphan.progress is not None
    if interrupt == signal.SIGKILL:
        # The server still counts the dead worker's attempt as running until its heartbeat timeout.
        assert orphan.status == "STARTED" and orphan.progress >= before.progress
    else:
        # The worker gave the attempt back on its way out: it waits for the next one. The server drops a
        # failed attempt's heartbeat from describe() (it keeps it for the next attempt), so only the stage shows.
        assert orphan.status == "RETRY" and orphan.stage == "régression symbolique"

    second = start_worker(stack, TaskQueue.ML_HEAVY, f"fit-worker-{interrupt.name}-2-{stack.backend}")
    try:
        result = await handle.result()
        return result, await attempts_of(handle, "fit_symbolic_regression")
    finally:
        second.terminate()
        second.wait(timeout=30)


def test_a_killed_worker_hands_the_fit_over_and_the_new_one_resumes(stack: Stack) -> None:
    result, attempts = asyncio.run(interrupted_fit(stack, 3480, signal.SIGKILL))
    # The first attempt died with its worker; the heartbeat timeout handed the fit to the new worker, which
    # resumed after the restarts the dead one had checkpointed instead of starting over.
    assert attempts >= 2
    assert result.resumed_restarts >= 2
    assert result.r2_score >= 0.95 and result.status == "success"


def test_sigterm_shorter_than_the_fit_hands_it_over_without_loss(stack: Stack) -> None:
    result, attempts = asyncio.run(interrupted_fit(stack, 3481, signal.SIGTERM))
    # The 5 s grace is shorter than the fit: the worker exits cleanly and the fit continues elsewhere,
    # from its checkpoint.
    assert attempts >= 2 and result.resumed_restarts >= 2 and result.r2_score >= 0.95


def test_sigterm_lets_an_activity_that_fits_in_the_grace_finish(stack: Stack) -> None:
    async def drained() -> tuple[LotPdfReportResult, int]:
        client = await stack.client(stack.isolated_namespace)
        worker = start_worker(
            stack, TaskQueue.EXPORTS, f"drain-worker-{stack.backend}",
            FAULT_PAUSES=json.dumps({"render_lot_report.before_store": 3}), WORKER_GRACEFUL_SHUTDOWN_S="30",
        )  # fmt: skip
        await wait_for_pollers(client, [TaskQueue.EXPORTS])
        started = await start_task(
            client, LOT_PDF_REPORT, LotPdfReportInput(lot_id=3472, report_type="summary")
        )
        while (await task_state(client, started.task_id)).stage != "enregistrement du fichier":
            await asyncio.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0  # it waited for the render, then exited cleanly
        successor = start_worker(stack, TaskQueue.EXPORTS, f"drain-successor-{stack.backend}")
        try:
            handle = client.get_workflow_handle(
                started.workflow_id, run_id=started.run_id, result_type=LotPdfReportResult
            )
            return await handle.result(), await attempts_of(handle, "render_lot_report")
        finally:
            successor.terminate()
            successor.wait(timeout=30)

    result, attempts = asyncio.run(drained())
    assert attempts == 1, "the render should have finished during the grace period, not been retried"
    assert result.file_size > 0
