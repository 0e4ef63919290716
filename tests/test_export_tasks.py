"""The eight export tasks through the HTTP API of the running stack: start routes with the seed's answers,
results whose URLs serve exactly the bytes their sha256 describes, the seed's run-less names, refused input,
typed failures, and certificates that a change to one gavage row makes fail verification."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import re
import time
import zipfile
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from temporalio.service import RPCError

from gaveurs.catalogue import find_task
from gaveurs.contracts.exports import WeeklyReportsResult
from gaveurs.db.models import Artifact, Certificate, ConsumerFeedback, GavageData, SensorSample
from gaveurs.db.session import make_engine, session_scope
from gaveurs.exports.batch import LOTS_HEADER
from gaveurs.exports.csv_exports import FEEDBACK_HEADER, GAVAGE_HEADER, SQAL_HEADER
from gaveurs.reports.site_data import day_start
from gaveurs.schedules import SCHEDULES, ScheduledStart, backfill_schedule, sync_schedules
from tests.fixtures_stack import Stack
from tests.waiting import wait_for_end
from workflows.exports.weekly_reports import WeeklyReportsGenerationWorkflow

RUN_TAG = re.compile(r"_r[0-9a-f]{10}(?=\.[a-z]+$)")


@pytest.fixture
def farm(stack: Stack) -> Iterator[Engine]:
    engine = make_engine(stack.database_url)
    yield engine
    engine.dispose()


def submitted(api: httpx.Client, path: str, *, echoed: dict[str, Any], message: str, **kwargs: Any) -> str:
    """POST a start route; check the seed's answer (status, task_id, the inputs echoed, message)."""
    answer = api.post(f"/api/tasks{path}", **kwargs)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "submitted" and body["message"] == message
    assert {key: body[key] for key in echoed} == echoed
    task_id: str = body["task_id"]
    return task_id


def succeeded(api: httpx.Client, task_id: str, task_name: str) -> dict[str, Any]:
    done = wait_for_end(api, task_id)
    assert done["status"] == "SUCCESS", done
    assert done["task_name"] == task_name and done["queue"] == "exports" and done["progress"] == 100
    result: dict[str, Any] = done["result"]
    assert result["status"] == "success"
    return result


def failed(api: httpx.Client, task_id: str) -> str:
    done = wait_for_end(api, task_id)
    assert done["status"] == "FAILURE", done
    error: str = done["error"]
    return error


def download(api: httpx.Client, url: str, content_type: str, result: dict[str, Any]) -> bytes:
    """The file behind a result's URL: the right type, and exactly the bytes its size and sha256 describe."""
    answer = api.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == content_type
    assert answer.headers["etag"] == f'"{result["sha256"]}"'
    assert len(answer.content) == result["file_size"]
    assert hashlib.sha256(answer.content).hexdigest() == result["sha256"]
    return answer.content


def alias_of(url: str) -> str:
    """The seed's name of a run's file: the same path without the run tag."""
    alias = RUN_TAG.sub("", url)
    assert alias != url, url
    return alias


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


# --------------------------------------------------------------------------------------------------- PDFs


def test_each_run_of_a_lot_report_keeps_its_file_and_the_seed_name_serves_the_latest(
    api: httpx.Client,
) -> None:
    results = []
    for _ in range(2):
        task_id = submitted(
            api,
            "/export/pdf/lot?lot_id=3473&report_type=summary",
            echoed={"lot_id": 3473, "report_type": "summary"},
            message="PDF generation started",
        )
        results.append(succeeded(api, task_id, "generate_lot_pdf_report"))
    first, second = results
    assert first["pdf_url"] != second["pdf_url"]
    assert alias_of(first["pdf_url"]) == alias_of(second["pdf_url"])
    # Each task's URL still serves its own bytes after the re-run.
    download(api, first["pdf_url"], "application/pdf", first)
    download(api, second["pdf_url"], "application/pdf", second)
    latest = api.get(alias_of(first["pdf_url"]))
    assert latest.status_code == 200 and latest.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(latest.content).hexdigest() == second["sha256"]
    assert latest.headers["content-location"] == second["pdf_url"]


def test_site_report(api: httpx.Client) -> None:
    task_id = submitted(
        api,
        "/export/pdf/site?site_code=LL&date_debut=2026-08-01&date_fin=2026-10-31",
        echoed={"site_code": "LL", "date_debut": "2026-08-01", "date_fin": "2026-10-31"},
        message="Site PDF generation started",
    )
    result = succeeded(api, task_id, "generate_site_pdf_report")
    assert result["site_code"] == "LL" and result["lots"] > 0
    assert result["pdf_url"].startswith("/exports/reports/site_LL_20260801-20261031_")
    assert download(api, result["pdf_url"], "application/pdf", result).startswith(b"%PDF-")


def test_weekly_reports_one_pdf_per_site(api: httpx.Client) -> None:
    # As the schedule starts it: no input, last week from the workflow's clock.
    task_id = submitted(
        api, "/export/pdf/weekly", echoed={"week_start": None}, message="Weekly reports generation started"
    )
    last_week = succeeded(api, task_id, "weekly_reports_generation")
    assert [report["site_code"] for report in last_week["reports"]] == ["LL", "LS", "MT"]
    assert last_week["failed_sites"] == {}

    task_id = submitted(
        api,
        "/export/pdf/weekly?week_start=2026-10-26",
        echoed={"week_start": "2026-10-26"},
        message="Weekly reports generation started",
    )
    result = succeeded(api, task_id, "weekly_reports_generation")
    assert (result["week_start"], result["week_end"], result["iso_week"]) == ("2026-10-26", "2026-11-01", 44)
    assert sum(report["lots"] for report in result["reports"]) > 0
    for report in result["reports"]:
        assert f"/reports/weekly_{report['site_code']}_2026-W44_r" in report["pdf_url"]
        assert download(api, report["pdf_url"], "application/pdf", report).startswith(b"%PDF-")


# --------------------------------------------------------------------------------------------------- CSVs


def test_gavage_csv_of_a_lot(api: httpx.Client, farm: Engine) -> None:
    task_id = submitted(
        api,
        "/export/csv/gavage?lot_id=3472",
        echoed={"lot_id": 3472, "date_debut": None, "date_fin": None},
        message="Gavage CSV export started",
    )
    result = succeeded(api, task_id, "export_gavage_data_csv")
    rows = csv_rows(download(api, result["csv_url"], "text/csv; charset=utf-8", result))
    assert tuple(rows[0]) == GAVAGE_HEADER
    with session_scope(farm) as session:
        meals = session.scalar(select(func.count()).select_from(GavageData).where(GavageData.lot_id == 3472))
    assert result["rows"] == len(rows) - 1 == meals
    assert {row[0] for row in rows[1:]} == {"3472"}


def test_sqal_csv_over_a_period(api: httpx.Client, farm: Engine) -> None:
    task_id = submitted(
        api,
        "/export/csv/sqal?date_debut=2026-03-01&date_fin=2026-03-31",
        echoed={"lot_id": None, "date_debut": "2026-03-01", "date_fin": "2026-03-31"},
        message="SQAL CSV export started",
    )
    result = succeeded(api, task_id, "export_sqal_data_csv")
    rows = csv_rows(download(api, result["csv_url"], "text/csv; charset=utf-8", result))
    assert tuple(rows[0]) == SQAL_HEADER
    stamps = [row[3] for row in rows[1:]]
    assert stamps and all("2026-03-01" <= stamp[:10] <= "2026-03-31" for stamp in stamps)
    with session_scope(farm) as session:
        march = session.scalar(
            select(func.count())
            .select_from(SensorSample)
            .where(
                SensorSample.horodatage >= day_start(date(2026, 3, 1)),
                SensorSample.horodatage < day_start(date(2026, 4, 1)),
            )
        )
    assert result["rows"] == len(stamps) == march


def test_feedbacks_csv_holds_no_email_address(api: httpx.Client, farm: Engine) -> None:
    task_id = submitted(
        api,
        "/export/csv/feedbacks?date_debut=2026-01-01",
        echoed={"date_debut": "2026-01-01", "date_fin": None},
        message="Consumer feedbacks CSV export started",
    )
    result = succeeded(api, task_id, "export_consumer_feedbacks_csv")
    content = download(api, result["csv_url"], "text/csv; charset=utf-8", result)
    with session_scope(farm) as session:
        emails = [e for e in session.scalars(select(ConsumerFeedback.email)) if e]
    assert emails and not any(email.encode() in content for email in emails)
    rows = csv_rows(content)
    assert tuple(rows[0]) == FEEDBACK_HEADER and result["rows"] == len(rows) - 1 > 0


def test_batch_of_lots_in_one_zip(api: httpx.Client) -> None:
    lot_ids = list(range(3430, 3460))
    task_id = submitted(
        api,
        "/export/csv/batch",
        json={"lot_ids": [*reversed(lot_ids), 3430]},
        echoed={"lot_ids": lot_ids},  # deduplicated and sorted, as the export lists them
        message="Batch CSV export started",
    )
    result = succeeded(api, task_id, "batch_export_lots_csv")
    archive = zipfile.ZipFile(io.BytesIO(download(api, result["csv_url"], "application/zip", result)))
    assert archive.namelist() == ["lots.csv", "gavage.csv", "sqal.csv"]
    lots = csv_rows(archive.read("lots.csv"))
    assert tuple(lots[0]) == LOTS_HEADER and [int(row[0]) for row in lots[1:]] == lot_ids
    for name, rows in result["files"].items():
        assert len(csv_rows(archive.read(name))) - 1 == rows
    assert result["lots"] == 30 and result["resumed_steps"] == 0


# ---------------------------------------------------------------------------------------------- certificate


def test_a_certificate_fails_verification_when_a_gavage_row_changes(api: httpx.Client, farm: Engine) -> None:
    task_id = submitted(
        api,
        "/export/certificate?lot_id=3472",
        echoed={"lot_id": 3472, "certificate_type": "traceability"},
        message="Certificate generation started",
    )
    result = succeeded(api, task_id, "generate_blockchain_certificate")
    document = download(api, result["certificate_url"], "application/json", result)
    assert result["certificate_id"].encode() in document and result["signature"].encode() in document

    def verification() -> dict[str, Any]:
        answer = api.get(result["verify_url"])
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    assert verification()["valid"] is True
    with session_scope(farm) as session:
        row = session.scalars(
            select(GavageData).where(
                GavageData.lot_id == 3472, GavageData.jour_gavage == 7, GavageData.repas == "soir"
            )
        ).one()
        key, original = row.id, row.dose_moyenne_g
        row.dose_moyenne_g = original + 12.5
    try:
        altered = verification()
        assert altered["valid"] is False
        changed = [p for p in altered["problems"] if p["check"] == "record"]
        assert [(p["record"], p["field"], p["certified"], p["current"]) for p in changed] == [
            ("gavage day 7", "soir.dose_moyenne_g", original, original + 12.5)
        ]
    finally:
        with session_scope(farm) as session:
            restored = session.get(GavageData, key)
            assert restored is not None
            restored.dose_moyenne_g = original
    assert verification()["valid"] is True


def test_certificate_refusals(api: httpx.Client, farm: Engine) -> None:
    unknown = api.get("/api/certificates/cert-3472-000000000000/verify")
    assert unknown.status_code == 404 and "not found" in unknown.json()["message"]
    assert api.get("/api/certificates/..%2Fx/verify").status_code in {404, 422}
    # Lot 3691 is still being fed: its records may change, so it cannot be certified yet.
    task_id = submitted(
        api,
        "/export/certificate?lot_id=3691&certificate_type=quality",
        echoed={"lot_id": 3691, "certificate_type": "quality"},
        message="Certificate generation started",
    )
    assert failed(api, task_id).startswith("LotNotCertifiable: lot ")
    with session_scope(farm) as session:
        assert session.scalars(select(Certificate).where(Certificate.lot_id == 3691)).all() == []


# ------------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("request_line", "words"),
    [
        ("/export/pdf/site?site_code=LL&date_debut=2026-10-31&date_fin=2026-08-01",
         "date_debut (2026-10-31) must not be after date_fin (2026-08-01)"),
        ("/export/pdf/site?site_code=LL&date_debut=2024-01-01&date_fin=2026-01-01", "at most 366 days"),
        ("/export/pdf/site?site_code=ll&date_debut=2026-01-01&date_fin=2026-01-31", "site_code: String should match"),
        ("/export/pdf/site?site_code=LL&date_debut=2026-02-30&date_fin=2026-03-31", "date_debut:"),
        ("/export/csv/gavage?lot_id=3472&date_debut=2026-03-02&date_fin=2026-03-01", "must not be after"),
        ("/export/csv/sqal?lot_id=0", "lot_id: Input should be greater than 0"),
        ("/export/csv/feedbacks?date_debut=2026-03-02&date_fin=2026-03-01", "must not be after"),
        ("/export/pdf/weekly?week_start=2026-10-27", "week_start must be a Monday"),
        ("/export/certificate?lot_id=3472&certificate_type=gold", "certificate_type: Input should be"),
        ("/export/pdf/lot?lot_id=3472&report_type=draft", "report_type: Input should be 'summary' or 'complete'"),
    ],
)  # fmt: skip
def test_bad_parameters_are_refused_with_a_readable_message(
    api: httpx.Client, request_line: str, words: str
) -> None:
    answer = api.post(f"/api/tasks{request_line}")
    assert answer.status_code == 422, answer.text
    assert words in answer.json()["message"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"lot_ids": []}, "lot_ids: List should have at least 1 item"),
        ({"lot_ids": list(range(1, 502))}, "lot_ids: List should have at most 500 items"),
        ({"lot_ids": [3472, -1]}, "greater than 0"),
        ({}, "lot_ids: Field required"),
    ],
)
def test_bad_lot_selections_are_refused(api: httpx.Client, body: dict[str, Any], words: str) -> None:
    for path in ("/api/tasks/export/csv/batch", "/api/tasks/run/batch_export_lots_csv"):
        answer = api.post(path, json=body)
        assert answer.status_code == 422, answer.text
        assert words in answer.json()["message"]


def test_what_only_the_farm_knows_fails_the_task_with_its_reason(api: httpx.Client, farm: Engine) -> None:
    with session_scope(farm) as session:
        before = session.scalar(select(func.count()).select_from(Artifact))
    starts = {
        "/export/pdf/lot?lot_id=999999": "LotNotFound: lot 999999 not found",
        "/export/csv/gavage?lot_id=999999": "LotNotFound: lot 999999 not found",
        "/export/certificate?lot_id=999999": "LotNotFound: lot 999999 not found",
        "/export/pdf/site?site_code=ZZ&date_debut=2026-01-01&date_fin=2026-01-31": "SiteNotFound: site 'ZZ' not found",
        "/export/csv/sqal?date_debut=2021-01-01&date_fin=2021-01-31": "EmptySelection: no SQAL samples",
    }
    for path, error in starts.items():
        task_id = api.post(f"/api/tasks{path}").json()["task_id"]
        assert failed(api, task_id).startswith(error), path
    task_id = api.post("/api/tasks/export/csv/batch", json={"lot_ids": [3472, 999998, 999999]}).json()[
        "task_id"
    ]
    assert failed(api, task_id) == "LotNotFound: batch export: 2 lots not found: 999998, 999999"
    with session_scope(farm) as session:
        assert session.scalar(select(func.count()).select_from(Artifact)) == before  # nothing half-written


# ------------------------------------------------------------------------------------------------ schedule


def catalogue_route(task_name: str, params: Mapping[str, Any]) -> ScheduledStart:
    spec = find_task(task_name)
    start = spec.input.model_validate(dict(params))
    return ScheduledStart(
        spec.name, spec.queue.value, start, spec.search_attributes(start), spec.execution_timeout
    )


def test_the_monday_schedule_reports_on_the_week_before_the_time_it_stands_for(stack: Stack) -> None:
    (weekly,) = [d for d in SCHEDULES if d.task_name == "weekly_reports_generation"]
    assert (weekly.cron, weekly.time_zone, dict(weekly.params)) == ("0 6 * * 1", "Europe/Paris", {})

    async def backfilled_run() -> WeeklyReportsResult:
        client = await stack.client()
        await sync_schedules(client, [weekly], catalogue_route)
        try:
            # Monday 2 November 2026, 06:00 in Paris (05:00 UTC), replayed weeks later: the run must report on
            # the week before that Monday, not on the week before today.
            monday = datetime(2026, 11, 2, 5, 0, tzinfo=UTC)
            await backfill_schedule(client, weekly.schedule_id, monday - timedelta(minutes=1), monday)
            handle = client.get_workflow_handle_for(
                WeeklyReportsGenerationWorkflow.run, f"{weekly.schedule_id}-{monday:%Y-%m-%dT%H:%M:%SZ}"
            )
            deadline = time.monotonic() + 60
            while True:
                try:
                    return await handle.result()
                except RPCError:  # not started yet: the schedule starts backfills asynchronously
                    assert time.monotonic() < deadline, "the backfilled run never started"
                    await asyncio.sleep(0.2)
        finally:
            await client.get_schedule_handle(weekly.schedule_id).delete()

    result = asyncio.run(backfilled_run())
    assert (result.week_start, result.week_end) == (date(2026, 10, 26), date(2026, 11, 1))
    assert [report.site_code for report in result.reports] == ["LL", "LS", "MT"]
