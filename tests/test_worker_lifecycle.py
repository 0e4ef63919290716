"""Workers die and restart; tasks do not notice. Runs in its own namespace with its own worker processes."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time

from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.client import Client, WorkflowHandle

from api.task_starter import start_task
from gaveurs.catalogue.ml import TRAIN_PYSR
from gaveurs.contracts.ml import SymbolicRegressionResult, TrainSymbolicRegressionInput
from gaveurs.queues import TaskQueue
from tests.fixtures_stack import ISOLATED_NAMESPACE, Stack, wait_for_pollers


def start_worker(stack: Stack, name: str) -> subprocess.Popen[bytes]:
    return stack.spawn("-m", "workers", "ml_heavy", name=name, namespace=ISOLATED_NAMESPACE)


async def wait_for_running_fit(handle: WorkflowHandle[object, object], timeout: float = 60.0) -> str:
    """Until the fit activity runs and has heartbeated; returns the worker identity running it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        description = await handle.describe()
        for pending in description.raw_description.pending_activities:
            if (
                pending.activity_type.name == "fit_symbolic_regression"
                and pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
                and pending.HasField("last_heartbeat_time")
            ):
                return pending.last_worker_identity
        await asyncio.sleep(0.2)
    raise AssertionError("the fit activity never started")


async def fit_attempts(handle: WorkflowHandle[object, object]) -> int:
    history = await handle.fetch_history()
    scheduled = {
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == "fit_symbolic_regression"
    }
    return max(
        e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and e.activity_task_started_event_attributes.scheduled_event_id in scheduled
    )


async def run_until_interrupted(
    stack: Stack, lot_id: int, interrupt: signal.Signals
) -> tuple[int, int | None]:
    client: Client = await stack.client(ISOLATED_NAMESPACE)
    first = start_worker(stack, f"worker-{interrupt.name}-1")
    await wait_for_pollers(client, [TaskQueue.ML_HEAVY])
    params = TrainSymbolicRegressionInput(lot_id=lot_id, restarts=6, generations=300)
    started = await start_task(client, TRAIN_PYSR, params)
    handle = client.get_workflow_handle(
        started.workflow_id, run_id=started.run_id, result_type=SymbolicRegressionResult
    )

    identity = await wait_for_running_fit(handle)
    assert identity.endswith(f":{first.pid}"), identity
    first.send_signal(interrupt)
    exit_code = first.wait(timeout=30) if interrupt == signal.SIGTERM else None
    if interrupt == signal.SIGKILL:
        first.wait(timeout=10)

    second = start_worker(stack, f"worker-{interrupt.name}-2")
    try:
        result = await handle.result()
        assert result.status == "success" and result.r2_score >= 0.95
        return await fit_attempts(handle), exit_code
    finally:
        second.terminate()
        second.wait(timeout=30)


def test_task_survives_a_killed_worker(stack: Stack) -> None:
    attempts, _ = asyncio.run(run_until_interrupted(stack, 3480, signal.SIGKILL))
    # The first attempt died with its worker; the heartbeat timeout handed the fit to the new worker.
    assert attempts >= 2


def test_sigterm_shuts_a_worker_down_gracefully_and_loses_nothing(stack: Stack) -> None:
    attempts, exit_code = asyncio.run(run_until_interrupted(stack, 3481, signal.SIGTERM))
    assert exit_code == 0
    assert attempts >= 1
