"""send_daily_summary_reports: each site's day in figures, one e-mail per manager (scheduled at 18:00)."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.notifications.daily_summary import plan_daily_summary, send_daily_summary_email
    from gaveurs.catalogue.notifications import DAILY_SUMMARY
    from gaveurs.contracts.notifications import (
        DailySummaryInput,
        DailySummaryMessage,
        DailySummaryPlanRequest,
        DailySummaryResult,
        DeliveryOutcome,
        PlannedDelivery,
        SiteSummaryPlan,
    )
    from gaveurs.notify.tasks import daily_summary_result
    from workflows._options import DB_READ, execute
    from workflows.notifications._delivery import deliver, run_key, run_moment, side_by_side

SENDING = "envoi des bilans du jour"


@task_workflow(DAILY_SUMMARY)
class SendDailySummaryReportsWorkflow(TaskWorkflow):
    """One activity per recipient, all at once: a bad address or a mailbox refused fails alone, and the
    result lists every site's figures with who got them and who did not (and why)."""

    def __init__(self) -> None:
        super().__init__()
        self._sent = 0
        self._total = 0

    @workflow.run
    async def run(self, params: DailySummaryInput) -> DailySummaryResult:
        key = run_key()
        self.stage("chiffres du jour", 5)
        # No day given (the schedule's runs): the day the run stands for, in Europe/Paris.
        request = DailySummaryPlanRequest(day=params.day, moment=run_moment())
        plan = await execute(plan_daily_summary, request, DB_READ)

        self._total = sum(len(site.deliveries) for site in plan.sites)
        self.stage(f"{SENDING} (0/{self._total})", 20, 99)
        outcomes = iter(
            await side_by_side(
                [self._one(key, site, delivery) for site in plan.sites for delivery in site.deliveries]
            )
        )
        by_site = [[next(outcomes) for _ in site.deliveries] for site in plan.sites]
        # NotificationUndeliverable (FAILURE) only when nobody at all got the summary.
        result = daily_summary_result(plan, by_site, workflow.now())
        self.finish()
        return result

    async def _one(self, key: str, site: SiteSummaryPlan, delivery: PlannedDelivery) -> DeliveryOutcome:
        message = DailySummaryMessage(task_key=key, figures=site.figures, delivery=delivery)
        outcome = await deliver(send_daily_summary_email, message, delivery)
        self._sent += 1
        if self._sent < self._total:
            # One stage change (one history event) per message sent: the progress a person watches.
            self.stage(f"{SENDING} ({self._sent}/{self._total})", 20 + 79 * self._sent // self._total, 99)
        return outcome
