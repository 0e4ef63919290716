"""exports: documents built from farm data and kept in the artifact store."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from workflows._progress import ProgressTracking

with workflow.unsafe.imports_passed_through():
    from activities.exports.lot_report import load_lot_report, render_lot_report
    from gaveurs.contracts.exports import LotPdfReportInput, LotPdfReportResult, RenderLotReportInput
    from gaveurs.search_attributes import SITE_CODE
    from workflows._policies import DB_READ, retry_policy


@workflow.defn(name="generate_lot_pdf_report")
class GenerateLotPdfReportWorkflow(ProgressTracking):
    @workflow.run
    async def run(self, params: LotPdfReportInput) -> LotPdfReportResult:
        self.stage("lecture des données du lot", 5, 40)
        data = await workflow.execute_activity(
            load_lot_report,
            params,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=DB_READ,
        )
        workflow.upsert_search_attributes([SITE_CODE.value_set(data.site_code)])

        self.stage("mise en page du PDF", 40, 99)
        result = await workflow.execute_activity(
            render_lot_report,
            RenderLotReportInput(
                data=data,
                report_type=params.report_type,
                task_id=workflow.info().workflow_id,
                generated_on=workflow.now().date(),
            ),
            start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(seconds=60),
            retry_policy=retry_policy(initial_s=1.0, maximum_s=30.0, attempts=5),
        )
        self.finish()
        return result
