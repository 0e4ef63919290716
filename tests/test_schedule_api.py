"""/api/schedules, `python -m gaveurs schedules` and `temporal schedule` on the running stack (both backends).

The schedules whose tasks are catalogued are synced into the stack's namespace for this module, paused at
once (so none fires at its real time during the tests; triggers and backfills still run), and deleted at
the end. The stack's workers run what they start.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from temporalio.client import WorkflowExecutionStatus

from gaveurs.catalogue import CATALOGUE
from gaveurs.db.models import WeeklyKpi
from gaveurs.db.session import make_engine, session_scope
from gaveurs.schedules import SCHEDULES, ScheduleDeclaration, pause_schedule, sync_schedules
from gaveurs.schedules.catalogue_router import route_by_catalogue
from gaveurs.temporal_server import temporal_cli
from tests.fixtures_stack import PROJECT, Stack
from tests.waiting import wait_for_end, wait_until

PARIS = ZoneInfo("Europe/Paris")
NOTE = "tests: paused so nothing fires at its real time"


@pytest.fixture(scope="module")
async def synced(stack: Stack) -> AsyncIterator[list[ScheduleDeclaration]]:
    declared = [d for d in SCHEDULES if d.task_name in CATALOGUE]
    client = await stack.client()
    await sync_schedules(client, declared, route_by_catalogue)
    try:
        for declaration in declared:
            await pause_schedule(client, declaration.schedule_id, NOTE)
        yield declared
    finally:
        for declaration in declared:
            await client.get_schedule_handle(declaration.schedule_id).delete()


def listed(api: httpx.Client, count: int) -> dict[str, dict[str, Any]]:
    """The list once Temporal's (eventually consistent) listing shows all `count` schedules."""

    def complete() -> dict[str, Any] | None:
        body: dict[str, Any] = api.get("/api/schedules").json()
        return body if body["total"] == count else None

    body = wait_until(complete, timeout=30, what=f"{count} schedules listed")
    return {s["schedule_id"]: s for s in body["schedules"]}


def test_the_list_shows_each_schedule_its_task_cron_and_next_runs_in_paris(
    api: httpx.Client, synced: list[ScheduleDeclaration]
) -> None:
    schedules = listed(api, len(synced))
    assert set(schedules) == {d.schedule_id for d in synced}
    for declaration in synced:
        shown = schedules[declaration.schedule_id]
        spec = CATALOGUE[declaration.task_name]
        assert (shown["task_name"], shown["workflow_type"]) == (spec.name, spec.name)
        assert (shown["task_queue"], shown["calendars"]) == (spec.queue.value, [declaration.cron])
        assert (shown["time_zone"], shown["overlap"]) == ("Europe/Paris", declaration.overlap.name)
        assert shown["paused"] and shown["note"] == NOTE
        assert len(shown["next_runs"]) == 5
    backup = [
        datetime.fromisoformat(t).astimezone(PARIS) for t in schedules["backup-database-daily"]["next_runs"]
    ]
    assert {(t.hour, t.minute) for t in backup} == {(3, 0)}


def test_pause_and_unpause_carry_a_note_and_stats_count_the_active_schedules(
    api: httpx.Client, synced: list[ScheduleDeclaration]
) -> None:
    def scheduled(expected: int) -> None:
        wait_until(
            lambda: api.get("/api/tasks/stats").json()["tasks_scheduled"] == expected,
            timeout=30,
            what=f"tasks_scheduled == {expected}",
        )

    scheduled(0)
    resumed = api.post(
        "/api/schedules/backup-database-daily/unpause", json={"note": "disque de secours prêt"}
    )
    assert resumed.status_code == 200, resumed.text
    assert not resumed.json()["paused"] and resumed.json()["note"] == "disque de secours prêt"
    scheduled(1)
    paused = api.post("/api/schedules/backup-database-daily/pause", json={"note": NOTE})
    assert paused.json()["paused"] and paused.json()["note"] == NOTE
    scheduled(0)

    assert api.post("/api/schedules/backup-database-daily/pause", json={}).status_code == 422
    unknown = api.post("/api/schedules/no-such-schedule/pause", json={"note": "x"})
    assert unknown.status_code == 404 and "no-such-schedule" in unknown.json()["message"]
    assert api.get("/api/schedules/no-such-schedule").status_code == 404


def test_trigger_runs_the_task_now_and_the_list_shows_its_result(
    api: httpx.Client, synced: list[ScheduleDeclaration]
) -> None:
    triggered = api.post("/api/schedules/health-check-periodic/trigger")
    assert triggered.status_code == 200, triggered.text
    body = triggered.json()
    assert body["status"] == "started" and body["workflow_id"].startswith("health-check-periodic-")
    done = wait_for_end(api, body["task_id"], timeout=60)
    assert done["status"] == "SUCCESS" and done["task_name"] == "health_check_periodic"

    def last_run() -> dict[str, Any] | None:
        run: dict[str, Any] | None = api.get("/api/schedules/health-check-periodic").json()["last_run"]
        return run if run and run["status"] == "COMPLETED" else None

    run = wait_until(last_run, timeout=30, what="the triggered run in the schedule's description")
    assert run["workflow_id"] == body["workflow_id"] and run["result"]["status"] == "healthy"
    assert api.get("/api/tasks/system/health/last").json()["task_id"] == body["task_id"]


def test_a_backfill_computes_the_kpis_of_each_week_it_stands_for(
    api: httpx.Client, stack: Stack, synced: list[ScheduleDeclaration]
) -> None:
    # Two Mondays 07:00 (Paris) fall in the range: 5 and 12 October 2026, reporting weeks 40 and 41.
    window = {"start": "2026-10-04T00:00:00Z", "end": "2026-10-13T00:00:00Z"}
    accepted = api.post("/api/schedules/weekly-kpis-calculation/backfill", json=window)
    assert accepted.status_code == 202, accepted.text

    async def weeks() -> dict[str, str] | None:
        client = await stack.client()
        runs = {}
        async for execution in client.list_workflows("TemporalScheduledById='weekly-kpis-calculation'"):
            assert execution.status != WorkflowExecutionStatus.FAILED, execution.id
            if execution.status != WorkflowExecutionStatus.COMPLETED:
                return None
            result = await client.get_workflow_handle(execution.id, run_id=execution.run_id).result()
            runs[execution.id] = result["iso_week"]
        return runs if len(runs) == 2 else None

    runs = wait_until(lambda: asyncio.run(weeks()), timeout=120, what="both backfilled runs to finish")
    assert runs == {
        "weekly-kpis-calculation-2026-10-05T05:00:00Z": "2026-W40",
        "weekly-kpis-calculation-2026-10-12T05:00:00Z": "2026-W41",
    }
    engine = make_engine(stack.database_url)
    try:
        with session_scope(engine) as session:
            stored = set(session.scalars(select(WeeklyKpi.iso_week).where(WeeklyKpi.scope == "site:LL")))
    finally:
        engine.dispose()
    assert {"2026-W40", "2026-W41"} <= stored
    last = api.get("/api/schedules/weekly-kpis-calculation").json()["last_run"]
    assert last["scheduled_at"] == "2026-10-12T05:00:00Z" and last["result"]["iso_week"] == "2026-W41"

    backwards = api.post(
        "/api/schedules/weekly-kpis-calculation/backfill",
        json={"start": window["end"], "end": window["start"]},
    )
    assert backwards.status_code == 422 and "must end after it starts" in backwards.json()["message"]
    naive = api.post(
        "/api/schedules/weekly-kpis-calculation/backfill",
        json={"start": "2026-10-04T00:00", "end": "2026-10-13T00:00"},
    )
    assert naive.status_code == 422 and naive.json()["message"].startswith("start:")


def cli(stack: Stack, *args: str) -> str:
    env = {**os.environ, "TEMPORAL_ADDRESS": stack.temporal_address, "TEMPORAL_NAMESPACE": stack.namespace}
    done = subprocess.run(
        [sys.executable, "-m", "gaveurs", "schedules", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_same_operations_from_our_cli(
    api: httpx.Client, stack: Stack, synced: list[ScheduleDeclaration]
) -> None:
    listed(api, len(synced))
    shown = json.loads(cli(stack, "list", "--json"))
    assert [s["schedule_id"] for s in shown] == sorted(d.schedule_id for d in synced)
    table = cli(stack, "list")
    assert "backup-database-daily" in table and "0 3 * * *" in table and "paused" in table

    assert "paused: migration" in cli(stack, "pause", "cleanup-old-tasks-daily", "--note", "migration")
    assert api.get("/api/schedules/cleanup-old-tasks-daily").json()["note"] == "migration"
    assert "active" in cli(stack, "unpause", "cleanup-old-tasks-daily", "--note", "fin de migration")
    cli(stack, "pause", "cleanup-old-tasks-daily", "--note", NOTE)

    started = cli(stack, "trigger", "health-check-periodic")
    task_id = started.strip().rsplit(" ", 1)[1]
    assert task_id.startswith("health-check-periodic-")
    assert wait_for_end(api, task_id, timeout=60)["status"] == "SUCCESS"

    cli(stack, "backfill", "refresh-continuous-aggregates-hourly", "--start", "2026-11-02T00:30:00+00:00",
        "--end", "2026-11-02T02:30:00+00:00")  # fmt: skip
    wait_until(
        lambda: (
            next(
                r for r in json.loads(cli(stack, "list", "--json")) if r["schedule_id"].startswith("refresh")
            )["actions_taken"]
            >= 2
        ),
        timeout=60,
        what="two backfilled refreshes",
    )


def test_temporal_cli_lists_them_by_our_search_attributes(
    stack: Stack, synced: list[ScheduleDeclaration]
) -> None:
    def ids(query: str) -> list[str] | None:
        done = subprocess.run(
            [temporal_cli(), "schedule", "list", "--address", stack.temporal_address, "--namespace", stack.namespace,
             "--query", query, "--output", "json"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        found = sorted(entry["scheduleId"] for entry in json.loads(done.stdout or "[]"))
        return found or None

    backup = wait_until(
        lambda: ids("TaskName='backup_database_task' AND Queue='default'"),
        timeout=30,
        what="the CLI to list it",
    )
    assert backup == ["backup-database-daily"]
    default = wait_until(lambda: ids("Queue='default'"), timeout=30, what="the default queue's schedules")
    assert default == sorted(d.schedule_id for d in synced if CATALOGUE[d.task_name].queue.value == "default")


def test_the_schedules_are_documented_with_typed_answers(api: httpx.Client) -> None:
    document = api.get("/openapi.json").json()
    for path, method, model in (
        ("/api/schedules", "get", "ScheduleList"),
        ("/api/schedules/{schedule_id}", "get", "ScheduleSummary"),
        ("/api/schedules/{schedule_id}/trigger", "post", "ScheduleTriggered"),
        ("/api/schedules/{schedule_id}/backfill", "post", "BackfillAccepted"),
        ("/api/tasks/system/health/last", "get", "LastHealthCheck"),
    ):
        responses = document["paths"][path][method]["responses"]
        schema = next(r for code, r in responses.items() if code.startswith("2"))["content"][
            "application/json"
        ]
        assert schema["schema"]["$ref"].endswith(f"/{model}"), (path, schema)
