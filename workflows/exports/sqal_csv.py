"""export_sqal_data_csv: SQAL sensor samples streamed to a CSV file (half a million rows, flat memory)."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.exports.csv_exports import write_sqal_csv
    from gaveurs.catalogue.exports import SQAL_CSV
    from gaveurs.contracts.export_runs import SqalCsvRequest
    from gaveurs.contracts.exports import CsvExportResult, SqalCsvInput
    from workflows._options import RENDER, execute
    from workflows.exports._runs import publishing, this_run


@task_workflow(SQAL_CSV)
class ExportSqalDataCsvWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: SqalCsvInput) -> CsvExportResult:
        self.stage("export CSV des échantillons SQAL", 2, 99)
        run = this_run()
        result = await publishing(
            run, execute(write_sqal_csv, SqalCsvRequest(run=run, params=params), RENDER)
        )
        self.finish()
        return result
