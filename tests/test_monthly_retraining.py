"""monthly_ml_models_retraining starts retrain-all as a child exactly as its catalogue row says.

retrain_all_ml_models_async belongs to the ML domain; here a stand-in row of the same name (queue ml_heavy,
an input with no required field, a result model) and a stand-in workflow take its place, so the monthly
workflow's part is tested on its own: the child's id, queue, search attributes, timeout and input, the result
handed back, a failing child failing the month, a cancel reaching the child, a missing row refused. Real
server and real production worker for the monthly workflow (sandboxed, as deployed), in a fresh namespace.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Literal

import pytest
from pydantic import BaseModel
from temporalio import workflow
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.exceptions import ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from api.routes.tasks import cancel
from api.schemas import TaskStatus
from api.task_starter import start_task
from api.task_state import task_state
from gaveurs.catalogue import CATALOGUE
from gaveurs.catalogue.maintenance import MONTHLY_RETRAINING
from gaveurs.catalogue.spec import TaskSpec
from gaveurs.contracts.maintenance import MonthlyRetrainingInput
from gaveurs.queues import TaskQueue
from gaveurs.search_attributes import QUEUE, SITE_CODE, TASK_NAME, lot_and_site
from gaveurs.settings import Settings
from gaveurs.temporal_server import DevServer
from tests.namespaces import fresh_namespace
from workers.registry import QueueWorkload
from workers.run import build_worker
from workflows.default.monthly_retraining import RETRAIN_ALL_TASK, MonthlyMlRetrainingWorkflow

Outcome = Literal["ok", "fail", "hold"]


class StandInInput(BaseModel):
    outcome: Outcome = "ok"


class FailingInput(StandInInput):
    outcome: Outcome = "fail"


class HoldingInput(StandInInput):
    outcome: Outcome = "hold"


class StandInResult(BaseModel):
    status: Literal["success"] = "success"
    models_trained: int


def stand_in_row(input_model: type[StandInInput]) -> TaskSpec[StandInInput, StandInResult]:
    return TaskSpec(
        name=RETRAIN_ALL_TASK,
        queue=TaskQueue.ML_HEAVY,
        input=input_model,
        result=StandInResult,
        started_message="stand-in retraining started",
        execution_timeout=timedelta(minutes=7),
        example=input_model(),
        id_prefix="retrain-all",
        attributes=lambda _p: lot_and_site(site_code="LL"),
    )


@workflow.defn(name=RETRAIN_ALL_TASK)
class StandInRetrainAll:
    @workflow.run
    async def run(self, params: StandInInput) -> StandInResult:
        if params.outcome == "fail":
            raise ApplicationError("no gaveur to cluster", type="InsufficientData", non_retryable=True)
        if params.outcome == "hold":
            await workflow.wait_condition(lambda: False)
        return StandInResult(models_trained=13)


@pytest.fixture(scope="module")
async def client(temporal_server: DevServer) -> AsyncIterator[Client]:
    async with fresh_namespace(temporal_server, "monthly") as client:
        monthly = QueueWorkload(TaskQueue.DEFAULT, (MonthlyMlRetrainingWorkflow,), ())
        with ThreadPoolExecutor(4) as executor:
            # Unsandboxed: the sandbox would re-import this test module to run the stand-in.
            stand_in = Worker(
                client,
                task_queue=TaskQueue.ML_HEAVY.value,
                workflows=[StandInRetrainAll],
                workflow_runner=UnsandboxedWorkflowRunner(),
            )
            async with (
                build_worker(client, monthly, Settings(worker_graceful_shutdown_s=1), executor),
                stand_in,
            ):
                yield client


async def run_month(client: Client, row: TaskSpec[StandInInput, StandInResult] | None) -> TaskStatus:
    with pytest.MonkeyPatch.context() as patch:
        if row is None:
            patch.delitem(CATALOGUE, RETRAIN_ALL_TASK, raising=False)
        else:
            patch.setitem(CATALOGUE, RETRAIN_ALL_TASK, row)
        submitted = await start_task(client, MONTHLY_RETRAINING, MonthlyRetrainingInput())
        return await task_state(client, submitted.task_id, wait_s=30)


async def test_the_child_is_started_from_the_row_and_its_result_is_the_months(client: Client) -> None:
    ended = await run_month(client, stand_in_row(StandInInput))
    assert ended.status == "SUCCESS", ended
    assert isinstance(ended.result, BaseModel)
    result = ended.result.model_dump(mode="json")
    assert result["child_workflow_id"] == f"{ended.workflow_id}-retrain-all"
    assert result["retrain"] == {"status": "success", "models_trained": 13}

    with pytest.MonkeyPatch.context() as patch:
        # Read back as an uncatalogued workflow's (raw JSON): the stand-in's result is not retrain-all's shape.
        patch.delitem(CATALOGUE, RETRAIN_ALL_TASK)
        child = await task_state(client, result["child_task_id"])
    assert (child.status, child.task_name, child.queue) == ("SUCCESS", RETRAIN_ALL_TASK, "ml_heavy")
    described = await client.get_workflow_handle(child.workflow_id, run_id=child.run_id).describe()
    info = described.raw_description.workflow_execution_info
    assert info.parent_execution.workflow_id == ended.workflow_id
    assert described.raw_description.execution_config.workflow_execution_timeout.ToTimedelta() == timedelta(
        minutes=7
    )
    attributes = described.typed_search_attributes
    assert (attributes.get(TASK_NAME), attributes.get(QUEUE), attributes.get(SITE_CODE)) == (
        RETRAIN_ALL_TASK,
        "ml_heavy",
        "LL",
    )


async def test_a_failing_retraining_fails_the_month_with_its_reason(client: Client) -> None:
    ended = await run_month(client, stand_in_row(FailingInput))
    assert ended.status == "FAILURE" and ended.error == "InsufficientData: no gaveur to cluster"


async def test_cancelling_the_month_cancels_the_retraining(client: Client) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(CATALOGUE, RETRAIN_ALL_TASK, stand_in_row(HoldingInput))
        submitted = await start_task(client, MONTHLY_RETRAINING, MonthlyRetrainingInput())
        child_id = f"{submitted.workflow_id}-retrain-all"
        for _ in range(100):
            state = await task_state(client, submitted.task_id)
            if state.stage and state.stage.startswith("réentraînement de tous les modèles"):
                break
            await asyncio.sleep(0.1)
        assert state.stage is not None and child_id in state.stage  # the stage names the child's task_id
        await cancel(client, submitted.task_id)
        assert (await task_state(client, submitted.task_id, wait_s=30)).status == "REVOKED"
    child = await client.get_workflow_handle(child_id).describe()
    assert child.status == WorkflowExecutionStatus.CANCELED


async def test_without_a_retrain_all_row_the_month_fails_at_once_saying_so(client: Client) -> None:
    ended = await run_month(client, None)
    assert ended.status == "FAILURE"
    assert ended.error is not None and ended.error.startswith(f"TaskNotCatalogued: {RETRAIN_ALL_TASK} is not")
