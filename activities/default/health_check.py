"""Health checks: each reports its component's state instead of failing, so one outage never hides another."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import func, select
from temporalio import activity
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue as TaskQueueRef
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from gaveurs.artifacts import ArtifactStore
from gaveurs.contracts.system import ComponentHealth, HealthCheckInput, HealthCheckRecordInput
from gaveurs.db.models import Lot
from gaveurs.db.session import default_engine, session_scope
from gaveurs.faults import pause_point
from gaveurs.maintenance.health_records import record_health_result
from gaveurs.queues import TaskQueue
from gaveurs.settings import get_settings


def _timed(check: Callable[[], str]) -> ComponentHealth:
    started = time.perf_counter()
    try:
        detail, ok = check(), True
    except Exception as error:  # a failing component is the answer, not an activity failure
        detail, ok = f"{type(error).__name__}: {error}", False
    return ComponentHealth(ok=ok, detail=detail, latency_ms=round((time.perf_counter() - started) * 1000, 1))


@activity.defn(name="check_database")
def check_database(_params: HealthCheckInput) -> ComponentHealth:
    def probe() -> str:
        pause_point("check_database.probe", activity.heartbeat)
        with session_scope() as session:
            lots = session.scalar(select(func.count()).select_from(Lot))
            return f"{session.bind.dialect.name if session.bind else '?'}: {lots} lots"

    return _timed(probe)


@activity.defn(name="check_artifact_store")
def check_artifact_store(_params: HealthCheckInput) -> ComponentHealth:
    store = ArtifactStore(get_settings().artifact_dir)

    def probe() -> str:
        store.probe()
        return f"writable at {store.root}"

    return _timed(probe)


@activity.defn(name="check_task_queues")
async def check_task_queues(_params: HealthCheckInput) -> dict[str, ComponentHealth]:
    """Each queue is healthy when at least one worker polls it for both workflow and activity tasks."""
    client = activity.client()
    results: dict[str, ComponentHealth] = {}
    for queue in TaskQueue:
        started = time.perf_counter()
        try:
            pollers = {}
            for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY):
                described = await client.workflow_service.describe_task_queue(
                    DescribeTaskQueueRequest(
                        namespace=client.namespace,
                        task_queue=TaskQueueRef(name=queue.value),
                        task_queue_type=kind,
                    )
                )
                pollers[kind] = {poller.identity for poller in described.pollers}
            identities = set().union(*pollers.values())
            ok = all(pollers.values())
            detail = (
                f"{len(identities)} worker(s): {', '.join(sorted(identities))}" if ok else "no worker polling"
            )
        except Exception as error:  # Temporal unreachable is itself the health answer
            ok, detail = False, f"{type(error).__name__}: {error}"
        results[f"queue:{queue.value}"] = ComponentHealth(
            ok=ok, detail=detail, latency_ms=round((time.perf_counter() - started) * 1000, 1)
        )
    return results


@activity.defn(name="record_health_check")
def record_health_check(record: HealthCheckRecordInput) -> int:
    """Keep the result where the API reads the last one (`GET /api/tasks/system/health/last`)."""
    return record_health_result(
        default_engine(), record.result, workflow_id=record.workflow_id, run_id=record.run_id
    )
