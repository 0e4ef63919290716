"""generate_lot_pdf_report: a lot's PDF report, kept in the artifact store under a name of this run's own."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.exports.lot_pdf_report import find_report_lot, render_lot_report
    from gaveurs.catalogue.exports import LOT_PDF_REPORT
    from gaveurs.contracts.export_runs import LotPdfReportRequest
    from gaveurs.contracts.exports import LotPdfReportInput, LotPdfReportResult
    from gaveurs.search_attributes import SITE_CODE
    from workflows._options import DB_READ, RENDER, execute
    from workflows.exports._runs import publishing, this_run


@task_workflow(LOT_PDF_REPORT)
class GenerateLotPdfReportWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: LotPdfReportInput) -> LotPdfReportResult:
        self.stage("recherche du lot", 2)
        lot = await execute(find_report_lot, params, DB_READ)
        workflow.upsert_search_attributes([SITE_CODE.value_set(lot.site_code)])

        self.stage("génération du PDF", 5, 99)
        run = this_run()
        request = LotPdfReportRequest(run=run, params=params)
        # REVOKED leaves nothing behind, not even a file the render published just before the cancel.
        result = await publishing(run, execute(render_lot_report, request, RENDER))
        self.finish()
        return result
