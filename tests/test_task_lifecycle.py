"""The shared task machinery, on workflows that misbehave on purpose: every state is exact, nothing hangs.

Real server, real workers (in this process, built by the same `build_worker` as production), the API's own
state and cancel code; only the workflows are test-made (tests/lifecycle_workflows.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from temporalio.client import Client

from api.routes.tasks import cancel
from api.schemas import TaskStatus
from api.task_starter import start_task
from api.task_state import TERMINAL_STATES, task_state
from gaveurs.queues import TaskQueue
from gaveurs.settings import Settings
from gaveurs.temporal_client import data_converter
from gaveurs.temporal_server import DevServer
from tests.fixtures_stack import LIFECYCLE_NAMESPACE
from tests.lifecycle_workflows import (
    HASTY_PROBE,
    PROBE,
    UNSERVED_PROBE,
    ProbeInput,
    ProbeWorkflow,
    probe_step,
)
from workers.registry import QueueWorkload
from workers.run import build_worker


@pytest.fixture(scope="module")
async def client(temporal_server: DevServer) -> AsyncIterator[Client]:
    client = await Client.connect(
        temporal_server.address, namespace=LIFECYCLE_NAMESPACE, data_converter=data_converter(Settings())
    )
    workload = QueueWorkload(TaskQueue.DEFAULT, (ProbeWorkflow,), (probe_step,))
    with ThreadPoolExecutor(10) as executor:
        worker = build_worker(client, workload, Settings(worker_graceful_shutdown_s=1), executor)
        async with worker:
            yield client


async def until(client: Client, task_id: str, wanted: set[str], timeout: float = 30.0) -> TaskStatus:
    deadline = time.monotonic() + timeout
    while True:
        state = await task_state(client, task_id)
        if state.status in wanted:
            return state
        assert state.status not in TERMINAL_STATES, (
            f"ended {state.status} while waiting for {wanted}: {state}"
        )
        assert time.monotonic() < deadline, f"still {state.status} after {timeout}s, waiting for {wanted}"
        await asyncio.sleep(0.1)


async def start(client: Client, spec: Any, **inputs: Any) -> str:
    return (await start_task(client, spec, ProbeInput(**inputs))).task_id


async def test_a_bug_in_workflow_code_fails_the_task_and_the_same_work_runs_again(client: Client) -> None:
    broken = await start(client, PROBE, key="bug", break_workflow=True)
    failed = await task_state(client, broken, wait_s=20)
    assert failed.status == "FAILURE"
    assert failed.error is not None and "KeyError" in failed.error and "planted bug" in failed.error

    # The readable id is free again: the same work (same workflow id) runs as a new task.
    fixed = await start_task(client, PROBE, ProbeInput(key="bug"))
    assert fixed.workflow_id == failed.workflow_id and fixed.task_id != broken and not fixed.existing
    assert (await task_state(client, fixed.task_id, wait_s=20)).status == "SUCCESS"


async def test_pending_until_a_worker_takes_it_and_cancelling_it_revokes_at_once(client: Client) -> None:
    task_id = await start(client, UNSERVED_PROBE, key="nobody")
    pending = await task_state(client, task_id)
    assert (pending.status, pending.progress, pending.worker) == ("PENDING", None, None)

    answer = await cancel(client, task_id)
    assert answer.status == "cancelled" and answer.task_id == task_id
    # Nothing had started, so nothing needs stopping: REVOKED now, not whenever a worker comes along.
    revoked = await task_state(client, task_id)
    assert revoked.status == "REVOKED" and revoked.error == "Terminated: cancelled before it started"


async def test_started_with_its_stage_then_cancelled_while_running(client: Client) -> None:
    task_id = await start(client, PROBE, key="long", sleep_s=60)
    started = await until(client, task_id, {"STARTED"})
    assert started.stage == "étape unique" and started.progress == 10
    started = await until(client, task_id, {"STARTED"})
    while started.worker is None:
        started = await until(client, task_id, {"STARTED"})
    assert started.worker.startswith("default@")

    await cancel(client, task_id)
    revoked = await task_state(client, task_id, wait_s=20)
    assert revoked.status == "REVOKED" and revoked.completed_at is not None


async def test_retry_shows_the_attempts_the_next_one_and_the_last_error(client: Client) -> None:
    task_id = await start(client, PROBE, key="flaky", failures=2)
    retrying = await until(client, task_id, {"RETRY"})
    assert retrying.retries is not None and retrying.retries >= 1
    assert retrying.error in {f"ComputationCrashed: planted failure {n} of 2" for n in (1, 2)}
    assert retrying.eta is not None and retrying.eta > retrying.started_at  # type: ignore[operator]
    done = await task_state(client, task_id, wait_s=30)
    assert done.status == "SUCCESS"
    assert done.result == {"key": "flaky", "attempt": 3}  # not catalogued: its raw JSON


async def test_a_task_past_its_execution_timeout_fails(client: Client) -> None:
    task_id = await start(client, HASTY_PROBE, key="slow", sleep_s=60)
    failed = await task_state(client, task_id, wait_s=20)
    assert failed.status == "FAILURE"
    assert failed.error is not None and failed.error.startswith("Timeout")


async def test_a_terminated_task_reads_revoked_with_the_reason(client: Client) -> None:
    submitted = await start_task(client, PROBE, ProbeInput(key="terminated", sleep_s=60))
    await until(client, submitted.task_id, {"STARTED"})
    await client.get_workflow_handle(submitted.workflow_id, run_id=submitted.run_id).terminate(reason="drill")
    state = await task_state(client, submitted.task_id)
    assert state.status == "REVOKED" and state.error == "Terminated: drill"


async def test_a_task_id_keeps_naming_its_run(client: Client) -> None:
    first = await start_task(client, PROBE, ProbeInput(key="twice"))
    assert (await task_state(client, first.task_id, wait_s=20)).status == "SUCCESS"
    second = await start_task(client, PROBE, ProbeInput(key="twice", sleep_s=0.5))
    assert second.workflow_id == first.workflow_id and second.task_id != first.task_id
    assert not second.existing

    # The old task_id still reads the old run (its result), the bare workflow id the latest.
    old = await task_state(client, first.task_id)
    assert (old.status, old.run_id) == ("SUCCESS", first.run_id)
    latest = await task_state(client, first.workflow_id, wait_s=20)
    assert (latest.run_id, latest.task_id) == (second.run_id, second.task_id)


async def test_an_idempotency_key_answers_with_its_first_run_even_after_it_ended(client: Client) -> None:
    first = await start_task(client, PROBE, ProbeInput(key="keyed", sleep_s=1), idempotency_key="req-1")
    again = await start_task(client, PROBE, ProbeInput(key="keyed", sleep_s=1), idempotency_key="req-1")
    assert again.task_id == first.task_id and again.existing and again.already_running
    assert (await task_state(client, first.task_id, wait_s=20)).status == "SUCCESS"
    later = await start_task(client, PROBE, ProbeInput(key="keyed", sleep_s=1), idempotency_key="req-1")
    assert later.task_id == first.task_id and later.existing and not later.already_running
    other = await start_task(client, PROBE, ProbeInput(key="keyed", sleep_s=1), idempotency_key="req-2")
    assert other.task_id != first.task_id and not other.existing
    assert (await task_state(client, other.task_id, wait_s=20)).status == "SUCCESS"
