"""What the API (`/api/schedules`) and the CLI do to our schedules: list, pause, unpause, trigger, backfill.

Each works on schedules marked as ours only (see sync): anything else answers ScheduleNotFound, so the API
cannot pause a schedule another system owns. `temporal schedule list|describe|toggle|trigger|backfill` does
the same from a shell.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleBackfill,
    ScheduleDescription,
    ScheduleOverlapPolicy,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)
from temporalio.exceptions import ApplicationError, FailureError

from gaveurs.errors import InvalidBackfillRange, ScheduleNotFound
from gaveurs.schedules.sync import OWNER, OWNER_MEMO_KEY, describe_if_exists, is_ours
from gaveurs.search_attributes import TASK_NAME

_CLOSED = {
    WorkflowExecutionStatus.COMPLETED, WorkflowExecutionStatus.FAILED, WorkflowExecutionStatus.CANCELED,
    WorkflowExecutionStatus.TERMINATED, WorkflowExecutionStatus.TIMED_OUT,
}  # fmt: skip


class ScheduleRun(BaseModel):
    """One workflow a schedule started, as Temporal sees it now."""

    workflow_id: str
    run_id: str
    scheduled_at: datetime
    started_at: datetime
    status: str  # Temporal's: RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, TIMED_OUT …
    closed_at: datetime | None
    result: Any | None = None  # the workflow's result (JSON), once COMPLETED
    error: str | None = None  # `Type: message` once FAILED


class ScheduleSummary(BaseModel):
    schedule_id: str
    task_name: str | None
    workflow_type: str
    task_queue: str
    calendars: list[str]  # the cron text of each calendar
    time_zone: str | None
    overlap: str
    catchup_window_s: float | None
    paused: bool
    note: str | None
    next_runs: list[datetime]
    last_run: ScheduleRun | None
    running: list[str]  # workflow ids
    actions_taken: int
    skipped_for_overlap: int
    missed_catchup_window: int


def _aware(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, as everywhere in this project."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _ours(client: Client, schedule_id: str, owner: str) -> ScheduleDescription:
    described = await describe_if_exists(client, schedule_id)
    if described is None or not await is_ours(described, owner):
        raise ScheduleNotFound.error(f"schedule {schedule_id!r} not found among the {owner} schedules")
    return described


async def _run(
    client: Client, execution: ScheduleActionExecutionStartWorkflow, scheduled: datetime, started: datetime
) -> ScheduleRun:
    handle = client.get_workflow_handle(execution.workflow_id, run_id=execution.first_execution_run_id)
    described = await handle.describe()
    status = described.status or WorkflowExecutionStatus.RUNNING
    run = ScheduleRun(
        workflow_id=execution.workflow_id,
        run_id=execution.first_execution_run_id,
        scheduled_at=scheduled,
        started_at=started,
        status=status.name,
        closed_at=described.close_time,
    )
    if status not in _CLOSED:
        return run
    try:
        run.result = await handle.result(follow_runs=False)
    except WorkflowFailureError as failure:
        cause = failure.cause
        while isinstance(cause, FailureError) and not isinstance(cause, ApplicationError) and cause.cause:
            cause = cause.cause
        kind = cause.type if isinstance(cause, ApplicationError) and cause.type else type(cause).__name__
        run.error = f"{kind}: {cause.message if isinstance(cause, FailureError) else cause}"
    return run


async def summarize(client: Client, described: ScheduleDescription, *, next_runs: int = 5) -> ScheduleSummary:
    schedule, info = described.schedule, described.info
    action = schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    last = info.recent_actions[-1] if info.recent_actions else None
    last_run = None
    if last is not None and isinstance(last.action, ScheduleActionExecutionStartWorkflow):
        last_run = await _run(client, last.action, last.scheduled_at, last.started_at)
    catchup = schedule.policy.catchup_window
    return ScheduleSummary(
        schedule_id=described.id,
        task_name=described.typed_search_attributes.get(TASK_NAME),
        workflow_type=action.workflow,
        task_queue=action.task_queue,
        calendars=[c.comment or str(c) for c in schedule.spec.calendars]
        + list(schedule.spec.cron_expressions),
        time_zone=schedule.spec.time_zone_name,
        overlap=schedule.policy.overlap.name,
        catchup_window_s=catchup.total_seconds() if catchup is not None else None,
        paused=schedule.state.paused,
        note=schedule.state.note,
        next_runs=list(info.next_action_times[:next_runs]),
        last_run=last_run,
        running=[
            run.workflow_id
            for run in info.running_actions
            if isinstance(run, ScheduleActionExecutionStartWorkflow)
        ],
        actions_taken=info.num_actions,
        skipped_for_overlap=info.num_actions_skipped_overlap,
        missed_catchup_window=info.num_actions_missed_catchup_window,
    )


async def list_schedules(client: Client, *, owner: str = OWNER, next_runs: int = 5) -> list[ScheduleSummary]:
    """Our schedules by id, with their next run times and their last run's status and result."""
    summaries = []
    async for listed in await client.list_schedules():
        if (await listed.memo()).get(OWNER_MEMO_KEY) != owner:
            continue
        described = await describe_if_exists(client, listed.id)  # listing lags; describing is exact
        if described is not None:
            summaries.append(await summarize(client, described, next_runs=next_runs))
    return sorted(summaries, key=lambda summary: summary.schedule_id)


async def count_schedules(client: Client, *, owner: str = OWNER, paused: bool | None = None) -> int:
    """How many of our schedules Temporal lists (only the paused or unpaused ones if `paused` says so).

    From the listing alone (one call per page, no describe): eventually consistent, right for statistics.
    """
    count = 0
    async for listed in await client.list_schedules():
        if (await listed.memo()).get(OWNER_MEMO_KEY) != owner:
            continue
        state = listed.schedule.state if listed.schedule is not None else None
        if paused is None or (state is not None and state.paused == paused):
            count += 1
    return count


async def describe_schedule(client: Client, schedule_id: str, *, owner: str = OWNER) -> ScheduleSummary:
    return await summarize(client, await _ours(client, schedule_id, owner))


async def pause_schedule(
    client: Client, schedule_id: str, note: str, *, owner: str = OWNER
) -> ScheduleSummary:
    """Stop starting runs (a running one goes on); the note says why, in the UI and the CLI."""
    await _ours(client, schedule_id, owner)
    await client.get_schedule_handle(schedule_id).pause(note=note)
    return await describe_schedule(client, schedule_id, owner=owner)


async def unpause_schedule(
    client: Client, schedule_id: str, note: str, *, owner: str = OWNER
) -> ScheduleSummary:
    await _ours(client, schedule_id, owner)
    await client.get_schedule_handle(schedule_id).unpause(note=note)
    return await describe_schedule(client, schedule_id, owner=owner)


class TriggerOutcome(BaseModel):
    """What a trigger did, as far as Temporal showed it within the wait."""

    schedule_id: str
    started: ScheduleRun | None  # the run it started; None while Temporal has not started one yet
    skipped: bool  # the overlap policy dropped it: a run is under way


async def trigger_schedule(
    client: Client,
    schedule_id: str,
    *,
    overlap: ScheduleOverlapPolicy | None = None,
    owner: str = OWNER,
    wait_s: float = 0.0,
) -> TriggerOutcome:
    """Start a run now (under the schedule's overlap policy unless `overlap`), even while paused.

    Temporal starts it asynchronously; this watches the schedule for up to `wait_s` seconds and returns the
    run it started, or that the overlap policy skipped it. A buffered trigger (BUFFER_ONE/BUFFER_ALL behind a
    running run) starts later: `started` is then None.
    """
    before = (await _ours(client, schedule_id, owner)).info
    handle = client.get_schedule_handle(schedule_id)
    await handle.trigger(overlap=overlap)
    deadline = time.monotonic() + wait_s
    while True:
        info = (await handle.describe()).info
        last = info.recent_actions[-1] if info.recent_actions else None
        if (
            info.num_actions > before.num_actions
            and last is not None
            and isinstance(last.action, ScheduleActionExecutionStartWorkflow)
        ):
            run = await _run(client, last.action, last.scheduled_at, last.started_at)
            return TriggerOutcome(schedule_id=schedule_id, started=run, skipped=False)
        if info.num_actions_skipped_overlap > before.num_actions_skipped_overlap:
            return TriggerOutcome(schedule_id=schedule_id, started=None, skipped=True)
        if time.monotonic() >= deadline:
            return TriggerOutcome(schedule_id=schedule_id, started=None, skipped=False)
        await asyncio.sleep(0.1)


async def backfill_schedule(
    client: Client,
    schedule_id: str,
    start: datetime,
    end: datetime,
    *,
    overlap: ScheduleOverlapPolicy | None = ScheduleOverlapPolicy.BUFFER_ALL,
    owner: str = OWNER,
) -> None:
    """Run the schedule for every time it would have fired in (start, end], as if that time were now.

    Runs are buffered one after the other by default, so none is dropped; `overlap` overrides that.
    """
    start, end = _aware(start), _aware(end)
    if end <= start:
        raise InvalidBackfillRange.error(f"backfill range must end after it starts: {start} → {end}")
    await _ours(client, schedule_id, owner)
    await client.get_schedule_handle(schedule_id).backfill(
        ScheduleBackfill(start_at=start, end_at=end, overlap=overlap)
    )


__all__ = [
    "ScheduleRun", "ScheduleSummary", "TriggerOutcome", "backfill_schedule", "count_schedules",
    "describe_schedule", "list_schedules", "pause_schedule", "summarize", "trigger_schedule", "unpause_schedule",
]  # fmt: skip
