"""Catalogue rows of the export tasks (queue `exports`).

Timeouts: every export takes seconds on the demo farm (see bench/bench_exports.py); each row's execution
timeout leaves room for its retries, a worker restart (heartbeat timeout, then another attempt) and a farm
far larger than the demo one, and still ends a stuck task within the hour.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from gaveurs.catalogue.spec import TaskSpec
from gaveurs.contracts.certificates import BlockchainCertificateInput, CertificateResult
from gaveurs.contracts.exports import (
    BatchLotsCsvInput,
    BatchLotsCsvResult,
    ConsumerFeedbacksCsvInput,
    CsvExportResult,
    CsvFiltersInput,
    GavageCsvInput,
    LotPdfReportInput,
    LotPdfReportResult,
    SitePdfReportInput,
    SitePdfReportResult,
    SqalCsvInput,
    WeeklyReportsInput,
    WeeklyReportsResult,
)
from gaveurs.queues import TaskQueue
from gaveurs.search_attributes import lot_and_site


def _day(value: date | None, missing: str) -> str:
    return missing if value is None else f"{value:%Y%m%d}"


def _period(date_debut: date | None, date_fin: date | None) -> str:
    """`-20260101-20260131`, `-debut-20260131`…; empty when no date filters the rows."""
    if date_debut is None and date_fin is None:
        return ""
    return f"-{_day(date_debut, 'debut')}-{_day(date_fin, 'fin')}"


def _rows_id(prefix: str, params: CsvFiltersInput) -> str:
    lots = "all" if params.lot_id is None else f"lot-{params.lot_id}"
    return f"{prefix}-{lots}{_period(params.date_debut, params.date_fin)}"


def _lots_id(params: BatchLotsCsvInput) -> str:
    selection = hashlib.sha256(",".join(map(str, params.lot_ids)).encode()).hexdigest()[:12]
    return f"lots-batch-{len(params.lot_ids)}-{selection}"


LOT_PDF_REPORT = TaskSpec(
    name="generate_lot_pdf_report",
    queue=TaskQueue.EXPORTS,
    input=LotPdfReportInput,
    result=LotPdfReportResult,
    started_message="PDF generation started",
    execution_timeout=timedelta(minutes=20),
    example=LotPdfReportInput(lot_id=3472, report_type="complete"),
    id_prefix="lot-pdf",
    work_id=lambda p: f"lot-pdf-{p.lot_id}-{p.report_type}",
    attributes=lambda p: lot_and_site(lot_id=p.lot_id),
    echo=("lot_id", "report_type"),
)

SITE_PDF_REPORT = TaskSpec(
    name="generate_site_pdf_report",
    queue=TaskQueue.EXPORTS,
    input=SitePdfReportInput,
    result=SitePdfReportResult,
    started_message="Site PDF generation started",
    # Under a second on the demo farm, even over a year of lots; as the lot report.
    execution_timeout=timedelta(minutes=20),
    example=SitePdfReportInput(site_code="LL", date_debut=date(2026, 8, 1), date_fin=date(2026, 10, 31)),
    id_prefix="site-pdf",
    work_id=lambda p: f"site-pdf-{p.site_code}{_period(p.date_debut, p.date_fin)}",
    attributes=lambda p: lot_and_site(site_code=p.site_code),
    echo=("site_code", "date_debut", "date_fin"),
)

GAVAGE_CSV = TaskSpec(
    name="export_gavage_data_csv",
    queue=TaskQueue.EXPORTS,
    input=GavageCsvInput,
    result=CsvExportResult,
    started_message="Gavage CSV export started",
    # Streamed: its time grows with the rows (every meal of the demo farm in ~1 s), never its memory.
    execution_timeout=timedelta(minutes=30),
    example=GavageCsvInput(lot_id=3472),
    id_prefix="gavage-csv",
    work_id=lambda p: _rows_id("gavage-csv", p),
    attributes=lambda p: lot_and_site(lot_id=p.lot_id),
    echo=("lot_id", "date_debut", "date_fin"),
)

SQAL_CSV = TaskSpec(
    name="export_sqal_data_csv",
    queue=TaskQueue.EXPORTS,
    input=SqalCsvInput,
    result=CsvExportResult,
    started_message="SQAL CSV export started",
    # The biggest table: all 502,078 demo samples in a few seconds; a farm 100× larger still fits.
    execution_timeout=timedelta(minutes=30),
    example=SqalCsvInput(lot_id=3472),
    id_prefix="sqal-csv",
    work_id=lambda p: _rows_id("sqal-csv", p),
    attributes=lambda p: lot_and_site(lot_id=p.lot_id),
    echo=("lot_id", "date_debut", "date_fin"),
)

FEEDBACKS_CSV = TaskSpec(
    name="export_consumer_feedbacks_csv",
    queue=TaskQueue.EXPORTS,
    input=ConsumerFeedbacksCsvInput,
    result=CsvExportResult,
    started_message="Consumer feedbacks CSV export started",
    execution_timeout=timedelta(minutes=30),
    example=ConsumerFeedbacksCsvInput(date_debut=date(2026, 1, 1), date_fin=date(2026, 12, 31)),
    id_prefix="feedbacks-csv",
    work_id=lambda p: f"feedbacks-csv{_period(p.date_debut, p.date_fin) or '-all'}",
    echo=("date_debut", "date_fin"),
)

CERTIFICATE = TaskSpec(
    name="generate_blockchain_certificate",
    queue=TaskQueue.EXPORTS,
    input=BlockchainCertificateInput,
    result=CertificateResult,
    started_message="Certificate generation started",
    # Milliseconds of hashing and signing; the margin is for retries of the JSON file's write.
    execution_timeout=timedelta(minutes=10),
    example=BlockchainCertificateInput(lot_id=3472, certificate_type="traceability"),
    id_prefix="certificate",
    work_id=lambda p: f"certificate-{p.lot_id}-{p.certificate_type}",
    attributes=lambda p: lot_and_site(lot_id=p.lot_id),
    echo=("lot_id", "certificate_type"),
)

LOTS_BATCH_CSV = TaskSpec(
    name="batch_export_lots_csv",
    queue=TaskQueue.EXPORTS,
    input=BatchLotsCsvInput,
    result=BatchLotsCsvResult,
    started_message="Batch CSV export started",
    # 500 lots (the most a batch takes) in a few seconds on the demo farm; an hour leaves room for several
    # worker restarts, each resuming from its last slice.
    execution_timeout=timedelta(hours=1),
    # 120 lots: five slices of 25 in two activities, so the recorded history shows the resumable loop.
    example=BatchLotsCsvInput(lot_ids=list(range(3401, 3521))),
    id_prefix="lots-batch",
    work_id=_lots_id,
    echo=("lot_ids",),
)

WEEKLY_REPORTS = TaskSpec(
    name="weekly_reports_generation",
    queue=TaskQueue.EXPORTS,
    input=WeeklyReportsInput,
    result=WeeklyReportsResult,
    started_message="Weekly reports generation started",
    # Three sites' PDFs side by side in about a second; as for the other reports, with the schedule's
    # catch-up day in mind (a late Monday run must still finish on Monday).
    execution_timeout=timedelta(minutes=30),
    # As the schedule starts it: no input, last week.
    example=WeeklyReportsInput(),
    id_prefix="weekly-reports",
    work_id=lambda p: f"weekly-reports-{_day(p.week_start, 'last-week')}",
    echo=("week_start",),
)
