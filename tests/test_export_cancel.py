"""Cancelling an export leaves nothing behind: no file, no temp file, no index row, no staged part, no
certificate. Each task is held at a known step of its real activity by a fault-injection pause (FAULT_PAUSES)
on an exports worker of the stack's isolated namespace, then cancelled through the API's own code."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from subprocess import Popen
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import Engine, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from api.routes.tasks import cancel
from api.schemas import TaskStatus
from api.task_starter import start_task
from api.task_state import task_state
from gaveurs.artifacts import run_tag
from gaveurs.catalogue import AnySpec
from gaveurs.catalogue.exports import CERTIFICATE, LOTS_BATCH_CSV, SITE_PDF_REPORT, SQAL_CSV, WEEKLY_REPORTS
from gaveurs.contracts.certificates import BlockchainCertificateInput
from gaveurs.contracts.exports import BatchLotsCsvInput, SitePdfReportInput, SqalCsvInput, WeeklyReportsInput
from gaveurs.db.models import Artifact, Certificate
from gaveurs.db.session import make_engine, session_scope
from gaveurs.exports.tables import batch_staging_key
from gaveurs.queues import TaskQueue
from tests.fixtures_stack import Stack, wait_for_pollers

PAUSES = {
    "render_site_report.before_store": 60,
    "write_sqal_csv.before_store": 60,
    "issue_lot_certificate.before_issue": 60,
    "export_lots_batch_steps.after_step": 60,
    "render_weekly_site_report.before_render.MT": 60,
}


@dataclass
class PausedExports:
    client: Client
    process: Popen[bytes]
    engine: Engine
    store: Path

    def rows_of(self, task_id: str) -> list[Artifact]:
        with session_scope(self.engine) as session:
            return list(session.scalars(select(Artifact).where(Artifact.task_id == task_id)))

    def files(self, pattern: str) -> list[Path]:
        return sorted(self.store.rglob(pattern))

    def files_of(self, state: TaskStatus) -> list[Path]:
        """Every file named after this run (`…_r<run tag>.<ext>`), wherever it is in the store."""
        return self.files(f"*_r{run_tag(state.run_id)}.*")


@pytest.fixture(scope="module")
async def paused(stack: Stack) -> AsyncIterator[PausedExports]:
    process = stack.spawn(
        "-m", "workers", "exports", name=f"paused-exports-{stack.backend}", namespace=stack.isolated_namespace,
        FAULT_PAUSES=json.dumps(PAUSES),
    )  # fmt: skip
    client = await stack.client(stack.isolated_namespace)
    engine = make_engine(stack.database_url)
    try:
        await wait_for_pollers(client, [TaskQueue.EXPORTS])
        yield PausedExports(client, process, engine, stack.root / "artifacts")
    finally:
        process.terminate()
        process.wait(timeout=30)
        engine.dispose()


async def held(
    client: Client, spec: AnySpec, params: BaseModel, until: Callable[[TaskStatus], bool], what: str
) -> TaskStatus:
    """Start the task and return once its activity, running on a worker, shows the state `until` waits for."""
    task_id = (await start_task(client, spec, params)).task_id
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = await task_state(client, task_id)
        if state.status == "STARTED" and state.worker and until(state):
            return state
        assert state.status in {"PENDING", "STARTED"}, state
        await asyncio.sleep(0.1)
    raise AssertionError(f"{spec.name} never reached {what}")


def at_stage(stage: str) -> Callable[[TaskStatus], bool]:
    return lambda state: state.stage == stage


async def cancelled(client: Client, state: TaskStatus) -> list[Any]:
    """Cancel as the API does; the run must read REVOKED, its activity having confirmed it stopped."""
    await cancel(client, state.task_id)
    ended = await task_state(client, state.task_id, wait_s=30)
    assert ended.status == "REVOKED", ended
    history = await client.get_workflow_handle(state.workflow_id, run_id=state.run_id).fetch_history()
    events = [event.event_type for event in history.events]
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED in events  # WAIT_CANCELLATION_COMPLETED
    return events


def assert_no_temp_files(store: Path) -> None:
    assert [p for p in store.rglob(".tmp-*")] == []


async def test_cancelled_site_report_leaves_no_file(paused: PausedExports) -> None:
    params = SitePdfReportInput(site_code="MT", date_debut=date(2026, 9, 1), date_fin=date(2026, 9, 30))
    state = await held(
        paused.client, SITE_PDF_REPORT, params, at_stage("enregistrement du fichier"), "the store step"
    )
    await cancelled(paused.client, state)
    assert paused.rows_of(state.task_id) == []
    assert paused.files_of(state) == []
    assert_no_temp_files(paused.store)


async def test_cancelled_csv_leaves_no_partial_file(paused: PausedExports) -> None:
    # Every SQAL sample written to the temp file, held just before it would be renamed into place.
    state = await held(
        paused.client, SQAL_CSV, SqalCsvInput(), at_stage("enregistrement du fichier"), "the store step"
    )
    (temp,) = paused.files_of(state)
    assert temp.name.startswith(".tmp-sqal_all_") and temp.stat().st_size > 1_000_000
    await cancelled(paused.client, state)
    assert paused.rows_of(state.task_id) == []
    assert paused.files_of(state) == []
    assert_no_temp_files(paused.store)


async def test_a_certificate_cancelled_before_issuing_is_never_issued(paused: PausedExports) -> None:
    state = await held(
        paused.client,
        CERTIFICATE,
        BlockchainCertificateInput(lot_id=3475, certificate_type="origin"),
        at_stage("préparation du certificat"),
        "the issuing step",
    )
    await cancelled(paused.client, state)
    with session_scope(paused.engine) as session:
        issued = session.scalars(select(Certificate).where(Certificate.task_id == state.task_id)).all()
    assert issued == []
    assert paused.rows_of(state.task_id) == []


async def test_a_cancelled_batch_leaves_no_staged_part(paused: PausedExports) -> None:
    state = await held(
        paused.client,
        LOTS_BATCH_CSV,
        BatchLotsCsvInput(lot_ids=list(range(3520, 3580))),
        at_stage("lots exportés : 25/60"),
        "the end of its first slice",
    )
    staging = paused.store / ".staging" / batch_staging_key(state.task_id, state.run_id)
    assert sorted(p.name for p in staging.iterdir()) == [
        "part-00000-gavage.csv",
        "part-00000-lots.csv",
        "part-00000-sqal.csv",
    ]
    await cancelled(paused.client, state)
    assert not staging.exists()
    assert paused.rows_of(state.task_id) == []
    assert_no_temp_files(paused.store)


async def test_a_cancelled_weekly_run_removes_the_reports_it_had_published(paused: PausedExports) -> None:
    def two_published(state: TaskStatus) -> bool:
        return len(paused.rows_of(state.task_id)) == 2

    state = await held(
        paused.client,
        WEEKLY_REPORTS,
        WeeklyReportsInput(week_start=date(2026, 10, 12)),
        two_published,
        "two sites' reports published while the third is held",
    )
    published = [paused.store / row.path for row in paused.rows_of(state.task_id)]
    assert sorted(p.name[:10] for p in published) == ["weekly_LL_", "weekly_LS_"]
    assert all(p.is_file() for p in published)
    events = await cancelled(paused.client, state)
    # The clean-up ran in the workflow (a local activity's marker) after the cancel reached it.
    assert (
        EventType.EVENT_TYPE_MARKER_RECORDED
        in events[events.index(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED) :]
    )
    assert paused.rows_of(state.task_id) == []
    assert not any(p.exists() for p in published)
