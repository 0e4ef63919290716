"""generate_lot_pdf_report: a lot's PDF report, kept in the artifact store."""

from __future__ import annotations

import asyncio

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.exports.lot_pdf_report import find_report_lot, render_lot_report
    from activities.shared.artifacts import discard_task_artifacts
    from gaveurs.catalogue.exports import LOT_PDF_REPORT
    from gaveurs.contracts.exports import LotPdfReportInput, LotPdfReportResult, RenderLotReportInput
    from gaveurs.search_attributes import SITE_CODE
    from gaveurs.task_ids import format_task_id
    from workflows._options import DB_READ, DB_WRITE, RENDER, execute


@task_workflow(LOT_PDF_REPORT)
class GenerateLotPdfReportWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: LotPdfReportInput) -> LotPdfReportResult:
        info = workflow.info()
        task_id = format_task_id(info.workflow_id, info.run_id)
        self.stage("recherche du lot", 2)
        lot = await execute(find_report_lot, params, DB_READ)
        workflow.upsert_search_attributes([SITE_CODE.value_set(lot.site_code)])

        self.stage("génération du PDF", 5, 99)
        render = RenderLotReportInput(
            lot_id=params.lot_id,
            report_type=params.report_type,
            task_id=task_id,
            generated_on=workflow.now().date(),
        )
        try:
            result = await execute(render_lot_report, render, RENDER)
        except asyncio.CancelledError:
            # REVOKED must leave nothing behind, not even a file the render finished just before the cancel.
            await execute(discard_task_artifacts, task_id, DB_WRITE)
            raise
        self.finish()
        return result
