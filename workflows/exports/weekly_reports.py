"""weekly_reports_generation: last week's PDF for every site, every Monday at 06:00 (Paris).

Started by its schedule with an empty input, it reports on the week before the run's scheduled time, so a
run caught up after an outage (or backfilled) still covers the week it stands for; started by hand, the week
before the workflow's clock, or the `week_start` given. The sites' reports render in parallel, and one
site's failure does not hide the others: they are published and the result says which site failed and why.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import is_cancelled_exception

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.exports.weekly_reports import plan_weekly_reports, render_weekly_site_report
    from gaveurs.catalogue.exports import WEEKLY_REPORTS
    from gaveurs.contracts.export_runs import ExportRun, WeeklyPlan, WeeklyPlanRequest, WeeklySiteRequest
    from gaveurs.contracts.exports import WeeklyReportsInput, WeeklyReportsResult, WeeklySiteReport
    from gaveurs.errors import ReportsFailed
    from workflows._options import DB_READ, RENDER, execute
    from workflows.exports._runs import failure_text, publishing, this_run

# Set by Temporal on every run a schedule starts: the time the run stands for, whenever it really starts.
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


@task_workflow(WEEKLY_REPORTS)
class WeeklyReportsGenerationWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: WeeklyReportsInput) -> WeeklyReportsResult:
        self.stage("choix de la semaine", 2)
        reference = workflow.info().typed_search_attributes.get(SCHEDULED_START) or workflow.now()
        plan = await execute(
            plan_weekly_reports, WeeklyPlanRequest(reference=reference, week_start=params.week_start), DB_READ
        )

        self.stage(f"rapports de la semaine du {plan.week_start:%d/%m/%Y}", 5, 99)
        run = this_run()
        outcomes = await publishing(run, self._render_all(run, plan))
        reports = [o for o in outcomes if isinstance(o, WeeklySiteReport)]
        failed = {
            site: failure_text(o)
            for site, o in zip(plan.site_codes, outcomes, strict=True)
            if isinstance(o, BaseException)
        }
        if not reports:
            raise ReportsFailed.error(
                "no weekly report could be written: " + "; ".join(f"{s}: {e}" for s, e in failed.items()),
                failed_sites=failed,
            )
        self.finish()
        week_end = plan.week_start + timedelta(days=6)
        return WeeklyReportsResult(
            status="partial" if failed else "success",
            week_start=plan.week_start,
            week_end=week_end,
            iso_week=plan.week_start.isocalendar()[1],
            reports=reports,
            failed_sites=failed,
            generated_at=run.generated_at,
        )

    async def _render_all(self, run: ExportRun, plan: WeeklyPlan) -> list[WeeklySiteReport | BaseException]:
        """Each site's report, or why it failed; raises if the task was cancelled meanwhile."""
        outcomes = await asyncio.gather(
            *(
                execute(
                    render_weekly_site_report,
                    WeeklySiteRequest(run=run, site_code=site, week_start=plan.week_start),
                    RENDER,
                )
                for site in plan.site_codes
            ),
            # Every site's activity settles (done, failed, or cancelled and acknowledged) before gather
            # returns or raises, so a cancel's clean-up never races a report still being written.
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and is_cancelled_exception(outcome):
                raise outcome
        return outcomes
