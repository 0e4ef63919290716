"""Temporal's view of a workflow → the Celery-style task state the frontend knows.

RUNNING splits three ways: PENDING (no worker has started anything yet), STARTED, and RETRY (an activity
failed and waits for its next attempt). CANCELED and TERMINATED are REVOKED; FAILED and TIMED_OUT FAILURE.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
)
from temporalio.exceptions import ApplicationError, FailureError
from temporalio.exceptions import TimeoutError as TemporalTimeout
from temporalio.service import RPCError, RPCStatusCode

from gaveurs.contracts.progress import Progress
from gaveurs.search_attributes import TASK_NAME

QUERY_TIMEOUT = timedelta(seconds=2)
RESULT_TIMEOUT = timedelta(seconds=10)

_CLOSED = {
    WorkflowExecutionStatus.COMPLETED: "SUCCESS",
    WorkflowExecutionStatus.FAILED: "FAILURE",
    WorkflowExecutionStatus.TIMED_OUT: "FAILURE",
    WorkflowExecutionStatus.CANCELED: "REVOKED",
    WorkflowExecutionStatus.TERMINATED: "REVOKED",
}
TERMINAL_STATES = frozenset(_CLOSED.values())


class TaskNotFound(LookupError):
    pass


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def describe_failure(error: BaseException) -> str:
    """The innermost cause a person can act on: `LotNotFound: lot 999999 not found`."""
    cause: BaseException | None = error
    innermost = error
    while cause is not None:
        innermost = cause
        cause = cause.cause if isinstance(cause, FailureError) else cause.__cause__
    if isinstance(innermost, ApplicationError):
        return f"{innermost.type or 'ApplicationError'}: {innermost.message}"
    if isinstance(innermost, TemporalTimeout):
        return f"Timeout: {innermost.message} ({innermost.type.name if innermost.type else 'unknown'})"
    if isinstance(innermost, FailureError):
        return f"{type(innermost).__name__}: {innermost.message}"
    return f"{type(innermost).__name__}: {innermost}"


async def describe(handle: WorkflowHandle[Any, Any]) -> WorkflowExecutionDescription:
    try:
        return await handle.describe()
    except RPCError as error:
        if error.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise TaskNotFound(handle.id) from error
        raise


async def query_progress(handle: WorkflowHandle[Any, Any]) -> Progress | None:
    try:
        progress: Progress = await handle.query("progress", result_type=Progress, rpc_timeout=QUERY_TIMEOUT)
        return progress
    except Exception:  # no worker yet, or a workflow without the query: progress is unknown, not an error
        return None


async def task_state(client: Client, task_id: str, *, with_result: bool = True) -> dict[str, Any]:
    handle = client.get_workflow_handle(task_id)
    description = await describe(handle)
    body: dict[str, Any] = {
        "task_id": task_id,
        "task_name": description.typed_search_attributes.get(TASK_NAME) or description.workflow_type,
        "status": None,
        "progress": None,
        "stage": None,
        "started_at": _iso(description.start_time),
        "queue": description.task_queue,
    }
    if description.status in _CLOSED:
        body["status"] = _CLOSED[description.status]
        body["completed_at"] = _iso(description.close_time)
        if body["status"] == "SUCCESS":
            body["progress"], body["stage"] = 100, "terminé"
            if with_result:
                body["result"] = await handle.result(rpc_timeout=RESULT_TIMEOUT)
        elif with_result:
            try:
                await handle.result(rpc_timeout=RESULT_TIMEOUT)
            except WorkflowFailureError as error:
                body["error"] = describe_failure(error.cause)
        return body

    pending = list(description.raw_description.pending_activities)
    retrying = [
        p
        for p in pending
        if p.attempt > 1 and p.state == PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED
    ]
    running = [p for p in pending if p.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED]
    progress = await query_progress(handle)
    if progress is not None:
        body["progress"], body["stage"] = progress.progress, progress.stage
    if retrying:
        body["status"] = "RETRY"
        attempt = retrying[0]
        body["retries"] = attempt.attempt - 1
        body["error"] = attempt.last_failure.message or None
        if attempt.HasField("next_attempt_schedule_time"):
            body["eta"] = attempt.next_attempt_schedule_time.ToDatetime().isoformat() + "+00:00"
    elif running or (progress is not None and progress.progress > 0) or description.history_length > 2:
        body["status"] = "STARTED"
    else:
        body["status"] = "PENDING"
    if running:
        body["worker"] = running[0].last_worker_identity
    return body
