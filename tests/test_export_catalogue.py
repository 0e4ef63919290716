"""The eight export rows: readable ids tied to the work, search attributes, the seed's names and answers; how the
weekly reports name a site's failure."""

from __future__ import annotations

from datetime import date
from typing import Any

from temporalio.exceptions import ActivityError, ApplicationError, RetryState, TimeoutType
from temporalio.exceptions import TimeoutError as TemporalTimeout

from api.main import create_app
from gaveurs.catalogue import CATALOGUE, find_task
from gaveurs.catalogue.exports import (
    CERTIFICATE,
    FEEDBACKS_CSV,
    GAVAGE_CSV,
    LOTS_BATCH_CSV,
    SITE_PDF_REPORT,
    SQAL_CSV,
    WEEKLY_REPORTS,
)
from gaveurs.contracts.certificates import BlockchainCertificateInput
from gaveurs.contracts.exports import (
    BatchLotsCsvInput,
    ConsumerFeedbacksCsvInput,
    GavageCsvInput,
    SitePdfReportInput,
    SqalCsvInput,
    WeeklyReportsInput,
)
from gaveurs.queues import TaskQueue
from gaveurs.search_attributes import LOT_ID, SITE_CODE
from workers.registry import workloads
from workflows.exports._runs import failure_text

SEED_EXPORTS = {
    "generate_lot_pdf_report", "generate_site_pdf_report", "export_gavage_data_csv", "export_sqal_data_csv",
    "export_consumer_feedbacks_csv", "generate_blockchain_certificate", "batch_export_lots_csv",
    "weekly_reports_generation",
}  # fmt: skip
# Named start route → the inputs its answer echoes beside status, task_id and message.
ROUTES = {
    "/api/tasks/export/pdf/lot": {"lot_id", "report_type"},
    "/api/tasks/export/pdf/site": {"site_code", "date_debut", "date_fin"},
    "/api/tasks/export/pdf/weekly": {"week_start"},
    "/api/tasks/export/csv/gavage": {"lot_id", "date_debut", "date_fin"},
    "/api/tasks/export/csv/sqal": {"lot_id", "date_debut", "date_fin"},
    "/api/tasks/export/csv/feedbacks": {"date_debut", "date_fin"},
    "/api/tasks/export/csv/batch": {"lot_ids"},
    "/api/tasks/export/certificate": {"lot_id", "certificate_type"},
}


def test_all_eight_exports_run_on_the_exports_queue() -> None:
    exports = {name for name, spec in CATALOGUE.items() if spec.queue == TaskQueue.EXPORTS}
    assert exports == SEED_EXPORTS
    for name in SEED_EXPORTS:
        assert find_task(f"app.tasks.export_tasks.{name}").name == name
    registered = {cls.task_spec.name for cls in workloads()[TaskQueue.EXPORTS].workflows}
    assert registered == SEED_EXPORTS


def test_ids_read_like_the_work() -> None:
    site = SitePdfReportInput(site_code="LL", date_debut=date(2026, 8, 1), date_fin=date(2026, 10, 31))
    assert SITE_PDF_REPORT.workflow_id(site) == "site-pdf-LL-20260801-20261031"
    assert GAVAGE_CSV.workflow_id(GavageCsvInput(lot_id=3472)) == "gavage-csv-lot-3472"
    assert SQAL_CSV.workflow_id(SqalCsvInput(date_debut=date(2026, 3, 1))) == "sqal-csv-all-20260301-fin"
    assert FEEDBACKS_CSV.workflow_id(ConsumerFeedbacksCsvInput()) == "feedbacks-csv-all"
    certificate = BlockchainCertificateInput(lot_id=3472)
    assert CERTIFICATE.workflow_id(certificate) == "certificate-3472-traceability"
    assert WEEKLY_REPORTS.workflow_id(WeeklyReportsInput()) == "weekly-reports-last-week"
    assert (
        WEEKLY_REPORTS.workflow_id(WeeklyReportsInput(week_start=date(2026, 10, 26)))
        == "weekly-reports-20261026"
    )
    # The same selection, in any order and with repeats, is the same work; another selection is not.
    batch = LOTS_BATCH_CSV.workflow_id(BatchLotsCsvInput(lot_ids=[3474, 3472, 3473]))
    assert batch.startswith("lots-batch-3-")
    assert LOTS_BATCH_CSV.workflow_id(BatchLotsCsvInput(lot_ids=[3472, 3473, 3474, 3472])) == batch
    assert LOTS_BATCH_CSV.workflow_id(BatchLotsCsvInput(lot_ids=[3472, 3473, 3475])) != batch


def test_search_attributes_name_the_lot_or_the_site() -> None:
    assert GAVAGE_CSV.search_attributes(GavageCsvInput(lot_id=3472)).get(LOT_ID) == 3472
    assert GAVAGE_CSV.search_attributes(GavageCsvInput()).get(LOT_ID) is None
    site = SitePdfReportInput(site_code="MT", date_debut=date(2026, 1, 1), date_fin=date(2026, 1, 31))
    assert SITE_PDF_REPORT.search_attributes(site).get(SITE_CODE) == "MT"
    assert CERTIFICATE.search_attributes(BlockchainCertificateInput(lot_id=3480)).get(LOT_ID) == 3480


def test_each_export_route_answers_the_seeds_shape() -> None:
    document = create_app().openapi()

    def answer(path: str) -> dict[str, Any]:
        schema = document["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
        name = schema["$ref"].rsplit("/", 1)[1]
        found: dict[str, Any] = document["components"]["schemas"][name]
        return found

    for path, echoed in ROUTES.items():
        assert {"status", "task_id", "message"} | echoed <= set(answer(path)["properties"]), path
    verify = document["paths"]["/api/certificates/{certificate_id}/verify"]["get"]
    assert {"200", "404"} <= set(verify["responses"])


def test_a_failed_sites_reason_reads_as_the_status_answer_shows_failures() -> None:
    failed = ActivityError(
        "Activity task failed", scheduled_event_id=5, started_event_id=6, identity="exports@host:1",
        activity_type="render_weekly_site_report", activity_id="2", retry_state=RetryState.NON_RETRYABLE_FAILURE,
    )  # fmt: skip
    failed.__cause__ = ApplicationError("site 'MT' not found", type="SiteNotFound", non_retryable=True)
    assert failure_text(failed) == "SiteNotFound: site 'MT' not found"
    timed_out = ActivityError(
        "Activity task timed out", scheduled_event_id=5, started_event_id=6, identity="",
        activity_type="render_weekly_site_report", activity_id="3", retry_state=RetryState.TIMEOUT,
    )  # fmt: skip
    timed_out.__cause__ = TemporalTimeout(
        "activity StartToClose timeout", type=TimeoutType.START_TO_CLOSE, last_heartbeat_details=[]
    )
    assert failure_text(timed_out) == "TimeoutError: activity StartToClose timeout"
