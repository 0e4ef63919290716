"""calculate_weekly_kpis: per-site and per-gaveur KPIs of one ISO week, stored in `weekly_kpis`."""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import SearchAttributeKey

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.default.weekly_kpis import compute_weekly_kpis
    from gaveurs.catalogue.maintenance import WEEKLY_KPIS
    from gaveurs.contracts.maintenance import WeeklyKpisInput, WeeklyKpisResult, WeeklyKpisStep
    from gaveurs.maintenance.weekly_kpis import previous_iso_week
    from workflows._options import execute
    from workflows.default._presets import HOUSEKEEPING

# Set by Temporal on every run a schedule starts: the time the run stands for (a backfilled Monday, or the
# Monday 07:00 of a run that starts late after an outage), which is the week it must report on.
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


@task_workflow(WEEKLY_KPIS)
class CalculateWeeklyKpisWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: WeeklyKpisInput) -> WeeklyKpisResult:
        now = workflow.now()
        moment = workflow.info().typed_search_attributes.get(SCHEDULED_START) or now
        # No week given: the ISO week before `moment`, in Paris (Monday 07:00 reports on last week).
        iso_week = params.iso_week or previous_iso_week(moment)
        self.stage(f"indicateurs de la semaine {iso_week}", 2, 99)
        result = await execute(compute_weekly_kpis, WeeklyKpisStep(iso_week=iso_week, now=now), HOUSEKEEPING)
        self.finish()
        return result
