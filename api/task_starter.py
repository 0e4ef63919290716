"""Starting a catalogued task: readable id, search attributes, joining a run under way, idempotency keys."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.schemas import TaskSubmitted, submitted_model
from gaveurs.catalogue import AnySpec
from gaveurs.task_ids import format_task_id


async def start_task(
    client: Client,
    spec: AnySpec,
    params: BaseModel,
    *,
    idempotency_key: str | None = None,
    start_delay: timedelta | None = None,
) -> TaskSubmitted:
    """Start `spec`'s workflow, or answer with the run that already does this work.

    Without a key, the same work (same workflow id) joins the running task, and a finished task's id may run
    again as a new run with its own task_id. With an `Idempotency-Key`, the key maps to one workflow id that
    never runs twice: repeating the request, even after the task ended, answers with that first run.
    """
    workflow_id = spec.workflow_id(params, idempotency_key=idempotency_key)
    reuse = (
        WorkflowIDReusePolicy.REJECT_DUPLICATE
        if idempotency_key is not None
        else WorkflowIDReusePolicy.ALLOW_DUPLICATE
    )
    try:
        handle = await client.start_workflow(
            spec.name,
            params,
            id=workflow_id,
            task_queue=spec.queue.value,
            search_attributes=spec.search_attributes(params),
            execution_timeout=spec.execution_timeout,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=reuse,
            start_delay=start_delay,
        )
        run_id, joined, running = handle.result_run_id or "", False, False
    except WorkflowAlreadyStartedError:
        # The run this id already has: a running twin, or (with an idempotency key) the key's first run.
        existing = await client.get_workflow_handle(workflow_id).describe()
        run_id, joined = existing.run_id, True
        running = existing.status == WorkflowExecutionStatus.RUNNING
    return submitted_model(spec)(
        task_id=format_task_id(workflow_id, run_id),
        message=spec.started_message,
        already_running=running,
        existing=joined,
        workflow_id=workflow_id,
        run_id=run_id,
        **spec.echoed(params),
    )
