"""Temporal's view of one run → the Celery-style task state the frontend knows, without ever asking a worker.

Everything comes from `describe()` (and, once a run has closed, its result): the server answers it whatever
the workers are doing, so a status read never waits on a queued task or a dead worker.

- closed: COMPLETED → SUCCESS; FAILED, TIMED_OUT → FAILURE; CANCELED, TERMINATED → REVOKED.
- running: RETRY when an activity waits for its next attempt or the workflow task keeps failing (with the
  error, `retries` and `eta`); STARTED once a worker has begun it (its stage is in the memo); PENDING before.
- progress: the stage's band (memo) refined by the running activity's last heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, PendingActivityState, PendingWorkflowTaskState
from temporalio.api.failure.v1 import Failure
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryReverseRequest
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
)
from temporalio.exceptions import ApplicationError, FailureError, TerminatedError
from temporalio.exceptions import TimeoutError as TemporalTimeout
from temporalio.service import RPCError, RPCStatusCode

from api.schemas import TaskState, TaskStatus
from gaveurs.catalogue import CATALOGUE
from gaveurs.contracts.progress import STAGE_MEMO, ActivityProgress, StageMemo
from gaveurs.search_attributes import TASK_NAME
from gaveurs.task_ids import format_task_id, parse_task_id, run_tag

_CLOSED: dict[WorkflowExecutionStatus, TaskState] = {
    WorkflowExecutionStatus.COMPLETED: "SUCCESS",
    WorkflowExecutionStatus.FAILED: "FAILURE",
    WorkflowExecutionStatus.TIMED_OUT: "FAILURE",
    WorkflowExecutionStatus.CANCELED: "REVOKED",
    WorkflowExecutionStatus.TERMINATED: "REVOKED",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "SUCCESS",
}
TERMINAL_STATES: frozenset[str] = frozenset(_CLOSED.values())
MAX_WAIT_S = 60.0


class TaskNotFound(LookupError):
    pass


class _Lru(OrderedDict[str, Any]):
    """A small LRU: run ids of task ids, and the final state of closed runs (neither ever changes)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def remember(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


_RUN_IDS = _Lru(10_000)
_FINISHED = _Lru(2_000)


def describe_failure(error: BaseException) -> str:
    """The cause a person can act on: `LotNotFound: lot 999999 not found`.

    The first typed application error down the chain (an activity's or a child workflow's), not the
    library exception it may have been raised from; failing that, the innermost cause (a timeout, a
    termination).
    """
    cause: BaseException | None = error
    innermost = error
    while cause is not None:
        if isinstance(cause, ApplicationError):
            return f"{cause.type or 'ApplicationError'}: {cause.message}"
        innermost = cause
        cause = cause.cause if isinstance(cause, FailureError) else cause.__cause__
    if isinstance(innermost, TemporalTimeout):
        return f"Timeout: {innermost.message} ({innermost.type.name if innermost.type else 'unknown'})"
    if isinstance(innermost, TerminatedError):
        return f"Terminated: {innermost.message}"
    if isinstance(innermost, FailureError):
        return f"{type(innermost).__name__}: {innermost.message}"
    return f"{type(innermost).__name__}: {innermost}"


def _not_found(error: RPCError, task_id: str) -> bool:
    return error.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT)


async def resolve(
    client: Client, task_id: str
) -> tuple[WorkflowHandle[Any, Any], WorkflowExecutionDescription]:
    """The run a task_id names, described. A bare workflow id names its latest run."""
    ref = parse_task_id(task_id)
    try:
        known_run = _RUN_IDS.get(task_id)
        if known_run is not None:
            handle = client.get_workflow_handle(ref.workflow_id, run_id=known_run)
            return handle, await handle.describe()
        latest = client.get_workflow_handle(ref.workflow_id)
        description = await latest.describe()
        if ref.run_tag is None or run_tag(description.run_id) == ref.run_tag:
            _RUN_IDS.remember(task_id, description.run_id)
            return client.get_workflow_handle(ref.workflow_id, run_id=description.run_id), description
        # An older run of the same work: find it among the id's runs.
        async for execution in client.list_workflows(f"WorkflowId = '{ref.workflow_id}'"):
            if run_tag(execution.run_id) == ref.run_tag:
                _RUN_IDS.remember(task_id, execution.run_id)
                handle = client.get_workflow_handle(ref.workflow_id, run_id=execution.run_id)
                return handle, await handle.describe()
    except RPCError as error:
        if _not_found(error, task_id):
            raise TaskNotFound(task_id) from error
        raise
    raise TaskNotFound(task_id)


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.ToDatetime(tzinfo=UTC)  # type: ignore[no-any-return]


async def _stage(description: WorkflowExecutionDescription) -> StageMemo | None:
    try:
        memo = await description.memo_value(STAGE_MEMO, None, type_hint=StageMemo)
    except Exception:  # a workflow started outside the catalogue may carry any memo: no stage, not an error
        return None
    return memo if isinstance(memo, StageMemo) else None


async def _activity_progress(
    client: Client, description: WorkflowExecutionDescription
) -> ActivityProgress | None:
    for pending in description.raw_description.pending_activities:
        if (
            pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
            and pending.heartbeat_details.payloads
        ):
            try:
                values = await client.data_converter.decode(
                    list(pending.heartbeat_details.payloads)[:1], [ActivityProgress]
                )
            except Exception:  # heartbeats of another shape (e.g. a foreign activity): no percentage
                return None
            return values[0] if isinstance(values[0], ActivityProgress) else None
    return None


async def _workflow_task_error(client: Client, handle: WorkflowHandle[Any, Any]) -> str | None:
    """The message of the latest failed workflow task (a bug in workflow code, an unregistered type …)."""
    response = await client.workflow_service.get_workflow_execution_history_reverse(
        GetWorkflowExecutionHistoryReverseRequest(
            namespace=client.namespace,
            execution=WorkflowExecution(workflow_id=handle.id, run_id=handle.run_id or ""),
            maximum_page_size=20,
        )
    )
    for event in response.history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
            failure = event.workflow_task_failed_event_attributes.failure
            return f"WorkflowTaskFailed: {_failure_text(failure)}"
    return None


def _failure_text(failure: Failure) -> str | None:
    """`Type: message` of a raw failure (the last attempt's), as describe_failure gives for closed tasks."""
    if not failure.message:
        return None
    kind = failure.application_failure_info.type if failure.HasField("application_failure_info") else ""
    return f"{kind}: {failure.message}" if kind else failure.message


def _task_name(description: WorkflowExecutionDescription) -> str:
    return description.typed_search_attributes.get(TASK_NAME) or description.workflow_type


async def _closed_state(
    client: Client,
    handle: WorkflowHandle[Any, Any],
    description: WorkflowExecutionDescription,
    base: dict[str, Any],
) -> TaskStatus:
    status = _CLOSED[description.status]  # type: ignore[index]
    base.update(status=status, completed_at=_moment(description.close_time))
    spec = CATALOGUE.get(description.workflow_type)
    if status == "SUCCESS":
        base.update(progress=100, stage="terminé")
        base["result"] = await client.get_workflow_handle(
            handle.id, run_id=handle.run_id, result_type=spec.result if spec else None
        ).result(follow_runs=False)
    else:
        try:
            await handle.result(follow_runs=False)
        except WorkflowFailureError as error:
            base["error"] = describe_failure(error.cause)
    return TaskStatus(**base)


async def task_state(client: Client, task_id: str, *, wait_s: float = 0.0) -> TaskStatus:
    """The state of the run `task_id` names; with `wait_s`, first wait up to that long for it to end."""
    handle, description = await resolve(client, task_id)
    cache_key = f"{handle.id}/{description.run_id}"
    if (finished := _FINISHED.get(cache_key)) is not None:
        return finished  # type: ignore[no-any-return]
    if description.status == WorkflowExecutionStatus.RUNNING and wait_s > 0:
        # Still running after the wait, or ended badly: describe says which.
        with contextlib.suppress(TimeoutError, WorkflowFailureError):
            await asyncio.wait_for(handle.result(follow_runs=False), timeout=min(wait_s, MAX_WAIT_S))
        description = await handle.describe()

    base: dict[str, Any] = {
        "task_id": format_task_id(handle.id, description.run_id),
        "task_name": _task_name(description),
        "started_at": _moment(description.start_time),
        "queue": description.task_queue,
        "workflow_id": handle.id,
        "run_id": description.run_id,
    }
    if description.status in _CLOSED:
        state = await _closed_state(client, handle, description, base)
        _FINISHED.remember(cache_key, state)
        return state
    return await _running_state(client, handle, description, base)


async def _running_state(
    client: Client,
    handle: WorkflowHandle[Any, Any],
    description: WorkflowExecutionDescription,
    base: dict[str, Any],
) -> TaskStatus:
    raw = description.raw_description
    stage, activity = await asyncio.gather(_stage(description), _activity_progress(client, description))
    if stage is not None:
        base.update(
            stage=activity.stage if activity else stage.stage,
            progress=stage.overall(activity.percent if activity else None),
        )
    running = [
        p for p in raw.pending_activities if p.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
    ]
    if running:
        base["worker"] = running[0].last_worker_identity
    retrying = [
        p
        for p in raw.pending_activities
        if p.attempt > 1 and p.state == PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED
    ]
    task = raw.pending_workflow_task if raw.HasField("pending_workflow_task") else None
    if retrying:
        attempt = retrying[0]
        base.update(status="RETRY", retries=attempt.attempt - 1, error=_failure_text(attempt.last_failure))
        if attempt.HasField("next_attempt_schedule_time"):
            base["eta"] = _moment(attempt.next_attempt_schedule_time)
    elif task is not None and task.attempt > 1:
        # The workflow code itself keeps failing (e.g. a worker without this workflow type): not progress.
        base.update(
            status="RETRY", retries=task.attempt - 1, error=await _workflow_task_error(client, handle)
        )
        if task.state == PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED:
            base["eta"] = _moment(task.scheduled_time)
    elif stage is not None or running:
        base["status"] = "STARTED"
    else:
        base["status"] = "PENDING"
    return TaskStatus(**base)
