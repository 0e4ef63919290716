"""Task status, listing, statistics, cancellation and a live progress stream (`/api/tasks/...`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import StreamingResponse
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from api.deps import TemporalClientDep
from api.queue_stats import collect_stats
from api.task_state import TERMINAL_STATES, TaskNotFound, describe, task_state

router = APIRouter()


def _not_found(task_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"task {task_id!r} not found")


@router.get("/status/{task_id}")
async def get_status(client: TemporalClientDep, task_id: str) -> dict[str, Any]:
    try:
        return await task_state(client, task_id)
    except TaskNotFound:
        raise _not_found(task_id) from None


@router.get("/list/active")
async def list_active(
    client: TemporalClientDep, limit: Annotated[int, Query(ge=1, le=100)] = 10
) -> dict[str, Any]:
    query = "ExecutionStatus='Running'"
    ids = [execution.id async for execution in client.list_workflows(query, limit=limit)]
    states = await asyncio.gather(
        *(task_state(client, i, with_result=False) for i in ids), return_exceptions=True
    )
    total = (await client.count_workflows(query)).count
    # A task may finish between listing and describing it: drop those that vanished.
    return {"total": total, "tasks": [s for s in states if isinstance(s, dict)]}


@router.get("/stats")
async def stats(client: TemporalClientDep) -> dict[str, Any]:
    return await collect_stats(client)


@router.delete("/cancel/{task_id}")
async def cancel(client: TemporalClientDep, task_id: str) -> dict[str, Any]:
    handle = client.get_workflow_handle(task_id)
    try:
        description = await describe(handle)
    except TaskNotFound:
        raise _not_found(task_id) from None
    if description.status != WorkflowExecutionStatus.RUNNING:
        state = (await task_state(client, task_id, with_result=False))["status"]
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"task {task_id!r} already finished ({state})")
    try:
        await handle.cancel()
    except RPCError as error:
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail=f"could not cancel {task_id!r}: {error.message}"
        ) from error
    return {"status": "cancelled", "task_id": task_id, "message": "Task cancellation requested"}


@router.get("/events/{task_id}")
async def events(client: TemporalClientDep, task_id: str) -> StreamingResponse:
    """Server-sent events: one `data:` line per change of status or progress, until the task ends."""
    try:
        first = await task_state(client, task_id, with_result=False)
    except TaskNotFound:
        raise _not_found(task_id) from None

    async def stream() -> AsyncIterator[str]:
        last: dict[str, Any] | None = None
        state = first
        while True:
            if state != last:
                yield f"data: {json.dumps(state)}\n\n"
                last = state
            if state["status"] in TERMINAL_STATES:
                final = await task_state(client, task_id)
                yield f"event: end\ndata: {json.dumps(final, default=str)}\n\n"
                return
            await asyncio.sleep(0.5)
            state = await task_state(client, task_id, with_result=False)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
