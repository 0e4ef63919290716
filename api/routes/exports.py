"""Start routes of the export tasks (`/api/tasks/export/...`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import TemporalClientDep
from api.task_starter import start_task, submitted
from gaveurs.catalogue import TaskName
from gaveurs.contracts.exports import LotPdfReportInput, ReportType

router = APIRouter()


@router.post("/export/pdf/lot")
async def lot_pdf_report(
    client: TemporalClientDep,
    lot_id: Annotated[int, Query(gt=0)],
    report_type: Annotated[ReportType, Query(description="summary or complete")] = "complete",
) -> dict[str, Any]:
    params = LotPdfReportInput(lot_id=lot_id, report_type=report_type)
    started = await start_task(client, TaskName.LOT_PDF_REPORT, params, lot_id=lot_id)
    return submitted(TaskName.LOT_PDF_REPORT, started, lot_id=lot_id, report_type=report_type)
