"""Start routes of the notification tasks (`/api/tasks/notifications/...`): the seed's SMS route, and one per
notification task in the same style. A malformed phone number or address is a 422 here, before any task."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import IdempotencyKey, TemporalClientDep
from api.schemas import TaskSubmitted, submitted_model
from api.task_starter import start_task
from gaveurs.catalogue.notifications import (
    ANOMALY_ALERT,
    DAILY_SUMMARY,
    EMAIL_NOTIFICATION,
    FEEDBACK_ACKNOWLEDGMENT,
    LOT_COMPLETION,
    SMS_ALERT,
)
from gaveurs.contracts.notifications import (
    AnomalyAlertInput,
    DailySummaryInput,
    EmailNotificationInput,
    FeedbackAcknowledgmentInput,
    LotCompletionInput,
    SmsAlertInput,
)

router = APIRouter()


@router.post("/notifications/sms", response_model=submitted_model(SMS_ALERT))
async def sms_alert(
    client: TemporalClientDep, alert: SmsAlertInput, idempotency_key: IdempotencyKey = None
) -> TaskSubmitted:
    """The answer echoes the phone in its canonical E.164 form, the one the SMS goes to."""
    return await start_task(client, SMS_ALERT, alert, idempotency_key=idempotency_key)


@router.post("/notifications/anomaly-alert", response_model=submitted_model(ANOMALY_ALERT))
async def anomaly_alert(
    client: TemporalClientDep, alert: AnomalyAlertInput, idempotency_key: IdempotencyKey = None
) -> TaskSubmitted:
    """An SMS and an e-mail to each manager of the site, its anomalies grouped by severity."""
    return await start_task(client, ANOMALY_ALERT, alert, idempotency_key=idempotency_key)


@router.post("/notifications/email", response_model=submitted_model(EMAIL_NOTIFICATION))
async def email_notification(
    client: TemporalClientDep, email: EmailNotificationInput, idempotency_key: IdempotencyKey = None
) -> TaskSubmitted:
    """Body `{"to_email", "subject", "body_html"}`; the plain-text part is derived from the HTML. The answer
    echoes the address in its canonical form (domain in lower case)."""
    return await start_task(client, EMAIL_NOTIFICATION, email, idempotency_key=idempotency_key)


@router.post("/notifications/lot-completion", response_model=submitted_model(LOT_COMPLETION))
async def lot_completion(
    client: TemporalClientDep,
    lot_id: Annotated[int, Query(gt=0, le=2**31 - 1)],
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """The finished lot's figures to its gaveur, by SMS and e-mail; FAILURE LotNotFinished while it is fed."""
    params = LotCompletionInput(lot_id=lot_id)
    return await start_task(client, LOT_COMPLETION, params, idempotency_key=idempotency_key)


@router.post("/notifications/daily-summary", response_model=submitted_model(DAILY_SUMMARY))
async def daily_summary(
    client: TemporalClientDep,
    day: Annotated[
        date | None, Query(description="the day summarised (default: today, Europe/Paris)")
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """One e-mail per site manager with the site's figures of the day; the result lists who got it."""
    params = DailySummaryInput(day=day)
    return await start_task(client, DAILY_SUMMARY, params, idempotency_key=idempotency_key)


@router.post("/notifications/feedback-ack", response_model=submitted_model(FEEDBACK_ACKNOWLEDGMENT))
async def feedback_acknowledgment(
    client: TemporalClientDep,
    feedback_id: Annotated[int, Query(gt=0, le=2**31 - 1)],
    idempotency_key: IdempotencyKey = None,
) -> TaskSubmitted:
    """A thank-you e-mail to the consumer; `skipped` (with the reason) when they left no address."""
    params = FeedbackAcknowledgmentInput(feedback_id=feedback_id)
    return await start_task(client, FEEDBACK_ACKNOWLEDGMENT, params, idempotency_key=idempotency_key)
