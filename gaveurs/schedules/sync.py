"""Make Temporal's schedules match the declarations: create, update, leave alone, delete. Idempotent.

Ours are marked by the schedule memo `managed_by` (set at creation; Temporal never changes a schedule's memo):
a schedule without our mark is never updated or deleted, even if its id is one we declare (that is reported
as a conflict). Which workflow a task starts, on which queue, with which input and search attributes comes
from a `TaskRouter` the caller passes (the task catalogue), so this module knows nothing about queues.

"Equal" compares what the schedule would do (spec, policies, workflow type, queue, decoded input, timeout,
search attributes), not its state: a schedule an operator paused stays paused, with its note, through an
update.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleDescription,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.common import TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from gaveurs.schedules.cron import cron_calendar
from gaveurs.schedules.declarations import ScheduleDeclaration
from gaveurs.search_attributes import task_attributes

OWNER = "gaveurs-tasks"
OWNER_MEMO_KEY = "managed_by"


@dataclass(frozen=True)
class ScheduledStart:
    """What starting a task means in Temporal; the router's answer for one task and its params."""

    workflow_type: str
    task_queue: str
    input: BaseModel | Mapping[str, Any]  # the workflow's single argument
    search_attributes: TypedSearchAttributes  # at least TaskName and Queue
    execution_timeout: timedelta | None = None


TaskRouter = Callable[[str, Mapping[str, Any]], ScheduledStart]


def route_by_queue(queues: Mapping[str, str]) -> TaskRouter:
    """The simplest router: the task name is the workflow type, its params the input, TaskName/Queue set."""

    def route(task_name: str, params: Mapping[str, Any]) -> ScheduledStart:
        if task_name not in queues:
            raise KeyError(f"no queue known for task {task_name!r}")
        queue = queues[task_name]
        return ScheduledStart(task_name, queue, dict(params), task_attributes(task_name, queue))

    return route


class UnroutableSchedules(LookupError):
    """Declared schedules name tasks the router does not know, or params their task refuses: the sync
    refuses them all, changing nothing."""

    def __init__(self, missing: Mapping[str, str], invalid: Mapping[str, str] | None = None) -> None:
        self.missing = dict(missing)  # schedule id → task name
        self.invalid = dict(invalid or {})  # schedule id → why its task refuses the declared params
        problems = []
        if self.missing:
            listed = ", ".join(
                f"{schedule_id} → {task}" for schedule_id, task in sorted(self.missing.items())
            )
            problems.append(
                f"schedules name tasks that are not catalogued: {listed} "
                f"(uncatalogued tasks: {', '.join(sorted(set(self.missing.values())))})"
            )
        if self.invalid:
            listed = "; ".join(f"{schedule_id}: {why}" for schedule_id, why in sorted(self.invalid.items()))
            problems.append(f"declared params refused by their task: {listed}")
        super().__init__("; ".join(problems) + "; nothing was synced")


class SyncReport(BaseModel):
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    deleted: list[str] = []
    conflicts: list[str] = []  # declared ids held by a schedule that is not ours: left alone


def desired_schedule(declaration: ScheduleDeclaration, start: ScheduledStart) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            start.workflow_type,
            start.input,
            # Temporal appends the scheduled time: backup-database-daily-2026-11-26T02:00:00Z.
            id=declaration.schedule_id,
            task_queue=start.task_queue,
            execution_timeout=start.execution_timeout,
            typed_search_attributes=start.search_attributes,
        ),
        spec=ScheduleSpec(calendars=[cron_calendar(declaration.cron)], time_zone_name=declaration.time_zone),
        policy=SchedulePolicy(overlap=declaration.overlap, catchup_window=declaration.catchup_window),
        state=ScheduleState(note=f"déclaré dans gaveurs/schedules ({declaration.task_name})"),
    )


def _attributes(attributes: TypedSearchAttributes) -> list[tuple[str, Any]]:
    return sorted((pair.key.name, pair.value) for pair in attributes)


def _calendar(spec: ScheduleCalendarSpec) -> tuple[Any, ...]:
    fields = (spec.second, spec.minute, spec.hour, spec.day_of_month, spec.month, spec.year, spec.day_of_week)
    return (*(tuple(ranges) for ranges in fields), spec.comment)


async def _shape(
    client: Client, schedule: Schedule, attributes: TypedSearchAttributes, args: Sequence[Any]
) -> dict[str, Any]:
    """What the schedule does, comparable between a declaration and a described schedule."""
    action = schedule.action
    if not isinstance(action, ScheduleActionStartWorkflow):
        return {"action": type(action).__name__}
    spec, policy = schedule.spec, schedule.policy
    return {
        "workflow": action.workflow,
        "task_queue": action.task_queue,
        "args": await client.data_converter.decode(list(args)) if args else [],
        "execution_timeout": action.execution_timeout,
        "action_attributes": _attributes(action.typed_search_attributes),
        "calendars": [_calendar(c) for c in spec.calendars],
        "cron_expressions": list(spec.cron_expressions),
        "intervals": list(spec.intervals),
        "skip": [_calendar(c) for c in spec.skip],
        "window": (spec.start_at, spec.end_at, spec.jitter),
        "time_zone": spec.time_zone_name,
        "policy": (policy.overlap, policy.catchup_window, policy.pause_on_failure),
        "attributes": _attributes(attributes),
    }


async def _encoded_args(client: Client, schedule: Schedule) -> list[Any]:
    action = schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    return list(await client.data_converter.encode(list(action.args)))


async def is_ours(description: ScheduleDescription, owner: str = OWNER) -> bool:
    memo = await description.memo()
    return bool(memo.get(OWNER_MEMO_KEY) == owner)


async def describe_if_exists(client: Client, schedule_id: str) -> ScheduleDescription | None:
    try:
        return await client.get_schedule_handle(schedule_id).describe()
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def _sync_one(
    client: Client, declaration: ScheduleDeclaration, start: ScheduledStart, owner: str, dry_run: bool
) -> str:
    """One declared schedule; returns the SyncReport field it belongs to."""
    desired = desired_schedule(declaration, start)
    for _attempt in range(2):
        described = await describe_if_exists(client, declaration.schedule_id)
        if described is None:
            if dry_run:
                return "created"
            try:
                await client.create_schedule(
                    declaration.schedule_id, desired, memo={OWNER_MEMO_KEY: owner},
                    search_attributes=start.search_attributes,
                )  # fmt: skip
                return "created"
            except ScheduleAlreadyRunningError:
                continue  # created meanwhile by someone else: compare with that one
        if not await is_ours(described, owner):
            return "conflicts"
        current = await _shape(
            client,
            described.schedule,
            described.typed_search_attributes,
            described.schedule.action.args
            if isinstance(described.schedule.action, ScheduleActionStartWorkflow)
            else [],
        )
        wanted = await _shape(client, desired, start.search_attributes, await _encoded_args(client, desired))
        if current == wanted:
            return "unchanged"
        if not dry_run:

            def keep_state(update: ScheduleUpdateInput) -> ScheduleUpdate:
                state = update.description.schedule.state
                return ScheduleUpdate(
                    schedule=dataclasses.replace(desired, state=state),
                    search_attributes=start.search_attributes,
                )

            await client.get_schedule_handle(declaration.schedule_id).update(keep_state)
        return "updated"
    raise RuntimeError(f"schedule {declaration.schedule_id} keeps appearing and disappearing")


async def sync_schedules(
    client: Client,
    declarations: Iterable[ScheduleDeclaration],
    router: TaskRouter,
    *,
    owner: str = OWNER,
    dry_run: bool = False,
) -> SyncReport:
    """Create missing schedules, update changed ones, delete ours that are no longer declared.

    Returns what it did (or, with `dry_run`, what it would do). Foreign schedules are never touched. If any
    declaration names a task the router does not know (or params its task refuses), raises
    UnroutableSchedules naming every one of them before touching anything: a partial sync would silently
    leave a Beat entry without its schedule.
    """
    declared = list(declarations)
    ids = [declaration.schedule_id for declaration in declared]
    if len(set(ids)) != len(ids):
        raise ValueError(f"schedule ids are declared twice: {sorted({i for i in ids if ids.count(i) > 1})}")
    starts: dict[str, ScheduledStart] = {}
    missing: dict[str, str] = {}
    invalid: dict[str, str] = {}
    for declaration in declared:
        try:
            starts[declaration.schedule_id] = router(declaration.task_name, declaration.params)
        except LookupError:
            missing[declaration.schedule_id] = declaration.task_name
        except ValueError as error:  # pydantic's ValidationError: the task's input model refuses the params
            invalid[declaration.schedule_id] = " ".join(str(error).split())
    if missing or invalid:
        raise UnroutableSchedules(missing, invalid)
    report = SyncReport()
    for declaration in declared:
        outcome = await _sync_one(client, declaration, starts[declaration.schedule_id], owner, dry_run)
        getattr(report, outcome).append(declaration.schedule_id)
    # Listing is eventually consistent: each candidate is described (strongly consistent) before deletion.
    async for listed in await client.list_schedules():
        if listed.id in ids or (await listed.memo()).get(OWNER_MEMO_KEY) != owner:
            continue
        described = await describe_if_exists(client, listed.id)
        if described is None or not await is_ours(described, owner):
            continue
        if not dry_run:
            await client.get_schedule_handle(listed.id).delete()
        report.deleted.append(listed.id)
    return report
