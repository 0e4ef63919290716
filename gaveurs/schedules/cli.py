"""`python -m gaveurs schedules sync|list|pause|unpause|trigger|backfill`: the schedule API from a shell.

Against TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, like everything else. `temporal schedule …` works as well;
this command knows which schedules are ours and that their crons are in Paris time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from temporalio.client import Client, ScheduleOverlapPolicy
from temporalio.exceptions import ApplicationError

from gaveurs.schedules.catalogue_router import sync_declared_schedules
from gaveurs.schedules.declarations import PARIS
from gaveurs.schedules.operations import (
    ScheduleSummary,
    backfill_schedule,
    list_schedules,
    pause_schedule,
    trigger_schedule,
    unpause_schedule,
)
from gaveurs.schedules.sync import UnroutableSchedules
from gaveurs.settings import get_settings
from gaveurs.task_ids import format_task_id


def _when(moment: datetime | None) -> str:
    return moment.astimezone(ZoneInfo(PARIS)).strftime("%Y-%m-%d %H:%M %Z") if moment else "—"


def _table(summaries: list[ScheduleSummary]) -> str:
    rows = [("schedule", "task", "cron (Paris)", "next run", "state", "last run")]
    for s in summaries:
        last = s.last_run
        rows.append(
            (
                s.schedule_id,
                s.task_name or s.workflow_type,
                ", ".join(s.calendars),
                _when(s.next_runs[0] if s.next_runs else None),
                f"paused: {s.note}" if s.paused else "active",
                f"{last.status} {_when(last.scheduled_at)}" if last else "—",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows
    )


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _sync(client: Client, args: argparse.Namespace) -> str:
    report = await sync_declared_schedules(client, dry_run=args.dry_run)
    return json.dumps(report.model_dump(), indent=2)


async def _list(client: Client, args: argparse.Namespace) -> str:
    summaries = await list_schedules(client)
    if args.json:
        return json.dumps([s.model_dump(mode="json") for s in summaries], indent=2, ensure_ascii=False)
    return _table(summaries)


async def _pause(client: Client, args: argparse.Namespace) -> str:
    summary = await pause_schedule(client, args.schedule_id, args.note)
    return f"{summary.schedule_id} paused: {summary.note}"


async def _unpause(client: Client, args: argparse.Namespace) -> str:
    summary = await unpause_schedule(client, args.schedule_id, args.note)
    return (
        f"{summary.schedule_id} active; next run {_when(summary.next_runs[0] if summary.next_runs else None)}"
    )


async def _trigger(client: Client, args: argparse.Namespace) -> str:
    outcome = await trigger_schedule(client, args.schedule_id, wait_s=5.0)
    if outcome.skipped:
        return f"{args.schedule_id}: skipped, a run is under way (overlap policy)"
    if outcome.started is None:
        return f"{args.schedule_id}: accepted, Temporal will start the run shortly"
    run = outcome.started
    return f"{args.schedule_id}: started task {format_task_id(run.workflow_id, run.run_id)}"


async def _backfill(client: Client, args: argparse.Namespace) -> str:
    start, end = _moment(args.start), _moment(args.end)
    await backfill_schedule(client, args.schedule_id, start, end, overlap=ScheduleOverlapPolicy[args.overlap])
    return f"{args.schedule_id}: one run per firing time in ({start.isoformat()}, {end.isoformat()}]"


Action = Callable[[Client, argparse.Namespace], Awaitable[str]]


def add_commands(commands: Any) -> None:
    """Add `schedules …` to the `python -m gaveurs` parser (`commands` is its subparsers object)."""
    parser = commands.add_parser("schedules", help="Temporal schedules (the Celery Beat entries)")
    actions = parser.add_subparsers(required=True, metavar="action")

    def action(name: str, run: Action, help_text: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = actions.add_parser(name, help=help_text)
        sub.set_defaults(run=lambda args: _main(run, args))
        return sub

    sync = action("sync", _sync, "create, update or delete schedules to match the declarations")
    sync.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
    listing = action("list", _list, "our schedules, next run times, last run")
    listing.add_argument("--json", action="store_true")
    for name, run in (("pause", _pause), ("unpause", _unpause)):
        sub = action(name, run, f"{name} a schedule, saying why")
        sub.add_argument("schedule_id")
        sub.add_argument("--note", required=True)
    action("trigger", _trigger, "run a schedule's task now").add_argument("schedule_id")
    backfill = action("backfill", _backfill, "run a schedule for each time it would have fired in a range")
    backfill.add_argument("schedule_id")
    backfill.add_argument("--start", required=True, help="ISO 8601; UTC unless an offset is given")
    backfill.add_argument("--end", required=True)
    backfill.add_argument("--overlap", default="BUFFER_ALL", choices=[p.name for p in ScheduleOverlapPolicy])


def _main(run: Action, args: argparse.Namespace) -> None:
    from gaveurs.temporal_client import connect

    async def go() -> str:
        return await run(await connect(get_settings()), args)

    try:
        print(asyncio.run(go()))
        code = 0
    except UnroutableSchedules as error:
        print(f"error: {error}", file=sys.stderr)
        code = 1
    except ApplicationError as error:
        print(f"error: {error.type}: {error.message}", file=sys.stderr)
        code = 1
    # The Temporal client's core threads may call into Python while the interpreter shuts down and abort it
    # (temporalio/sdk-python#300, about 1 exit in 10 here): the command is done, skip the teardown.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
