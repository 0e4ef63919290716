"""Catalogue rows of the notification tasks (queue `notifications`).

A message given in full (an SMS, an e-mail, an anomaly alert) is its own task: two identical alerts may both
be wanted, so those rows have no `work_id`. Notices about a thing (a lot, a feedback, a day) have one: a
second request while one runs joins it instead of telling people twice; once it has ended, asking again sends
again (a new run, with its own idempotency keys). No recipient ever appears in a workflow id or search attribute, which the Web UI
shows to every operator: ids carry lot, feedback and day numbers only.
"""

from __future__ import annotations

from datetime import date, timedelta

from gaveurs.catalogue.spec import TaskSpec
from gaveurs.contracts.ml import LotAnomaly
from gaveurs.contracts.notifications import (
    AnomalyAlertInput,
    AnomalyAlertResult,
    DailySummaryInput,
    DailySummaryResult,
    EmailNotificationInput,
    EmailNotificationResult,
    FeedbackAcknowledgmentInput,
    FeedbackAcknowledgmentResult,
    LotCompletionInput,
    LotCompletionResult,
    SmsAlertInput,
    SmsAlertResult,
)
from gaveurs.queues import TaskQueue
from gaveurs.search_attributes import lot_and_site

SMS_ALERT = TaskSpec(
    name="send_sms_alert",
    queue=TaskQueue.NOTIFICATIONS,
    input=SmsAlertInput,
    result=SmsAlertResult,
    started_message="SMS sending started",
    # An urgent alert retries for up to an hour; later than that it is no longer an alert.
    execution_timeout=timedelta(hours=1),
    example=SmsAlertInput(
        phone="+33612345678", message="Alerte: mortalité élevée sur LL2601001", priority="high"
    ),
    id_prefix="sms",
    echo=("phone",),
)

ANOMALY_ALERT = TaskSpec(
    name="send_anomaly_alert",
    queue=TaskQueue.NOTIFICATIONS,
    input=AnomalyAlertInput,
    result=AnomalyAlertResult,
    started_message="Anomaly alert sending started",
    # A critical alert older than a few hours has been overtaken by the next periodic detection.
    execution_timeout=timedelta(hours=3),
    example=AnomalyAlertInput(
        site_code="LL",
        anomalies=[
            LotAnomaly(
                lot_id=3472,
                code_lot="LL2601001",
                site_code="LL",
                anomaly_score=0.71,
                severity="critical",
                reasons=["mortalité 18.2 % (norme du site 2.7 %, ×6.7)"],
                itm=4.1,
                mortalite_pct=18.2,
            )
        ],
    ),
    id_prefix="anomaly-alert",
    attributes=lambda p: lot_and_site(site_code=p.site_code),
    echo=("site_code",),
)

EMAIL_NOTIFICATION = TaskSpec(
    name="send_email_notification",
    queue=TaskQueue.NOTIFICATIONS,
    input=EmailNotificationInput,
    result=EmailNotificationResult,
    started_message="Email sending started",
    # The send step gives up after 6 attempts (≈ 8 min of a mail server down or deferring); an hour leaves
    # it room to report that itself rather than be cut short, and an e-mail hours late is still worth it
    # only if someone re-sends it on purpose.
    execution_timeout=timedelta(hours=1),
    example=EmailNotificationInput(
        to_email="claire.labat@gaveurs.example.fr",
        subject="Alerte mortalité LL2601001",
        body_html="<p>Mortalité élevée sur le lot <b>LL2601001</b> : 3,2 %.</p>",
    ),
    id_prefix="email",
    echo=("to_email",),
)

LOT_COMPLETION = TaskSpec(
    name="send_lot_completion_notification",
    queue=TaskQueue.NOTIFICATIONS,
    input=LotCompletionInput,
    result=LotCompletionResult,
    started_message="Lot completion notification started",
    # One read and two messages sent side by side, each retried ≈ 8 min at most: an hour is ample, and the
    # figures of a lot stay true, so a late notice is still right.
    execution_timeout=timedelta(hours=1),
    example=LotCompletionInput(lot_id=3472),
    id_prefix="lot-completion",
    work_id=lambda p: f"lot-completion-{p.lot_id}",
    attributes=lambda p: lot_and_site(lot_id=p.lot_id),
    echo=("lot_id",),
)

DAILY_SUMMARY = TaskSpec(
    name="send_daily_summary_reports",
    queue=TaskQueue.NOTIFICATIONS,
    input=DailySummaryInput,
    result=DailySummaryResult,
    started_message="Daily summary reports started",
    # Scheduled at 18:00 (Europe/Paris) with a 2-hour catch-up window: people read it in the evening, so a
    # summary still trying after 20:00 should end (its result says who got it) rather than arrive at night.
    execution_timeout=timedelta(hours=2),
    # A day of the demo and test farms with slaughters, SQAL samples and feedback (their data end 2026-11-01).
    example=DailySummaryInput(day=date(2026, 10, 5)),
    id_prefix="daily-summary",
    work_id=lambda p: f"daily-summary-{p.day.isoformat()}" if p.day else "daily-summary-today",
    echo=("day",),
)

FEEDBACK_ACKNOWLEDGMENT = TaskSpec(
    name="send_consumer_feedback_acknowledgment",
    queue=TaskQueue.NOTIFICATIONS,
    input=FeedbackAcknowledgmentInput,
    result=FeedbackAcknowledgmentResult,
    started_message="Feedback acknowledgment started",
    # One read and one e-mail (≈ 8 min of retries at most); a thank-you a day late is odd, an hour late fine.
    execution_timeout=timedelta(hours=1),
    # A feedback that left an address, on the demo and test farms alike.
    example=FeedbackAcknowledgmentInput(feedback_id=2),
    id_prefix="feedback-ack",
    work_id=lambda p: f"feedback-ack-{p.feedback_id}",
    echo=("feedback_id",),
)
