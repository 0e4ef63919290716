"""Task status, listing, statistics, cancellation, live progress, and the generic start route (`/api/tasks/...`)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Query, status
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from api.deps import IdempotencyKey, SettingsDep, TemporalClientDep
from api.errors import readable_validation_errors
from api.queue_stats import collect_stats
from api.schemas import (
    ActiveTask,
    ActiveTasks,
    CancelAnswer,
    CatalogueEntry,
    ErrorAnswer,
    TaskStats,
    TaskStatus,
    TaskSubmitted,
)
from api.signed_urls import sign_links
from api.task_starter import start_task
from api.task_state import MAX_WAIT_S, TERMINAL_STATES, TaskNotFound, resolve, task_state
from gaveurs.catalogue import CATALOGUE, UnknownTask, find_task
from gaveurs.task_ids import format_task_id

router = APIRouter()

# Workflow ids are ours (readable, `[a-z0-9-]`) or the schedules' (`<schedule>-<timestamp>`); a task_id adds
# `.<run tag>`. Anything else cannot name a task: refuse it before it reaches Temporal's query language.
TaskIdPath = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:+-]{0,254}$", description="a task_id from a submit answer")
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorAnswer, "description": "no such task"}}


def _not_found(task_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"task {task_id!r} not found")


@router.get("/status/{task_id}", response_model=TaskStatus, responses=NOT_FOUND)
async def get_status(
    client: TemporalClientDep,
    settings: SettingsDep,
    task_id: TaskIdPath,
    wait: Annotated[
        float, Query(ge=0, le=MAX_WAIT_S, description="wait up to this many seconds for the task to end")
    ] = 0,
) -> TaskStatus:
    try:
        state = await task_state(client, task_id, wait_s=wait)
    except TaskNotFound:
        raise _not_found(task_id) from None
    if state.result is not None:
        state = state.model_copy(update={"result": sign_links(settings, state.result)})
    return state


@router.get("/list/active", response_model=ActiveTasks)
async def list_active(
    client: TemporalClientDep, limit: Annotated[int, Query(ge=1, le=100)] = 10
) -> ActiveTasks:
    query = "ExecutionStatus='Running'"
    runs = [execution async for execution in client.list_workflows(query, limit=limit)]
    states = await asyncio.gather(
        *(task_state(client, format_task_id(run.id, run.run_id)) for run in runs),
        return_exceptions=True,
    )
    total = (await client.count_workflows(query)).count
    # A task may finish between listing and describing it: it is no longer active, drop it.
    tasks = [
        ActiveTask(**state.model_dump(include=set(ActiveTask.model_fields)))
        for state in states
        if isinstance(state, TaskStatus) and state.status not in TERMINAL_STATES
    ]
    return ActiveTasks(total=total, tasks=tasks)


@router.get("/stats", response_model=TaskStats)
async def stats(client: TemporalClientDep) -> TaskStats:
    return TaskStats.model_validate(await collect_stats(client))


@router.delete(
    "/cancel/{task_id}",
    response_model=CancelAnswer,
    responses={**NOT_FOUND, 409: {"model": ErrorAnswer, "description": "the task already ended"}},
)
async def cancel(client: TemporalClientDep, task_id: TaskIdPath) -> CancelAnswer:
    try:
        handle, description = await resolve(client, task_id)
    except TaskNotFound:
        raise _not_found(task_id) from None
    if description.status != WorkflowExecutionStatus.RUNNING:
        state = (await task_state(client, task_id)).status
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"task {task_id!r} already finished ({state})")
    current = await task_state(client, task_id)
    try:
        if current.status == "PENDING":
            # No worker has begun it, so nothing needs stopping: end it now rather than when a worker comes.
            await handle.terminate(reason="cancelled before it started")
        else:
            await handle.cancel()
    except RPCError as error:
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail=f"could not cancel {task_id!r}: {error.message}"
        ) from error
    return CancelAnswer(task_id=current.task_id, message="Task cancellation requested")


@router.get(
    "/events/{task_id}",
    response_class=StreamingResponse,
    responses={
        **NOT_FOUND,
        200: {
            "description": "`data:` lines holding the status answer (TaskStatus), then `event: end`",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def events(client: TemporalClientDep, settings: SettingsDep, task_id: TaskIdPath) -> StreamingResponse:
    """Server-sent events: a `data:` line per change of status or progress, `event: end` with the final state.

    A comment line every `SSE_KEEPALIVE_S` keeps proxies from closing a quiet stream; after
    `SSE_MAX_DURATION_S` the stream ends with `event: timeout` (reconnect to go on); if Temporal cannot be
    reached the stream ends with `event: error` and the reason, never silently.
    """
    try:
        first = await task_state(client, task_id)
    except TaskNotFound:
        raise _not_found(task_id) from None

    def frame(state: TaskStatus, event: str | None = None) -> str:
        data = json.dumps(sign_links(settings, state).model_dump(mode="json"))
        return (f"event: {event}\n" if event else "") + f"data: {data}\n\n"

    async def stream() -> AsyncIterator[str]:
        started = last_sent = time.monotonic()
        last: TaskStatus | None = None
        state = first
        try:
            while True:
                if state.status in TERMINAL_STATES:
                    yield frame(state, "end")
                    return
                if last is not None and last.progress is not None and (state.progress or 0) < last.progress:
                    # Between an activity's end and the workflow's next stage only the stage's start shows
                    # (the finished activity's heartbeat is gone): a stream never tells a client it went back.
                    state = state.model_copy(update={"progress": last.progress})
                if last is None or state.model_dump(exclude={"eta"}) != last.model_dump(exclude={"eta"}):
                    yield frame(state)
                    last, last_sent = state, time.monotonic()
                elif time.monotonic() - last_sent >= settings.sse_keepalive_s:
                    yield ": keep-alive\n\n"
                    last_sent = time.monotonic()
                if time.monotonic() - started >= settings.sse_max_duration_s:
                    yield f"event: timeout\ndata: {json.dumps({'task_id': task_id})}\n\n"
                    return
                # Waits on the workflow's result (the server answers the moment it closes), at most 0.5 s.
                state = await task_state(client, state.task_id, wait_s=0.5)
        except (RPCError, TaskNotFound) as error:
            yield f"event: error\ndata: {json.dumps({'task_id': task_id, 'error': str(error)})}\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.get("/catalogue", response_model=list[CatalogueEntry])
async def catalogue() -> list[CatalogueEntry]:
    """Every task this platform runs, with the JSON schema of its input (the body of `POST /run/{name}`)."""
    return [
        CatalogueEntry(
            name=spec.name,
            celery_name=spec.celery_name,
            queue=spec.queue.value,
            started_message=spec.started_message,
            input_schema=spec.input.model_json_schema(),
        )
        for spec in CATALOGUE.values()
    ]


@router.post(
    "/run/{task_name}",
    response_model=TaskSubmitted,
    responses={404: {"model": ErrorAnswer, "description": "no such task"}, 422: {"model": ErrorAnswer}},
)
async def run_task(
    client: TemporalClientDep,
    task_name: Annotated[
        str,
        Path(
            max_length=200, description="the seed's function name, or its Celery name (app.tasks.ml_tasks.…)"
        ),
    ],
    body: Annotated[dict[str, Any], Body(description="the task's input, see GET /catalogue")] | None = None,
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """Start any catalogued task by name, its input as the JSON body: one route for every task."""
    try:
        spec = find_task(task_name)
    except UnknownTask as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from None
    try:
        params = spec.input.model_validate(body or {})
    except ValidationError as error:
        raise readable_validation_errors(error, location="body") from None
    return await start_task(client, spec, params, idempotency_key=idempotency_key)
