"""Temporal Schedules, the Celery Beat of this system (`/api/schedules`): list, pause, unpause, trigger,
backfill.

Only the schedules this system declares (gaveurs/schedules/declarations.py, synced at start-up and by
`python -m gaveurs schedules sync`) are visible here; the `temporal schedule` CLI does the same from a shell.
Times are UTC on the wire; each schedule fires by its cron in Europe/Paris time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Path, status
from pydantic import AwareDatetime, BaseModel, Field
from temporalio.client import ScheduleOverlapPolicy
from temporalio.exceptions import ApplicationError

from api.deps import TemporalClientDep
from api.schemas import ErrorAnswer
from gaveurs.schedules import (
    ScheduleSummary,
    backfill_schedule,
    describe_schedule,
    list_schedules,
    pause_schedule,
    trigger_schedule,
    unpause_schedule,
)
from gaveurs.task_ids import format_task_id

router = APIRouter()

ScheduleIdPath = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$", description="e.g. backup-database-daily")
]
Overlap = Literal["SKIP", "BUFFER_ONE", "BUFFER_ALL", "CANCEL_OTHER", "TERMINATE_OTHER", "ALLOW_ALL"]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorAnswer, "description": "no such schedule"}}
# How long a trigger waits to see the run it started, so the answer can give its task_id.
TRIGGER_WAIT_S = 5.0


class ScheduleList(BaseModel):
    total: int
    schedules: list[ScheduleSummary]


class ScheduleNote(BaseModel):
    note: str = Field(min_length=1, max_length=500, description="why: shown in the Web UI and the CLI")


class ScheduleTriggered(BaseModel):
    status: Literal["started", "skipped", "accepted"] = Field(
        description="started: a run began (task_id given); skipped: the overlap policy dropped it because a "
        "run is under way; accepted: Temporal will start it (e.g. buffered behind a running run)"
    )
    schedule_id: str
    task_id: str | None = Field(None, description="the run it started: GET /api/tasks/status/{task_id}")
    workflow_id: str | None = None
    run_id: str | None = None
    message: str


class BackfillRequest(BaseModel):
    start: AwareDatetime = Field(description="runs for every time the schedule fires after this instant …")
    end: AwareDatetime = Field(description="… up to and including this one")
    overlap: Overlap = Field(
        "BUFFER_ALL", description="BUFFER_ALL runs them one after the other; ALLOW_ALL all at once"
    )


class BackfillAccepted(BaseModel):
    status: Literal["accepted"] = "accepted"
    schedule_id: str
    start: datetime
    end: datetime
    message: str


@asynccontextmanager
async def _answers() -> AsyncIterator[None]:
    """The schedule operations' typed failures as HTTP answers."""
    try:
        yield
    except ApplicationError as error:
        code = {
            "ScheduleNotFound": status.HTTP_404_NOT_FOUND,
            "InvalidBackfillRange": status.HTTP_422_UNPROCESSABLE_CONTENT,
        }.get(error.type or "")
        if code is None:
            raise
        raise HTTPException(code, detail=error.message) from None


@router.get("", response_model=ScheduleList)
async def schedules(client: TemporalClientDep) -> ScheduleList:
    """Every schedule with its cron, next run times and the last run's status and result (or error)."""
    found = await list_schedules(client)
    return ScheduleList(total=len(found), schedules=found)


@router.get("/{schedule_id}", response_model=ScheduleSummary, responses=NOT_FOUND)
async def schedule(client: TemporalClientDep, schedule_id: ScheduleIdPath) -> ScheduleSummary:
    async with _answers():
        return await describe_schedule(client, schedule_id)


@router.post("/{schedule_id}/pause", response_model=ScheduleSummary, responses=NOT_FOUND)
async def pause(
    client: TemporalClientDep, schedule_id: ScheduleIdPath, body: Annotated[ScheduleNote, Body()]
) -> ScheduleSummary:
    """No new run starts until unpaused (a running one goes on); triggers and backfills still work."""
    async with _answers():
        return await pause_schedule(client, schedule_id, body.note)


@router.post("/{schedule_id}/unpause", response_model=ScheduleSummary, responses=NOT_FOUND)
async def unpause(
    client: TemporalClientDep, schedule_id: ScheduleIdPath, body: Annotated[ScheduleNote, Body()]
) -> ScheduleSummary:
    async with _answers():
        return await unpause_schedule(client, schedule_id, body.note)


@router.post("/{schedule_id}/trigger", response_model=ScheduleTriggered, responses=NOT_FOUND)
async def trigger(client: TemporalClientDep, schedule_id: ScheduleIdPath) -> ScheduleTriggered:
    """Run it now, under its overlap policy, paused or not; answers with the run's task_id once it starts."""
    async with _answers():
        outcome = await trigger_schedule(client, schedule_id, wait_s=TRIGGER_WAIT_S)
    if outcome.skipped:
        return ScheduleTriggered(
            status="skipped", schedule_id=schedule_id, message="a run is under way and the policy is SKIP"
        )
    if outcome.started is None:
        return ScheduleTriggered(
            status="accepted", schedule_id=schedule_id, message="Temporal will start the run shortly"
        )
    run = outcome.started
    return ScheduleTriggered(
        status="started",
        schedule_id=schedule_id,
        task_id=format_task_id(run.workflow_id, run.run_id),
        workflow_id=run.workflow_id,
        run_id=run.run_id,
        message="Scheduled task started",
    )


@router.post(
    "/{schedule_id}/backfill",
    response_model=BackfillAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses={**NOT_FOUND, 422: {"model": ErrorAnswer, "description": "the range ends before it starts"}},
)
async def backfill(
    client: TemporalClientDep, schedule_id: ScheduleIdPath, body: Annotated[BackfillRequest, Body()]
) -> BackfillAccepted:
    """Run the schedule for every time it would have fired in (start, end], each as of that time."""
    async with _answers():
        await backfill_schedule(
            client, schedule_id, body.start, body.end, overlap=ScheduleOverlapPolicy[body.overlap]
        )
    return BackfillAccepted(
        schedule_id=schedule_id,
        start=body.start,
        end=body.end,
        message="Temporal starts one run per firing time in the range",
    )
