"""Cancelling a backup stops it and leaves no file: pg_dump is killed, the run's partial file is deleted.

On PostgreSQL a test transaction holds an exclusive lock on a table, so pg_dump is caught for real in the
middle of its dump (it has created its output file and waits for the lock). On SQLite the copy is one step,
so the backup is caught by a fault pause between writing its temporary file and renaming it. Workers of the
stack's isolated namespace run with that pause; the cancel goes through the API's own code.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from temporalio.api.enums.v1 import EventType

from gaveurs.artifacts import run_tag
from gaveurs.catalogue.maintenance import BACKUP_DATABASE
from gaveurs.contracts.maintenance import BackupDatabaseInput
from gaveurs.queues import TaskQueue
from tests.fixtures_stack import Stack, wait_for_pollers
from tests.processes import children, computing_children
from tests.test_cancel import PausedWorkers, cancel_and_wait, paused_at


@pytest.fixture(scope="module")
async def paused(stack: Stack) -> AsyncIterator[PausedWorkers]:
    process = stack.spawn(
        "-m", "workers", "all", name=f"backup-paused-workers-{stack.backend}", namespace=stack.isolated_namespace,
        FAULT_PAUSES=json.dumps({"backup_database.before_rename": 60}),
    )  # fmt: skip
    client = await stack.client(stack.isolated_namespace)
    try:
        await wait_for_pollers(client, list(TaskQueue))
        yield PausedWorkers(client, process)
    finally:
        process.terminate()
        process.wait(timeout=30)


def descendants(pid: int) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        below = children(frontier.pop())
        found += below
        frontier += below
    return found


def pg_dumps(worker_pid: int) -> list[int]:
    """pg_dump processes the worker started (through its fork server and the backup's own process)."""
    dumps = []
    for pid in descendants(worker_pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
        except OSError:
            continue
        if command.endswith(b"pg_dump"):
            dumps.append(pid)
    return dumps


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def libpq(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def table_locked(stack: Stack) -> Iterator[None]:
    """On PostgreSQL, an exclusive lock pg_dump must wait for (it locks every table before dumping)."""
    if stack.backend != "postgres":
        yield
        return
    with psycopg.connect(libpq(stack.database_url)) as connection:
        connection.execute("LOCK TABLE lots_gavage IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            connection.rollback()


def until(probe: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


async def test_a_cancelled_backup_is_stopped_and_leaves_no_file(paused: PausedWorkers, stack: Stack) -> None:
    backups = stack.root / "backups"
    backups.mkdir(exist_ok=True)
    before = sorted(backups.iterdir())
    with table_locked(stack):
        stage = "pg_dump" if stack.backend == "postgres" else "somme de contrôle"
        state = await paused_at(paused.client, BACKUP_DATABASE, BackupDatabaseInput(keep_daily=2), stage)
        temporaries = f".tmp-{run_tag(state.run_id)}-*"
        # The run is caught mid-way: its partial file exists, and on PostgreSQL pg_dump is running.
        until(lambda: list(backups.glob(temporaries)), "the run's temporary file")
        if stack.backend == "postgres":
            until(lambda: pg_dumps(paused.process.pid), "pg_dump to run")
        running = pg_dumps(paused.process.pid) + computing_children(paused.process.pid)
        assert computing_children(paused.process.pid), "the backup runs in a child process"

        ended, events = await cancel_and_wait(paused.client, state)
        assert ended.status == "REVOKED"
        # The workflow closed only after the activity confirmed it had stopped and cleaned up.
        assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED in events
        # Gone, not merely orphaned (an orphan would be re-parented away from the worker, still dumping).
        assert [pid for pid in running if alive(pid)] == []
        assert sorted(backups.iterdir()) == before, "neither a partial nor a finished file of the run is left"

    if stack.backend == "postgres":
        # pg_dump's server session, left waiting for the lock, ends once it gets it and finds no client.
        name = make_url(stack.database_url).database

        def no_dump_session() -> bool:
            with psycopg.connect(libpq(stack.database_url), autocommit=True) as connection:
                row = connection.execute(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s AND application_name = 'pg_dump'",
                    (name,),
                ).fetchone()
            return row is not None and row[0] == 0

        await asyncio.to_thread(until, no_dump_session, "pg_dump's session to end")
