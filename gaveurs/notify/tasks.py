"""The six notification tasks as plain functions: load the facts, plan the messages, deliver them.

Each task comes in parts the workflows call one by one, message by message:
- `*_plan(session, …)` reads the facts and names the messages to send by recipient reference
  (`PlannedDelivery`: no phone number or address, so a plan may travel through workflow history);
- `*_message(session, request)` builds one message, looking its recipient's contact up at sending time;
- `*_result(…)` sums the outcomes up (pure: workflow code calls it with the workflow's clock).
The `send_*` functions chain the parts and deliver in one go through an Outbox (tests, benchmarks).

`task_key` is what makes retries safe: every message's idempotency key derives from it and from the
recipient (`<task_key>/<channel>/<person>`), so it must name one run of the task (the workflows use their
workflow id and run id), never the work alone: the same work may run again, and must then send again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gaveurs.contracts.notifications import (
    AnomalyAlertInput,
    AnomalyAlertResult,
    Channel,
    DailySummaryMessage,
    DailySummaryPlan,
    DailySummaryPlanRequest,
    DailySummaryResult,
    DeliveryOutcome,
    EmailNotificationInput,
    EmailNotificationResult,
    FeedbackAcknowledgmentInput,
    FeedbackAcknowledgmentMessage,
    FeedbackAcknowledgmentPlan,
    FeedbackAcknowledgmentResult,
    LotCompletionInput,
    LotCompletionKpis,
    LotCompletionMessage,
    LotCompletionPlan,
    LotCompletionResult,
    OutgoingMessage,
    PlannedDelivery,
    SendEmailRequest,
    SendSmsRequest,
    SiteSummaryOutcome,
    SiteSummaryPlan,
    SmsAlertInput,
    SmsAlertResult,
)
from gaveurs.db.models import Lot, Site
from gaveurs.db.session import session_scope
from gaveurs.errors import FeedbackNotFound, LotNotFinished, LotNotFound, SiteNotFound
from gaveurs.notify import texts
from gaveurs.notify.daily_figures import SITE_TIME, daily_site_figures
from gaveurs.notify.outbox import Outbox
from gaveurs.notify.outcomes import counts, overall_status, raise_if_undeliverable
from gaveurs.notify.recipients import (
    Person,
    consumer,
    feedback_facts,
    lot_completion_kpis,
    lot_gaveur,
    person_by_ref,
    site_managers,
)


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
        deliveries=outcomes, reason=reason, completed_at=_now(), **counts(outcomes),
    )  # fmt: skip


# ── what every fanned-out task shares ───────────────────────────────────────────────────────────────────
def planned(channel: Channel, person: Person) -> PlannedDelivery:
    return PlannedDelivery(
        channel=channel, recipient_ref=person.ref, recipient_name=person.name, role=person.role
    )


def recipient(session: Session, delivery: PlannedDelivery) -> Person:
    """The planned recipient with their contacts as stored now; one without contacts if they are gone (the
    message then fails alone, `MissingContact`)."""
    found = person_by_ref(session, delivery.recipient_ref)
    if found is not None:
        return found
    return Person(delivery.recipient_ref, delivery.recipient_name, "", delivery.role, None, None)


# ── send_lot_completion_notification ────────────────────────────────────────────────────────────────────
def lot_completion_plan(session: Session, lot_id: int) -> LotCompletionPlan:
    """The lot's KPIs, and an SMS and an e-mail to its gaveur; LotNotFound / LotNotFinished otherwise."""
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise LotNotFound.error(f"lot {lot_id} not found")
    kpis = lot_completion_kpis(session, lot_id)
    gaveur = lot_gaveur(session, lot_id)
    if kpis is None or gaveur is None:
        raise LotNotFinished.error(f"lot {lot_id} ({lot.code_lot}) is still being fed (status {lot.statut})")
    return LotCompletionPlan(kpis=kpis, deliveries=[planned("sms", gaveur), planned("email", gaveur)])


def lot_completion_message(session: Session, request: LotCompletionMessage) -> OutgoingMessage:
    person = recipient(session, request.delivery)
    if request.delivery.channel == "sms":
        return _sms(request.task_key, person, texts.lot_completion_sms(request.kpis))
    return _email(request.task_key, person, texts.lot_completion_email(request.kpis, person))


def lot_completion_result(
    lot_id: int, kpis: LotCompletionKpis, outcomes: list[DeliveryOutcome], completed_at: datetime
) -> LotCompletionResult:
    """NotificationUndeliverable when the gaveur got neither message."""
    raise_if_undeliverable(f"the completion notice of lot {kpis.code_lot}", outcomes)
    return LotCompletionResult(
        status=overall_status(outcomes), lot_id=lot_id, code_lot=kpis.code_lot, kpis=kpis,
        deliveries=outcomes, completed_at=completed_at, **counts(outcomes),
    )  # fmt: skip


def plan_lot_completion(
    session: Session, task_key: str, lot_id: int
) -> tuple[LotCompletionKpis, list[OutgoingMessage]]:
    """The lot's KPIs and the messages to its gaveur, addresses included (for delivery in one go)."""
    plan = lot_completion_plan(session, lot_id)
    messages = [
        lot_completion_message(session, LotCompletionMessage(task_key=task_key, kpis=plan.kpis, delivery=d))
        for d in plan.deliveries
    ]
    return plan.kpis, messages


def send_lot_completion_notification(
    engine: Engine, outbox: Outbox, task_key: str, params: LotCompletionInput
) -> LotCompletionResult:
    with session_scope(engine) as session:
        kpis, messages = plan_lot_completion(session, task_key, params.lot_id)
    return lot_completion_result(params.lot_id, kpis, outbox.deliver_all(messages), _now())


# ── send_daily_summary_reports ──────────────────────────────────────────────────────────────────────────
def summary_day(request: DailySummaryPlanRequest) -> date:
    """The day asked for, else the calendar day of `moment` at the sites (Europe/Paris)."""
    return request.day or request.moment.astimezone(SITE_TIME).date()


def daily_summary_plan(session: Session, day: date) -> DailySummaryPlan:
    """Per site, the day's figures and one e-mail to each of its managers."""
    return DailySummaryPlan(
        day=day,
        sites=[
            SiteSummaryPlan(
                figures=figures,
                deliveries=[planned("email", p) for p in site_managers(session, figures.site_code)],
            )
            for figures in daily_site_figures(session, day)
        ],
    )


def daily_summary_message(session: Session, request: DailySummaryMessage) -> OutgoingMessage:
    person = recipient(session, request.delivery)
    content = texts.daily_summary_email(request.figures, person)
    return _email(f"{request.task_key}/{request.figures.site_code}", person, content)


def daily_summary_result(
    plan: DailySummaryPlan, outcomes: list[list[DeliveryOutcome]], completed_at: datetime
) -> DailySummaryResult:
    """`outcomes[i]` are site i's, in its plan's order; NotificationUndeliverable when nobody got one."""
    sites = [
        SiteSummaryOutcome(site_code=site.figures.site_code, figures=site.figures, deliveries=delivered)
        for site, delivered in zip(plan.sites, outcomes, strict=True)
    ]
    every = [outcome for delivered in outcomes for outcome in delivered]
    raise_if_undeliverable(f"the daily summary of {plan.day.isoformat()}", every)
    return DailySummaryResult(
        status=overall_status(every), day=plan.day, sites=sites, completed_at=completed_at, **counts(every)
    )


def send_daily_summary_reports(
    engine: Engine, outbox: Outbox, task_key: str, day: date
) -> DailySummaryResult:
    """One e-mail per site and manager, with the site's figures for `day` (the schedule passes its date)."""
    with session_scope(engine) as session:
        plan = daily_summary_plan(session, day)
        messages = [
            [
                daily_summary_message(
                    session, DailySummaryMessage(task_key=task_key, figures=site.figures, delivery=d)
                )
                for d in site.deliveries
            ]
            for site in plan.sites
        ]
    # One list for the whole farm: a temporary failure at one site does not hold back the next site.
    delivered = iter(outbox.deliver_all([m for site in messages for m in site]))
    return daily_summary_result(plan, [[next(delivered) for _ in site] for site in messages], _now())


# ── send_consumer_feedback_acknowledgment ───────────────────────────────────────────────────────────────
NO_ADDRESS = "the consumer left no e-mail address"


def feedback_acknowledgment_plan(session: Session, feedback_id: int) -> FeedbackAcknowledgmentPlan:
    """Whether a thank-you e-mail goes (and why not); FeedbackNotFound for an unknown feedback."""
    facts = feedback_facts(session, feedback_id)
    if facts is None:
        raise FeedbackNotFound.error(f"consumer feedback {feedback_id} not found")
    reason = None if (facts.email or "").strip() else NO_ADDRESS
    return FeedbackAcknowledgmentPlan(
        feedback_id=facts.feedback_id, lot_id=facts.lot_id, skipped_because=reason
    )


def feedback_acknowledgment_message(
    session: Session, request: FeedbackAcknowledgmentMessage
) -> OutgoingMessage:
    facts = feedback_facts(session, request.feedback_id)
    if facts is None:
        raise FeedbackNotFound.error(f"consumer feedback {request.feedback_id} not found")
    person = consumer(facts.feedback_id, facts.email)
    return _email(request.task_key, person, texts.feedback_acknowledgment_email(facts))


def send_feedback_acknowledgment(outbox: Outbox, message: OutgoingMessage) -> DeliveryOutcome:
    """The thank-you e-mail, its failures raised as they are: with one recipient there is nobody to spare.

    A malformed address or a refused mailbox fails the task (InvalidEmailAddress / EmailRejected); no
    address at all is InvalidEmailAddress too (the plan skips those).
    """
    result = send_email_notification_request(outbox, message)
    return DeliveryOutcome(
        channel="email", recipient_ref=message.recipient_ref, recipient_name="", role=message.role,
        recipient=result.to_email, status="sent", provider_id=result.message_id, deduplicated=result.deduplicated,
    )  # fmt: skip


def feedback_acknowledgment_result(
    plan: FeedbackAcknowledgmentPlan, delivery: DeliveryOutcome | None, completed_at: datetime
) -> FeedbackAcknowledgmentResult:
    return FeedbackAcknowledgmentResult(
        status="success" if delivery is not None else "skipped", feedback_id=plan.feedback_id,
        lot_id=plan.lot_id, reason=plan.skipped_because, delivery=delivery, completed_at=completed_at,
    )  # fmt: skip


def send_consumer_feedback_acknowledgment(
    engine: Engine, outbox: Outbox, task_key: str, params: FeedbackAcknowledgmentInput
) -> FeedbackAcknowledgmentResult:
    """A thank-you e-mail when the consumer left an address; `skipped` with the reason otherwise."""
    with session_scope(engine) as session:
        plan = feedback_acknowledgment_plan(session, params.feedback_id)
        if plan.skipped_because is not None:
            return feedback_acknowledgment_result(plan, None, _now())
        request = FeedbackAcknowledgmentMessage(task_key=task_key, feedback_id=params.feedback_id)
        message = feedback_acknowledgment_message(session, request)
    return feedback_acknowledgment_result(plan, send_feedback_acknowledgment(outbox, message), _now())


def send_email_notification_request(outbox: Outbox, message: OutgoingMessage) -> EmailNotificationResult:
    """One planned e-mail, errors raised as they are (for single-recipient tasks)."""
    request = SendEmailRequest(
        idempotency_key=message.idempotency_key, to_email=message.address or "", to_name=message.recipient_name or None,
        subject=message.subject or "", body_html=message.html or "", body_text=message.text,
    )  # fmt: skip
    return outbox.email.send_once(
        request,
        should_stop=outbox.should_stop,
        max_wait_s=outbox.max_wait_s,
        before_send=outbox.before_send,
        while_sending=outbox.while_sending,
    )
