"""Activities of send_daily_summary_reports: the day's figures per site, then one e-mail per manager."""

from __future__ import annotations

from temporalio import activity

from activities.notifications._sending import outbox
from activities.shared.progress import report
from gaveurs.contracts.notifications import (
    DailySummaryMessage,
    DailySummaryPlan,
    DailySummaryPlanRequest,
    DeliveryOutcome,
)
from gaveurs.db.session import session_scope
from gaveurs.notify import tasks

STAGE = "envoi des bilans du jour"


@activity.defn(name="plan_daily_summary")
def plan_daily_summary(request: DailySummaryPlanRequest) -> DailySummaryPlan:
    """Every site's figures for the day and its managers (by reference: no address leaves the database)."""
    with session_scope() as session:
        return tasks.daily_summary_plan(session, tasks.summary_day(request))


@activity.defn(name="send_daily_summary_email")
def send_daily_summary_email(request: DailySummaryMessage) -> DeliveryOutcome:
    """One manager's e-mail; a refusal for good is a `failed` outcome, a temporary failure is retried."""
    report(10, STAGE)
    with session_scope() as session:
        message = tasks.daily_summary_message(session, request)
    return outbox("send_daily_summary_email.before_provider", 20, STAGE).deliver(message)
