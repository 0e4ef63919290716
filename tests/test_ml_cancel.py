"""Cancelling an ML task stops its work: the fit's process is killed, retrain-all's children are cancelled.

Each task is caught at a known step of its real child process by a fault-injection pause (FAULT_PAUSES, inert
in production), on workers of the stack's isolated namespace, then cancelled through the API's own code.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from subprocess import Popen

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError

from api.routes.tasks import cancel
from api.task_starter import start_task
from api.task_state import task_state
from gaveurs.catalogue.ml import ABATTAGE_PLANNING, DEMO_TODAY, FEEDING_CURVE, RETRAIN_ALL
from gaveurs.contracts.ml import AbattagePlanningInput, OptimizeFeedingCurveInput
from gaveurs.contracts.ml_runs import RetrainAllInput
from gaveurs.queues import TaskQueue
from tests.fixtures_stack import Stack, wait_for_pollers
from tests.processes import computing_children
from tests.test_cancel import cancel_and_wait, paused_at

PAUSES = {
    "optimize_feeding_curve.fit": 60,
    "optimize_abattage_planning.solve": 60,
    "score_lot_anomalies.forest": 60,
}
# The overall progress of a fit paused right after loading: its stage's band (5–90/95) at the child's 5 %.
LOADED_PERCENT = 5


@dataclass
class PausedWorkers:
    client: Client
    process: Popen[bytes]


@pytest.fixture(scope="module")
async def paused(stack: Stack) -> AsyncIterator[PausedWorkers]:
    process = stack.spawn(
        "-m", "workers", "all", name=f"ml-paused-workers-{stack.backend}", namespace=stack.isolated_namespace,
        FAULT_PAUSES=json.dumps(PAUSES),
    )  # fmt: skip
    client = await stack.client(stack.isolated_namespace)
    try:
        await wait_for_pollers(client, list(TaskQueue))
        yield PausedWorkers(client, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


async def test_cancelled_feeding_curve_fit_kills_its_process(paused: PausedWorkers) -> None:
    state = await paused_at(
        paused.client,
        FEEDING_CURVE,
        OptimizeFeedingCurveInput(lot_id=3472),
        "apprentissage des modèles de qualité",
    )
    # The stage and percentage come from the child process's own reports, through the activity's heartbeats.
    assert state.progress == 5 + (95 - 5) * LOADED_PERCENT // 100
    assert computing_children(paused.process.pid), "the fit should be running in a child process"
    ended, events = await cancel_and_wait(paused.client, state)
    assert ended.status == "REVOKED"
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED in events
    assert computing_children(paused.process.pid) == []


async def test_cancelled_planning_kills_its_process_and_stores_no_plan(paused: PausedWorkers) -> None:
    params = AbattagePlanningInput(
        date_debut=DEMO_TODAY, date_fin=DEMO_TODAY + timedelta(days=20), today=DEMO_TODAY
    )
    state = await paused_at(paused.client, ABATTAGE_PLANNING, params, "préparation du plan")
    assert state.progress == 5 + (90 - 5) * LOADED_PERCENT // 100
    assert computing_children(paused.process.pid)
    ended, events = await cancel_and_wait(paused.client, state)
    assert ended.status == "REVOKED"
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED in events
    assert computing_children(paused.process.pid) == []
    # The store step (a local activity, recorded as a marker) never ran: no plan was written.
    assert EventType.EVENT_TYPE_MARKER_RECORDED not in events


async def test_cancelling_retrain_all_cancels_its_running_children(paused: PausedWorkers) -> None:
    client = paused.client
    # Two lanes: the clustering finishes, then both lanes sit in an anomaly forest (paused); Prophet waits.
    params = RetrainAllInput(site_codes=["LL", "LS"], horizons=[7], max_parallel=2)
    submitted = await start_task(client, RETRAIN_ALL, params)
    parent = client.get_workflow_handle(submitted.workflow_id, run_id=submitted.run_id)
    tag = submitted.task_id.rsplit(".", 1)[1]
    forests = [f"detect-anomalies-{site}-retrain-{tag}" for site in ("LL", "LS")]
    prophets = [f"train-prophet-{site}-7d-retrain-{tag}" for site in ("LL", "LS")]

    deadline = time.monotonic() + 90
    while True:
        state = await task_state(client, submitted.task_id)
        assert state.status in {"PENDING", "STARTED"}, state
        paused_children = 0
        for child_id in forests:
            try:
                child = await task_state(client, child_id)
            except Exception:
                continue
            paused_children += child.status == "STARTED" and child.stage == "Isolation Forest"
        if paused_children == 2:
            break
        assert time.monotonic() < deadline, f"the forests never both started: {state}"
        await asyncio.sleep(0.2)
    assert state.stage == "réentraînement : 1/5 modèles terminés" and state.progress == 5 + 90 * 1 // 5
    assert await parent.query("progress") is not None

    await cancel(client, submitted.task_id)
    ended = await task_state(client, submitted.task_id, wait_s=60)
    assert ended.status == "REVOKED", ended
    for child_id in forests:
        described = await client.get_workflow_handle(child_id).describe()
        assert described.status == WorkflowExecutionStatus.CANCELED, child_id
        assert described.parent_id == submitted.workflow_id
    for child_id in prophets:  # never started: cancelled before their turn
        with pytest.raises(RPCError):
            await client.get_workflow_handle(child_id).describe()
    assert computing_children(paused.process.pid) == []
