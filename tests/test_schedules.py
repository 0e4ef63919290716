"""Schedules as data, their sync and their operations, on a real Temporal dev server.

Each test gets a fresh namespace on the session's dev server, so the shared namespaces' workers never pick up
the workflows triggered here. No worker is needed to check what a trigger starts: the workflow's description
and its first history event say which type, queue, input and search attributes it got.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleOverlapPolicy,
    ScheduleSpec,
)
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from gaveurs.catalogue import CATALOGUE, UnknownTask
from gaveurs.schedules import (
    SCHEDULES,
    ScheduleDeclaration,
    ScheduleSummary,
    UnroutableSchedules,
    backfill_schedule,
    describe_schedule,
    list_schedules,
    pause_schedule,
    route_by_queue,
    sync_schedules,
    trigger_schedule,
    unpause_schedule,
)
from gaveurs.schedules.catalogue_router import route_by_catalogue, sync_declared_schedules
from gaveurs.schedules.cron import CronError, cron_calendar
from gaveurs.search_attributes import QUEUE, TASK_NAME
from gaveurs.temporal_server import DevServer
from tests.fixtures_stack import PROJECT
from tests.namespaces import fresh_namespace

# The queue of every scheduled task, as /work/shared/TASKS.md gives them.
TASKS_MD_QUEUES = {
    "refresh_continuous_aggregates": "default", "backup_database_task": "default",
    "cleanup_old_celery_tasks": "default", "send_daily_summary_reports": "notifications",
    "weekly_reports_generation": "exports", "calculate_weekly_kpis": "default",
    "monthly_ml_models_retraining": "default", "cleanup_old_sensor_data": "default",
    "health_check_periodic": "default", "detect_anomalies_periodic": "ml_light",
}  # fmt: skip
ROUTER = route_by_queue(TASKS_MD_QUEUES)
PARIS = ZoneInfo("Europe/Paris")
SCHEDULED_BY = SearchAttributeKey.for_keyword("TemporalScheduledById")
SCHEDULED_AT = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str, timeout: float = 20.0) -> T:
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


@pytest.fixture
async def client(temporal_server: DevServer) -> AsyncIterator[Client]:
    async with fresh_namespace(temporal_server, "schedules") as client:
        yield client


async def all_listed(client: Client, count: int) -> list[ScheduleSummary]:
    async def probe() -> list[ScheduleSummary] | None:
        summaries = await list_schedules(client)
        return summaries if len(summaries) == count else None

    return await eventually(probe, f"{count} schedules in the list")


# --- declarations -------------------------------------------------------------------------------------


def test_the_ten_beat_entries_are_declared_in_paris_time() -> None:
    assert {d.schedule_id: (d.cron, d.task_name) for d in SCHEDULES} == {
        "refresh-continuous-aggregates-hourly": ("0 * * * *", "refresh_continuous_aggregates"),
        "backup-database-daily": ("0 3 * * *", "backup_database_task"),
        "cleanup-old-tasks-daily": ("0 4 * * *", "cleanup_old_celery_tasks"),
        "daily-summary-reports": ("0 18 * * *", "send_daily_summary_reports"),
        "weekly-reports-generation": ("0 6 * * 1", "weekly_reports_generation"),
        "weekly-kpis-calculation": ("0 7 * * 1", "calculate_weekly_kpis"),
        "monthly-ml-retraining": ("0 2 1 * *", "monthly_ml_models_retraining"),
        "cleanup-old-sensor-data": ("0 5 1 * *", "cleanup_old_sensor_data"),
        "health-check-periodic": ("0 */6 * * *", "health_check_periodic"),
        "anomalies-detection-periodic": ("0 */6 * * *", "detect_anomalies_periodic"),
    }
    assert {d.time_zone for d in SCHEDULES} == {"Europe/Paris"}
    overlap = {d.schedule_id: d.overlap for d in SCHEDULES}
    assert overlap["backup-database-daily"] == ScheduleOverlapPolicy.SKIP
    assert overlap["refresh-continuous-aggregates-hourly"] == ScheduleOverlapPolicy.BUFFER_ONE
    assert overlap["weekly-kpis-calculation"] == ScheduleOverlapPolicy.BUFFER_ALL
    assert all(timedelta(0) < d.catchup_window <= timedelta(weeks=4) for d in SCHEDULES)


def test_cron_expressions_become_calendars() -> None:
    every_six_hours = cron_calendar("0 */6 * * *")
    assert [(r.start, r.end, r.step) for r in every_six_hours.hour] == [(0, 23, 6)]
    monday = cron_calendar("0 6 * * 1")
    assert [(r.start, r.end) for r in monday.day_of_week] == [(1, 1)] and monday.comment == "0 6 * * 1"
    first = cron_calendar("0 2 1 * *")
    assert [(r.start, r.end) for r in first.day_of_month] == [(1, 1)]
    assert [(r.start, r.end) for r in first.day_of_week] == [(0, 6)]
    assert [(r.start, r.end) for r in cron_calendar("15,45 8-18/2 * * 1-5,7").day_of_week] == [(1, 5), (0, 0)]
    for bad in ("0 3 * *", "61 * * * *", "0 3 1 * 1", "a * * * *", "0 */0 * * *"):
        with pytest.raises(CronError):
            cron_calendar(bad)


# --- sync ---------------------------------------------------------------------------------------------


async def test_sync_creates_the_ten_and_a_second_sync_does_nothing(client: Client) -> None:
    first = await sync_schedules(client, SCHEDULES, ROUTER)
    assert sorted(first.created) == sorted(d.schedule_id for d in SCHEDULES)
    assert first.updated == first.unchanged == first.deleted == first.conflicts == []

    second = await sync_schedules(client, SCHEDULES, ROUTER)
    assert sorted(second.unchanged) == sorted(first.created)
    assert second.created == second.updated == second.deleted == second.conflicts == []

    for declaration in SCHEDULES:
        described = await client.get_schedule_handle(declaration.schedule_id).describe()
        queue = TASKS_MD_QUEUES[declaration.task_name]
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert (action.workflow, action.task_queue) == (declaration.task_name, queue)
        for attributes in (described.typed_search_attributes, action.typed_search_attributes):
            assert (attributes.get(TASK_NAME), attributes.get(QUEUE)) == (declaration.task_name, queue)
        assert described.schedule.spec.time_zone_name == "Europe/Paris"
        assert described.schedule.policy.overlap == declaration.overlap
        assert described.schedule.policy.catchup_window == declaration.catchup_window
        assert (await described.memo())["managed_by"] == "gaveurs-tasks"


async def test_a_changed_declaration_is_updated_and_an_operators_pause_survives(client: Client) -> None:
    await sync_schedules(client, SCHEDULES, ROUTER)
    await pause_schedule(client, "backup-database-daily", "disque de sauvegarde en maintenance")
    changed = [
        dataclasses.replace(d, cron="30 2 * * *", params={"keep_daily": 3})
        if d.schedule_id == "backup-database-daily"
        else dataclasses.replace(d, overlap=ScheduleOverlapPolicy.BUFFER_ONE)
        if d.schedule_id == "health-check-periodic"
        else d
        for d in SCHEDULES
    ]
    moved = route_by_queue({**TASKS_MD_QUEUES, "weekly_reports_generation": "default"})
    report = await sync_schedules(client, changed, moved)
    assert sorted(report.updated) == [
        "backup-database-daily",
        "health-check-periodic",
        "weekly-reports-generation",
    ]
    assert len(report.unchanged) == 7 and report.created == report.deleted == []
    assert sorted((await sync_schedules(client, changed, moved)).unchanged) == sorted(
        d.schedule_id for d in SCHEDULES
    )

    backup = await describe_schedule(client, "backup-database-daily")
    assert backup.calendars == ["30 2 * * *"] and backup.paused
    assert backup.note == "disque de sauvegarde en maintenance"
    assert all(run.astimezone(PARIS).strftime("%H:%M") == "02:30" for run in backup.next_runs)
    action = (await client.get_schedule_handle("backup-database-daily").describe()).schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert await client.data_converter.decode(action.args) == [{"keep_daily": 3}]
    assert (await describe_schedule(client, "weekly-reports-generation")).task_queue == "default"
    assert (await describe_schedule(client, "health-check-periodic")).overlap == "BUFFER_ONE"


async def test_a_removed_declaration_is_deleted_and_foreign_schedules_are_untouched(client: Client) -> None:
    foreign = Schedule(
        action=ScheduleActionStartWorkflow(
            "partner_export", {"to": "partner"}, id="partner-export", task_queue="partner"
        ),
        spec=ScheduleSpec(cron_expressions=["15 1 * * *"]),
    )
    await client.create_schedule("partner-nightly-export", foreign)  # no memo: not ours
    await client.create_schedule("daily-summary-reports", foreign, memo={"managed_by": "someone-else"})
    before = {sid: await client.get_schedule_handle(sid).describe() for sid in ("partner-nightly-export", "daily-summary-reports")}  # fmt: skip

    first = await sync_schedules(client, SCHEDULES, ROUTER)
    assert first.conflicts == ["daily-summary-reports"] and len(first.created) == 9
    await all_listed(client, 9)
    kept = [d for d in SCHEDULES if d.schedule_id != "cleanup-old-sensor-data"]
    report = await sync_schedules(client, kept, ROUTER)
    assert report.deleted == ["cleanup-old-sensor-data"] and report.conflicts == ["daily-summary-reports"]
    assert len(report.unchanged) == 8 and report.created == report.updated == []
    assert [s.schedule_id for s in await all_listed(client, 8)] == sorted(
        d.schedule_id for d in kept if d.schedule_id != "daily-summary-reports"
    )

    for schedule_id, described in before.items():
        now = await client.get_schedule_handle(schedule_id).describe()
        assert now.schedule == described.schedule and now.info.created_at == described.info.created_at
        with pytest.raises(ApplicationError) as raised:
            await pause_schedule(client, schedule_id, "not ours to pause")
        assert raised.value.type == "ScheduleNotFound"
    # A dry run reports without doing.
    dry = await sync_schedules(client, SCHEDULES, ROUTER, dry_run=True)
    assert dry.created == ["cleanup-old-sensor-data"] and len(await list_schedules(client)) == 8


# --- what the schedules start ------------------------------------------------------------------------


async def test_triggering_each_schedule_starts_its_task_with_its_input_on_its_queue(client: Client) -> None:
    await sync_schedules(client, SCHEDULES, ROUTER)
    for declaration in SCHEDULES:
        await trigger_schedule(client, declaration.schedule_id)
    for declaration in SCHEDULES:

        async def started(schedule_id: str = declaration.schedule_id) -> ScheduleSummary | None:
            summary = await describe_schedule(client, schedule_id)
            return summary if summary.last_run else None

        summary = await eventually(started, f"{declaration.schedule_id} to start a workflow")
        run = summary.last_run
        assert run is not None and summary.running == [run.workflow_id] and summary.actions_taken == 1
        assert (
            run is not None
            and run.status == "RUNNING"
            and run.workflow_id.startswith(declaration.schedule_id)
        )
        handle = client.get_workflow_handle(run.workflow_id, run_id=run.run_id)
        described = await handle.describe()
        queue = TASKS_MD_QUEUES[declaration.task_name]
        assert (described.workflow_type, described.task_queue) == (declaration.task_name, queue)
        attributes = described.typed_search_attributes
        assert (attributes.get(TASK_NAME), attributes.get(QUEUE)) == (declaration.task_name, queue)
        assert attributes.get(SCHEDULED_BY) == declaration.schedule_id
        first = await anext(aiter(handle.fetch_history_events()))
        assert first.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
        started_with = first.workflow_execution_started_event_attributes
        assert started_with.workflow_type.name == declaration.task_name
        assert started_with.task_queue.name == queue
        assert await client.data_converter.decode(started_with.input.payloads) == [dict(declaration.params)]


async def test_pause_unpause_backfill_and_the_list(client: Client) -> None:
    await sync_schedules(client, SCHEDULES, ROUTER)
    paused = await pause_schedule(client, "cleanup-old-tasks-daily", "migration en cours")
    assert paused.paused and paused.note == "migration en cours"
    listed = {s.schedule_id: s for s in await all_listed(client, 10)}
    assert listed["cleanup-old-tasks-daily"].paused
    resumed = await unpause_schedule(client, "cleanup-old-tasks-daily", "migration terminée")
    assert not resumed.paused and resumed.note == "migration terminée"

    # Next run times follow each cron in Paris time, across clock changes.
    def local(summary: ScheduleSummary) -> list[datetime]:
        assert len(summary.next_runs) == 5 and summary.next_runs == sorted(summary.next_runs)
        assert summary.next_runs[0] > datetime.now(UTC) - timedelta(seconds=5)
        return [run.astimezone(PARIS) for run in summary.next_runs]

    assert {(r.hour, r.minute) for r in local(listed["backup-database-daily"])} == {(3, 0)}
    assert {(r.weekday(), r.hour) for r in local(listed["weekly-kpis-calculation"])} == {(0, 7)}
    assert {(r.day, r.hour) for r in local(listed["monthly-ml-retraining"])} == {(1, 2)}
    assert {r.hour for r in local(listed["health-check-periodic"])} <= {0, 6, 12, 18}
    hourly = local(listed["refresh-continuous-aggregates-hourly"])
    assert {r.minute for r in hourly} == {0} and all(
        b - a == timedelta(hours=1) for a, b in itertools.pairwise(hourly)
    )
    assert (
        listed["backup-database-daily"].overlap == "SKIP" and listed["backup-database-daily"].last_run is None
    )

    # Backfill three hours of the hourly refresh, all at once (no worker here to finish them).
    start = datetime(2026, 1, 5, 0, 30, tzinfo=UTC)
    await backfill_schedule(
        client,
        "refresh-continuous-aggregates-hourly",
        start,
        start + timedelta(hours=3),
        overlap=ScheduleOverlapPolicy.ALLOW_ALL,
    )

    async def three_runs() -> list[datetime] | None:
        info = (await client.get_schedule_handle("refresh-continuous-aggregates-hourly").describe()).info
        return [a.scheduled_at for a in info.recent_actions] if len(info.recent_actions) == 3 else None

    assert await eventually(three_runs, "three backfilled runs") == [
        datetime(2026, 1, 5, hour, tzinfo=UTC) for hour in (1, 2, 3)
    ]
    summary = await describe_schedule(client, "refresh-continuous-aggregates-hourly")
    assert summary.last_run is not None and summary.last_run.scheduled_at == datetime(
        2026, 1, 5, 3, tzinfo=UTC
    )
    # ALLOW_ALL runs are not tracked as running by the schedule (they are not sequential).
    assert summary.actions_taken == 3 and summary.last_run.status == "RUNNING"
    # Each backfilled run knows the time it stands for: a task reporting on a period (the weekly KPIs)
    # derives its period from it, so a backfill recomputes the right hours or weeks.
    recent = (
        await client.get_schedule_handle("refresh-continuous-aggregates-hourly").describe()
    ).info.recent_actions
    for action in recent:
        assert isinstance(action.action, ScheduleActionExecutionStartWorkflow)
        described = await client.get_workflow_handle(action.action.workflow_id).describe()
        assert described.typed_search_attributes.get(SCHEDULED_AT) == action.scheduled_at

    for attempt, kind in (
        (lambda: backfill_schedule(client, "backup-database-daily", start, start), "InvalidBackfillRange"),
        (lambda: trigger_schedule(client, "no-such-schedule"), "ScheduleNotFound"),
        (lambda: unpause_schedule(client, "no-such-schedule", "?"), "ScheduleNotFound"),
    ):
        with pytest.raises(ApplicationError) as raised:
            await attempt()
        assert raised.value.type == kind and raised.value.non_retryable


# --- last result -------------------------------------------------------------------------------------


@workflow.defn(name="schedules_test_echo")
class EchoWorkflow:
    """A stand-in task for this test only: finishes with its input, or fails as asked."""

    @workflow.run
    async def run(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("fail"):
            raise ApplicationError("asked to fail", type="InsufficientData", non_retryable=True)
        return {"status": "success", "echo": params}


async def test_the_list_shows_the_last_runs_result_or_error(client: Client) -> None:
    declarations = [
        ScheduleDeclaration("echo-ok", "schedules_test_echo", "0 5 * * *", ScheduleOverlapPolicy.SKIP, timedelta(hours=1), {"n": 1}),
        ScheduleDeclaration("echo-fails", "schedules_test_echo", "0 5 * * *", ScheduleOverlapPolicy.SKIP, timedelta(hours=1), {"fail": True}),
    ]  # fmt: skip
    await sync_schedules(client, declarations, route_by_queue({"schedules_test_echo": "schedules-test"}))
    # Unsandboxed: the sandbox would re-import this whole test module and its project imports.
    async with Worker(
        client,
        task_queue="schedules-test",
        workflows=[EchoWorkflow],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        for declaration in declarations:
            await trigger_schedule(client, declaration.schedule_id)

        async def finished() -> dict[str, ScheduleSummary] | None:
            summaries = {s.schedule_id: s for s in await list_schedules(client)}
            done = all(
                s.last_run and s.last_run.status in ("COMPLETED", "FAILED") for s in summaries.values()
            )
            return summaries if len(summaries) == 2 and done else None

        summaries = await eventually(finished, "both echo runs to finish")
    ok, failed = summaries["echo-ok"].last_run, summaries["echo-fails"].last_run
    assert (
        ok is not None and ok.status == "COMPLETED" and ok.result == {"status": "success", "echo": {"n": 1}}
    )
    assert ok.closed_at is not None and ok.error is None
    assert (
        failed is not None and failed.status == "FAILED" and failed.error == "InsufficientData: asked to fail"
    )


# --- the catalogue router: what make run and `schedules sync` use ------------------------------------------

# Declared tasks that other branches catalogue; until they all are, the full sync must refuse (see below).
UNCATALOGUED = sorted({d.task_name for d in SCHEDULES} - set(CATALOGUE))
CATALOGUED = [d for d in SCHEDULES if d.task_name in CATALOGUE]


def test_the_catalogue_routes_a_scheduled_task_as_the_api_would_start_it() -> None:
    assert CATALOGUED, "the maintenance tasks at least are catalogued"
    for declaration in CATALOGUED:
        spec = CATALOGUE[declaration.task_name]
        start = route_by_catalogue(declaration.task_name, declaration.params)
        assert (start.workflow_type, start.task_queue) == (spec.name, spec.queue.value)
        assert start.execution_timeout == spec.execution_timeout
        expected = spec.search_attributes(spec.input.model_validate(dict(declaration.params)))
        assert sorted((p.key.name, p.value) for p in start.search_attributes) == sorted(
            (p.key.name, p.value) for p in expected
        )
        assert start.input == dict(declaration.params)  # as declared: defaults stay defaults
    # Declared params are checked by the task's own input model when syncing, not at 03:00.
    with pytest.raises(ValidationError, match="keep_daily"):
        route_by_catalogue("backup_database_task", {"keep_daily": 0})
    with pytest.raises(UnknownTask):
        route_by_catalogue("app.tasks.scheduled_tasks.backup_database_task", {})  # seed names only


async def test_a_sync_naming_uncatalogued_tasks_fails_with_their_names_and_changes_nothing(
    client: Client,
) -> None:
    typo = ScheduleDeclaration("typo-daily", "backup_databse_task", "0 3 * * *", ScheduleOverlapPolicy.SKIP, timedelta(hours=1))  # fmt: skip
    ghost = ScheduleDeclaration("ghost-weekly", "ghost_task", "0 4 * * 1", ScheduleOverlapPolicy.SKIP, timedelta(hours=1))  # fmt: skip
    refused = dataclasses.replace(CATALOGUED[0], schedule_id="refused-params", params={"full": "sometimes"})
    with pytest.raises(UnroutableSchedules) as raised:
        await sync_schedules(client, [*CATALOGUED, typo, ghost, refused], route_by_catalogue)
    assert raised.value.missing == {"typo-daily": "backup_databse_task", "ghost-weekly": "ghost_task"}
    assert (
        list(raised.value.invalid) == ["refused-params"] and "full" in raised.value.invalid["refused-params"]
    )
    assert "typo-daily → backup_databse_task" in str(raised.value) and "nothing was synced" in str(
        raised.value
    )
    assert await list_schedules(client) == []
    created = (await sync_schedules(client, CATALOGUED, route_by_catalogue)).created
    assert created == [d.schedule_id for d in CATALOGUED]


async def test_the_declared_sync_creates_all_ten_once(client: Client) -> None:
    """What `make run` runs at start-up (a missing task is refused by the test above)."""
    assert not UNCATALOGUED, f"scheduled tasks without a catalogue row: {UNCATALOGUED}"
    report = await sync_declared_schedules(client)
    assert sorted(report.created) == sorted(d.schedule_id for d in SCHEDULES)
    assert (await sync_declared_schedules(client)).created == []


async def test_the_cli_sync_says_what_it_did_or_which_tasks_are_missing(
    client: Client, temporal_server: DevServer
) -> None:
    env = {**os.environ, "TEMPORAL_ADDRESS": temporal_server.address, "TEMPORAL_NAMESPACE": client.namespace}
    done = subprocess.run(
        [sys.executable, "-m", "gaveurs", "schedules", "sync"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["created"]) == len(SCHEDULES)


async def test_each_of_the_ten_schedules_starts_its_catalogued_task_with_its_input(client: Client) -> None:
    await sync_declared_schedules(client)
    for declaration in SCHEDULES:
        await trigger_schedule(client, declaration.schedule_id)
    for declaration in SCHEDULES:
        spec = CATALOGUE[declaration.task_name]

        async def started(schedule_id: str = declaration.schedule_id) -> ScheduleSummary | None:
            summary = await describe_schedule(client, schedule_id)
            return summary if summary.last_run else None

        run = (await eventually(started, f"{declaration.schedule_id} to start its task")).last_run
        assert run is not None
        handle = client.get_workflow_handle(run.workflow_id, run_id=run.run_id)
        described = await handle.describe()
        assert (described.workflow_type, described.task_queue) == (spec.name, spec.queue.value)
        params = spec.input.model_validate(dict(declaration.params))
        for pair in spec.search_attributes(params):
            assert described.typed_search_attributes.get(pair.key) == pair.value, (spec.name, pair.key.name)
        assert described.typed_search_attributes.get(SCHEDULED_BY) == declaration.schedule_id
        timeout = described.raw_description.execution_config.workflow_execution_timeout
        assert timeout.ToTimedelta() == spec.execution_timeout, spec.name
        first = await anext(aiter(handle.fetch_history_events()))
        payloads = first.workflow_execution_started_event_attributes.input.payloads
        (decoded,) = await client.data_converter.decode(payloads, [spec.input])
        assert decoded == params, spec.name


async def test_a_trigger_answers_with_the_run_it_started_or_that_the_policy_skipped_it(
    client: Client,
) -> None:
    await sync_schedules(client, SCHEDULES, ROUTER)
    # No worker here: the first run stays running, so under SKIP the second trigger is dropped.
    first = await trigger_schedule(client, "backup-database-daily", wait_s=10)
    assert first.started is not None and not first.skipped
    assert (
        first.started.workflow_id.startswith("backup-database-daily-") and first.started.status == "RUNNING"
    )
    second = await trigger_schedule(client, "backup-database-daily", wait_s=10)
    assert second.skipped and second.started is None
    summary = await describe_schedule(client, "backup-database-daily")
    assert summary.skipped_for_overlap == 1 and summary.running == [first.started.workflow_id]
