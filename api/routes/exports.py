"""Start routes of the export tasks (`/api/tasks/export/...`), as the seed named them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import IdempotencyKey, TemporalClientDep
from api.schemas import TaskSubmitted, submitted_model
from api.task_starter import start_task
from gaveurs.catalogue.exports import LOT_PDF_REPORT
from gaveurs.contracts.exports import LotPdfReportInput, ReportType

router = APIRouter()


@router.post("/export/pdf/lot", response_model=submitted_model(LOT_PDF_REPORT))
async def lot_pdf_report(
    client: TemporalClientDep,
    lot_id: Annotated[int, Query(gt=0, le=2**31 - 1)],
    report_type: Annotated[ReportType, Query(description="summary or complete")] = "complete",
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    params = LotPdfReportInput(lot_id=lot_id, report_type=report_type)
    return await start_task(client, LOT_PDF_REPORT, params, idempotency_key=idempotency_key)
