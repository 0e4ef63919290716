"""The six notification tasks as plain functions: load the facts, plan the messages, deliver them.

Each `plan_*` reads the database and returns the messages to send (pure data, usable as activity input for
a per-recipient fan-out); each `send_*` plans and delivers through an Outbox and returns the task's result.
`task_key` is what makes retries safe: every message's idempotency key derives from it and from the
recipient (`<task_key>/<channel>/<person>`), so use one value per task run (see the wiring notes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gaveurs.contracts.notifications import (
    AnomalyAlertInput,
    AnomalyAlertResult,
    Channel,
    DailySummaryResult,
    DeliveryOutcome,
    EmailNotificationInput,
    EmailNotificationResult,
    FeedbackAcknowledgmentInput,
    FeedbackAcknowledgmentResult,
    LotCompletionInput,
    LotCompletionKpis,
    LotCompletionResult,
    OutgoingMessage,
    SendEmailRequest,
    SendSmsRequest,
    SiteDailyFigures,
    SiteSummaryOutcome,
    SmsAlertInput,
    SmsAlertResult,
)
from gaveurs.db.models import Lot, Site
from gaveurs.db.session import session_scope
from gaveurs.errors import FeedbackNotFound, LotNotFinished, LotNotFound, SiteNotFound
from gaveurs.notify import texts
from gaveurs.notify.daily_figures import daily_site_figures
from gaveurs.notify.outbox import Outbox, overall_status, raise_if_undeliverable
from gaveurs.notify.recipients import Person, feedback_facts, lot_completion_kpis, lot_gaveur, site_managers


def message_key(task_key: str, channel: Channel, person: Person) -> str:
    return f"{task_key}/{channel}/{person.ref}"


def _sms(task_key: str, person: Person, text: str) -> OutgoingMessage:
    return OutgoingMessage(
        channel="sms", idempotency_key=message_key(task_key, "sms", person), recipient_ref=person.ref,
        recipient_name=person.name, role=person.role, address=person.phone, text=text,
    )  # fmt: skip


def _email(task_key: str, person: Person, content: texts.EmailContent) -> OutgoingMessage:
    return OutgoingMessage(
        channel="email", idempotency_key=message_key(task_key, "email", person), recipient_ref=person.ref,
        recipient_name=person.name, role=person.role, address=person.email, subject=content.subject,
        text=content.text, html=content.html,
    )  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC)


def _counts(outcomes: list[DeliveryOutcome]) -> dict[str, int]:
    return {
        "sent": sum(o.status == "sent" for o in outcomes),
        "failed": sum(o.status == "failed" for o in outcomes),
    }


# ── send_sms_alert / send_email_notification: one message, errors raised as they are ───────────────────
def send_sms_alert(outbox: Outbox, task_key: str, params: SmsAlertInput) -> SmsAlertResult:
    request = SendSmsRequest(
        idempotency_key=task_key, phone=params.phone, message=params.message, priority=params.priority
    )
    return outbox.sms.send_once(request, should_stop=outbox.should_stop, max_wait_s=outbox.max_wait_s)


def send_email_notification(
    outbox: Outbox, task_key: str, params: EmailNotificationInput
) -> EmailNotificationResult:
    request = SendEmailRequest(
        idempotency_key=task_key, to_email=params.to_email, subject=params.subject, body_html=params.body_html
    )
    return outbox.email.send_once(request, should_stop=outbox.should_stop, max_wait_s=outbox.max_wait_s)


# ── send_anomaly_alert ──────────────────────────────────────────────────────────────────────────────────
def plan_anomaly_alert(session: Session, task_key: str, params: AnomalyAlertInput) -> list[OutgoingMessage]:
    """An SMS and an e-mail to each of the site's managers; SiteNotFound for an unknown site."""
    site = session.get(Site, params.site_code)
    if site is None:
        raise SiteNotFound.error(f"site {params.site_code} not found")
    if not params.anomalies:
        return []
    sms = texts.anomaly_alert_sms(site.code, params.anomalies)
    messages = []
    for person in site_managers(session, site.code):
        messages.append(_sms(task_key, person, sms))
        messages.append(
            _email(task_key, person, texts.anomaly_alert_email(site.code, site.nom, params.anomalies, person))
        )
    return messages


def send_anomaly_alert(
    engine: Engine, outbox: Outbox, task_key: str, params: AnomalyAlertInput
) -> AnomalyAlertResult:
    with session_scope(engine) as session:
        messages = plan_anomaly_alert(session, task_key, params)
    reason = None
    if not params.anomalies:
        reason = "no anomaly to report"
    elif not messages:
        reason = f"site {params.site_code} has no manager on file"
    outcomes = outbox.deliver_all(messages)
    raise_if_undeliverable(f"the anomaly alert for site {params.site_code}", outcomes)
    return AnomalyAlertResult(
        status=overall_status(outcomes), site_code=params.site_code, n_anomalies=len(params.anomalies),
        severity_counts=texts.severity_counts(params.anomalies), recipients=len({m.recipient_ref for m in messages}),
        deliveries=outcomes, reason=reason, completed_at=_now(), **_counts(outcomes),
    )  # fmt: skip


# ── send_lot_completion_notification ────────────────────────────────────────────────────────────────────
def plan_lot_completion(
    session: Session, task_key: str, lot_id: int
) -> tuple[LotCompletionKpis, list[OutgoingMessage]]:
    """The lot's KPIs, and an SMS and an e-mail to its gaveur; LotNotFound / LotNotFinished otherwise."""
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise LotNotFound.error(f"lot {lot_id} not found")
    kpis = lot_completion_kpis(session, lot_id)
    gaveur = lot_gaveur(session, lot_id)
    if kpis is None or gaveur is None:
        raise LotNotFinished.error(f"lot {lot_id} ({lot.code_lot}) is still being fed (status {lot.statut})")
    return kpis, [
        _sms(task_key, gaveur, texts.lot_completion_sms(kpis)),
        _email(task_key, gaveur, texts.lot_completion_email(kpis, gaveur)),
    ]


def send_lot_completion_notification(
    engine: Engine, outbox: Outbox, task_key: str, params: LotCompletionInput
) -> LotCompletionResult:
    with session_scope(engine) as session:
        kpis, messages = plan_lot_completion(session, task_key, params.lot_id)
    outcomes = outbox.deliver_all(messages)
    raise_if_undeliverable(f"the completion notice of lot {kpis.code_lot}", outcomes)
    return LotCompletionResult(
        status=overall_status(outcomes), lot_id=params.lot_id, code_lot=kpis.code_lot, kpis=kpis,
        deliveries=outcomes, completed_at=_now(), **_counts(outcomes),
    )  # fmt: skip


# ── send_daily_summary_reports ──────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class SiteSummaryPlan:
    figures: SiteDailyFigures
    messages: list[OutgoingMessage]


def plan_daily_summary(session: Session, task_key: str, day: date) -> list[SiteSummaryPlan]:
    """Per site, the day's figures and one e-mail to each of its managers."""
    plans = []
    for figures in daily_site_figures(session, day):
        messages = [
            _email(f"{task_key}/{figures.site_code}", person, texts.daily_summary_email(figures, person))
            for person in site_managers(session, figures.site_code)
        ]
        plans.append(SiteSummaryPlan(figures, messages))
    return plans


def send_daily_summary_reports(
    engine: Engine, outbox: Outbox, task_key: str, day: date
) -> DailySummaryResult:
    """One e-mail per site and manager, with the site's figures for `day` (the schedule passes its date)."""
    with session_scope(engine) as session:
        plans = plan_daily_summary(session, task_key, day)
    # One list for the whole farm: a temporary failure at one site does not hold back the next site.
    outcomes = outbox.deliver_all([m for plan in plans for m in plan.messages])
    by_key = dict(zip([m.idempotency_key for plan in plans for m in plan.messages], outcomes, strict=True))
    sites = [
        SiteSummaryOutcome(
            site_code=plan.figures.site_code,
            figures=plan.figures,
            deliveries=[by_key[m.idempotency_key] for m in plan.messages],
        )
        for plan in plans
    ]
    raise_if_undeliverable(f"the daily summary of {day.isoformat()}", outcomes)
    return DailySummaryResult(
        status=overall_status(outcomes), day=day, sites=sites, completed_at=_now(), **_counts(outcomes)
    )


# ── send_consumer_feedback_acknowledgment ───────────────────────────────────────────────────────────────
def send_consumer_feedback_acknowledgment(
    engine: Engine, outbox: Outbox, task_key: str, params: FeedbackAcknowledgmentInput
) -> FeedbackAcknowledgmentResult:
    """A thank-you e-mail when the consumer left an address; `skipped` with the reason otherwise.

    A malformed address or a refused mailbox fails the task (InvalidEmailAddress / EmailRejected).
    """
    with session_scope(engine) as session:
        facts = feedback_facts(session, params.feedback_id)
    if facts is None:
        raise FeedbackNotFound.error(f"consumer feedback {params.feedback_id} not found")
    if not facts.email:
        return FeedbackAcknowledgmentResult(
            status="skipped", feedback_id=facts.feedback_id, lot_id=facts.lot_id,
            reason="the consumer left no e-mail address", completed_at=_now(),
        )  # fmt: skip
    consumer = Person(f"feedback-{facts.feedback_id}", "", "", "consommateur", None, facts.email)
    message = _email(task_key, consumer, texts.feedback_acknowledgment_email(facts))
    result = send_email_notification_request(outbox, message)
    delivery = DeliveryOutcome(
        channel="email", recipient_ref=consumer.ref, recipient_name="", role=consumer.role,
        recipient=result.to_email, status="sent", provider_id=result.message_id, deduplicated=result.deduplicated,
    )  # fmt: skip
    return FeedbackAcknowledgmentResult(
        status="success",
        feedback_id=facts.feedback_id,
        lot_id=facts.lot_id,
        delivery=delivery,
        completed_at=_now(),
    )


def send_email_notification_request(outbox: Outbox, message: OutgoingMessage) -> EmailNotificationResult:
    """One planned e-mail, errors raised as they are (for single-recipient tasks)."""
    request = SendEmailRequest(
        idempotency_key=message.idempotency_key, to_email=message.address or "", to_name=message.recipient_name or None,
        subject=message.subject or "", body_html=message.html or "", body_text=message.text,
    )  # fmt: skip
    return outbox.email.send_once(request, should_stop=outbox.should_stop, max_wait_s=outbox.max_wait_s)
