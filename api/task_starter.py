"""Starting a catalogued task: readable id, search attributes, and joining a run already under way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from gaveurs.catalogue import CATALOGUE, TaskName, workflow_id_for
from gaveurs.search_attributes import start_attributes


@dataclass(frozen=True)
class StartedTask:
    task_id: str
    run_id: str
    already_running: bool


async def start_task(
    client: Client,
    name: TaskName,
    params: BaseModel,
    *,
    lot_id: int | None = None,
    site_code: str | None = None,
) -> StartedTask:
    spec = CATALOGUE[name]
    workflow_id = workflow_id_for(name, params)
    try:
        handle = await client.start_workflow(
            name.value,
            params,
            id=workflow_id,
            task_queue=spec.queue.value,
            search_attributes=start_attributes(
                name.value, spec.queue.value, lot_id=lot_id, site_code=site_code
            ),
            # The server refuses a second run of the same id while one runs; finished ids may run again.
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
    except WorkflowAlreadyStartedError as running:
        return StartedTask(task_id=workflow_id, run_id=running.run_id or "", already_running=True)
    return StartedTask(task_id=workflow_id, run_id=handle.result_run_id or "", already_running=False)


def submitted(name: TaskName, started: StartedTask, **echo: Any) -> dict[str, Any]:
    """The seed's answer to a start: `{"status": "submitted", "task_id": …, <echoed inputs>, "message": …}`."""
    return {
        "status": "submitted",
        "task_id": started.task_id,
        **echo,
        "message": CATALOGUE[name].started_message,
        "already_running": started.already_running,
    }
