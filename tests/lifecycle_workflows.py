"""Workflows that misbehave on purpose, to test the shared task machinery (states, failures, cancel, ids).

They are built exactly like the real ones (a catalogue-style row, `@task_workflow`, the option presets) but
are never catalogued: tests run them on their own workers in a namespace of their own.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow

from gaveurs.catalogue.spec import TaskSpec
from gaveurs.errors import ComputationCrashed
from gaveurs.queues import TaskQueue
from workflows._options import CHECK, SEND, execute, retry_policy
from workflows._task import TaskWorkflow, task_workflow


class ProbeInput(BaseModel):
    key: str
    break_workflow: bool = False  # raise a KeyError in workflow code
    failures: int = 0  # the activity fails this many times before succeeding
    sleep_s: float = 0.0  # the activity heartbeats this long before answering


class ProbeResult(BaseModel):
    key: str
    attempt: int


PROBE = TaskSpec(
    name="test_probe",
    queue=TaskQueue.DEFAULT,
    input=ProbeInput,
    result=ProbeResult,
    started_message="probe started",
    execution_timeout=timedelta(minutes=5),
    example=ProbeInput(key="example"),
    id_prefix="probe",
    work_id=lambda p: f"probe-{p.key}",
)
# The same workflow type with a deadline shorter than its work: it must end in FAILURE, not hang.
HASTY_PROBE = replace(
    PROBE, execution_timeout=timedelta(seconds=2), id_prefix="hasty", work_id=lambda p: f"hasty-{p.key}"
)
# Nothing polls this queue in the lifecycle namespace: its tasks stay PENDING.
UNSERVED_PROBE = replace(
    PROBE, queue=TaskQueue.NOTIFICATIONS, id_prefix="unserved", work_id=lambda p: f"unserved-{p.key}"
)


@activity.defn(name="probe_step")
async def probe_step(params: ProbeInput) -> ProbeResult:
    attempt = activity.info().attempt
    if attempt <= params.failures:
        raise ComputationCrashed.error(f"planted failure {attempt} of {params.failures}")
    deadline = asyncio.get_running_loop().time() + params.sleep_s
    while asyncio.get_running_loop().time() < deadline:
        activity.heartbeat()
        await asyncio.sleep(0.1)
    return ProbeResult(key=params.key, attempt=attempt)


# Retries slow enough to watch the RETRY state, fast enough that a test that waits for success finishes.
PROBE_STEP = replace(SEND, retry=retry_policy(initial_s=2.0, maximum_s=4.0, attempts=5))


@task_workflow(PROBE)
class ProbeWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: ProbeInput) -> ProbeResult:
        self.stage("étape unique", 10, 90)
        if params.break_workflow:
            params.model_dump()["planted bug"]  # a KeyError in workflow code, as a real bug would raise
        result = await execute(probe_step, params, PROBE_STEP)
        self.finish()
        return result


with workflow.unsafe.imports_passed_through():
    from activities.default.health_check import check_artifact_store, check_database, check_task_queues
    from gaveurs.catalogue.maintenance import HEALTH_CHECK
    from gaveurs.contracts.system import HealthCheckInput, HealthCheckResult


@task_workflow(HEALTH_CHECK)
class ReorderedHealthCheck(TaskWorkflow):
    """The health check as a careless edit might leave it: the same steps, in another order (never run;
    the replay test shows the determinism guard rejects it)."""

    @workflow.run
    async def run(self, params: HealthCheckInput) -> HealthCheckResult:
        self.stage("vérification des composants", 10, 90)
        queues = await execute(check_task_queues, params, CHECK)
        database = await execute(check_database, params, CHECK)
        artifacts = await execute(check_artifact_store, params, CHECK)
        checks = {"database": database, "artifact_store": artifacts, **queues}
        return HealthCheckResult(status="healthy", checks=checks, checked_at=workflow.now())
