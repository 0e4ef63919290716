"""Catalogue rows of the export tasks (queue `exports`)."""

from __future__ import annotations

from datetime import timedelta

from gaveurs.catalogue.spec import TaskSpec
from gaveurs.contracts.exports import LotPdfReportInput, LotPdfReportResult
from gaveurs.queues import TaskQueue
from gaveurs.search_attributes import lot_and_site

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
