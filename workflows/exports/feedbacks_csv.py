"""export_consumer_feedbacks_csv: consumer feedback over a period, e-mail addresses pseudonymised, as CSV."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.exports.csv_exports import write_feedbacks_csv
    from gaveurs.catalogue.exports import FEEDBACKS_CSV
    from gaveurs.contracts.export_runs import ConsumerFeedbacksCsvRequest
    from gaveurs.contracts.exports import ConsumerFeedbacksCsvInput, CsvExportResult
    from workflows._options import RENDER, execute
    from workflows.exports._runs import publishing, this_run


@task_workflow(FEEDBACKS_CSV)
class ExportConsumerFeedbacksCsvWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: ConsumerFeedbacksCsvInput) -> CsvExportResult:
        self.stage("export CSV des avis consommateurs", 2, 99)
        run = this_run()
        request = ConsumerFeedbacksCsvRequest(run=run, params=params)
        result = await publishing(run, execute(write_feedbacks_csv, request, RENDER))
        self.finish()
        return result
