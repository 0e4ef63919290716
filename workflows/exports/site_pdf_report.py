"""generate_site_pdf_report: one site's lots over a period (KPIs, per-lot table, charts), as a PDF."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.exports.site_pdf_report import render_site_report
    from gaveurs.catalogue.exports import SITE_PDF_REPORT
    from gaveurs.contracts.export_runs import SitePdfReportRequest
    from gaveurs.contracts.exports import SitePdfReportInput, SitePdfReportResult
    from workflows._options import RENDER, execute
    from workflows.exports._runs import publishing, this_run


@task_workflow(SITE_PDF_REPORT)
class GenerateSitePdfReportWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: SitePdfReportInput) -> SitePdfReportResult:
        # One step: the render checks the site and the period (SiteNotFound, EmptySelection) before it writes.
        self.stage("génération du PDF", 2, 99)
        run = this_run()
        request = SitePdfReportRequest(run=run, params=params)
        result = await publishing(run, execute(render_site_report, request, RENDER))
        self.finish()
        return result
