"""export_gavage_data_csv: gavage meals (one row per lot, day and meal) streamed to a CSV file."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.exports.csv_exports import write_gavage_csv
    from gaveurs.catalogue.exports import GAVAGE_CSV
    from gaveurs.contracts.export_runs import GavageCsvRequest
    from gaveurs.contracts.exports import CsvExportResult, GavageCsvInput
    from workflows._options import RENDER, execute
    from workflows.exports._runs import publishing, this_run


@task_workflow(GAVAGE_CSV)
class ExportGavageDataCsvWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: GavageCsvInput) -> CsvExportResult:
        self.stage("export CSV des repas", 2, 99)
        run = this_run()
        result = await publishing(
            run, execute(write_gavage_csv, GavageCsvRequest(run=run, params=params), RENDER)
        )
        self.finish()
        return result
