"""Inputs and results of the six notification tasks, and what the loopback sinks received.

Inputs validate at the API edge (a bad phone or address is a 422 there) and hold the canonical form (E.164
phone, e-mail domain in lower case) so the answer can echo it. Results never carry a full phone number or
address: they are kept in the workflow history and shown in the UI, so recipients appear masked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from gaveurs.contracts.ml import LotAnomaly

Priority = Literal["low", "normal", "high"]
Channel = Literal["sms", "email"]
# success: every message went; partial: some failed for good; failed: none went; skipped: nothing to send.
NotificationStatus = Literal["success", "partial", "failed", "skipped"]


def _e164(raw: str) -> str:
    from gaveurs.notify.phone import normalize_e164  # imported late: contracts load inside workflows

    return normalize_e164(raw)  # InvalidPhone is a ValueError: pydantic reports it, FastAPI answers 422


def _email(raw: str) -> str:
    from gaveurs.notify.email_address import normalize_email

    return normalize_email(raw)


def _one_line(text: str) -> str:
    if "\n" in text or "\r" in text:
        raise ValueError("an e-mail subject is one line")
    return text


# Validated wherever an input is built (API routes, the generic start route, schedules): canonical forms.
E164Phone = Annotated[
    str, Field(max_length=32, description="E.164, e.g. +33612345678"), AfterValidator(_e164)
]
EmailAddress = Annotated[
    str,
    Field(max_length=254, description="an e-mail address; its domain is kept in lower case"),
    AfterValidator(_email),
]
Subject = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_one_line)]


# ── send_sms_alert ──────────────────────────────────────────────────────────────────────────────────────
class SmsAlertInput(BaseModel):
    phone: E164Phone
    message: str = Field(min_length=1, max_length=1600)
    priority: Priority = "normal"


class SendSmsRequest(BaseModel):
    idempotency_key: str  # the run's (workflow id + run id): one SMS per run, however many attempts
    phone: str
    message: str
    priority: Priority


class SmsAlertResult(BaseModel):
    status: Literal["success"] = "success"
    phone: str  # masked: +33 6•• •• •• 78
    priority: Priority
    message_sid: str
    provider_status: str
    deduplicated: bool  # true when an earlier attempt had already handed it to Twilio
    sent_at: datetime


# ── send_email_notification ─────────────────────────────────────────────────────────────────────────────
class EmailNotificationInput(BaseModel):
    to_email: EmailAddress
    subject: Subject
    body_html: str = Field(min_length=1, max_length=500_000)


class SendEmailRequest(BaseModel):
    idempotency_key: str  # one e-mail per key; its Message-ID is derived from it
    to_email: str
    to_name: str | None = None  # shown in the To header: "Claire Labat <claire.labat@…>"
    subject: str
    body_html: str
    body_text: str | None = None  # the plain-text alternative; derived from the HTML when absent


class EmailNotificationResult(BaseModel):
    status: Literal["success"] = "success"
    to_email: str  # masked: j•••@example.fr
    subject: str
    message_id: str
    deduplicated: bool  # true when an earlier attempt had already handed it to the mail server
    sent_at: datetime


# ── one message of a notification, and what became of it ──────────────────────────────────────────────
class OutgoingMessage(BaseModel):
    """One SMS or e-mail a notification task plans to send to one person."""

    channel: Channel
    idempotency_key: str
    recipient_ref: str  # manager-3, gaveur-12, feedback-55: who, without their contact details
    recipient_name: str
    role: str
    address: str | None  # phone or e-mail as stored; None when the person has none on file
    subject: str | None = None  # e-mail only
    text: str  # the SMS, or the e-mail's plain-text part
    html: str | None = None  # e-mail only


class DeliveryOutcome(BaseModel):
    channel: Channel
    recipient_ref: str
    recipient_name: str
    role: str
    recipient: str | None  # masked contact
    status: Literal["sent", "failed"]
    provider_id: str | None = None  # Twilio sid or Message-ID
    deduplicated: bool = False
    error_type: str | None = None  # e.g. EmailRejected, InvalidPhoneNumber
    error: str | None = None  # the provider's words, contacts masked


class PlannedDelivery(BaseModel):
    """One message a task will send, its recipient named by reference: what workflow history may carry.

    The step that sends it looks the contact up itself (gaveurs.notify.recipients.person_by_ref), so no phone
    number or address passes through Temporal.
    """

    channel: Channel
    recipient_ref: str
    recipient_name: str
    role: str


# ── send_anomaly_alert ──────────────────────────────────────────────────────────────────────────────────
class AnomalyAlertInput(BaseModel):
    site_code: str = Field(pattern=r"^[A-Z]{2}$")
    anomalies: list[LotAnomaly] = Field(max_length=500)

    @model_validator(mode="after")
    def _same_site(self) -> AnomalyAlertInput:
        others = sorted({a.code_lot for a in self.anomalies if a.site_code != self.site_code})
        if others:
            raise ValueError(f"anomalies of other sites than {self.site_code}: {', '.join(others)}")
        return self


class AnomalyAlertResult(BaseModel):
    status: NotificationStatus
    site_code: str
    n_anomalies: int
    severity_counts: dict[str, int]
    recipients: int
    sent: int
    failed: int
    deliveries: list[DeliveryOutcome]
    reason: str | None = None  # why nothing was sent, when skipped
    completed_at: datetime


# ── send_lot_completion_notification ────────────────────────────────────────────────────────────────────
class LotCompletionInput(BaseModel):
    lot_id: int = Field(gt=0, le=2**31 - 1)


class LotCompletionKpis(BaseModel):
    code_lot: str
    site_code: str
    gaveur: str
    genetique: str
    statut: str
    debut_gavage: date
    duree_gavage: int
    nb_canards_places: int
    nb_canards_morts: int
    mortalite_pct: float
    poids_foie_moyen_g: float
    itm: float
    dose_totale_kg: float
    sqal_score_moyen: float | None
    sqal_grades: dict[str, int]
    feedback_count: int
    feedback_rating_moyen: float | None


class LotCompletionPlan(BaseModel):
    """The finished lot's figures and the messages its gaveur gets (an SMS and an e-mail)."""

    kpis: LotCompletionKpis
    deliveries: list[PlannedDelivery]


class LotCompletionMessage(BaseModel):
    """One message of a lot-completion notice: what its sending step needs (the lot's figures travel)."""

    task_key: str
    kpis: LotCompletionKpis
    delivery: PlannedDelivery


class LotCompletionResult(BaseModel):
    status: NotificationStatus
    lot_id: int
    code_lot: str
    kpis: LotCompletionKpis
    sent: int
    failed: int
    deliveries: list[DeliveryOutcome]
    completed_at: datetime


# ── send_daily_summary_reports ──────────────────────────────────────────────────────────────────────────
class DailySummaryInput(BaseModel):
    day: date | None = Field(default=None, description="the day summarised; today (Europe/Paris) if absent")


class SiteDailyFigures(BaseModel):
    """One site's day: what was fed, finished, slaughtered, measured and said by consumers."""

    site_code: str
    site_nom: str
    day: date
    lots_nourris: int  # lots with at least one meal that day
    lots_demarres: int
    lots_termines: int  # last meal of the feeding that day
    dose_journaliere_moyenne_g: float | None  # per duck, both meals, over the lots fed
    temperature_moyenne_c: float | None
    lots_abattus: int
    canards_abattus: int
    poids_foie_moyen_g: float | None  # of the lots slaughtered that day
    sqal_echantillons: int
    sqal_score_moyen: float | None
    sqal_reject_pct: float | None
    avis_consommateurs: int
    note_moyenne: float | None


class DailySummaryPlanRequest(BaseModel):
    day: date | None
    moment: datetime  # the run's clock: the day summarised is its date in Europe/Paris when `day` is absent


class SiteSummaryPlan(BaseModel):
    figures: SiteDailyFigures
    deliveries: list[PlannedDelivery]


class DailySummaryPlan(BaseModel):
    day: date
    sites: list[SiteSummaryPlan]


class DailySummaryMessage(BaseModel):
    """One manager's summary e-mail: the site's figures travel, the address is looked up by the sender."""

    task_key: str
    figures: SiteDailyFigures
    delivery: PlannedDelivery


class SiteSummaryOutcome(BaseModel):
    site_code: str
    figures: SiteDailyFigures
    deliveries: list[DeliveryOutcome]


class DailySummaryResult(BaseModel):
    status: NotificationStatus
    day: date
    sites: list[SiteSummaryOutcome]
    sent: int
    failed: int
    completed_at: datetime


# ── send_consumer_feedback_acknowledgment ───────────────────────────────────────────────────────────────
class FeedbackAcknowledgmentInput(BaseModel):
    feedback_id: int = Field(gt=0, le=2**31 - 1)


class FeedbackAcknowledgmentPlan(BaseModel):
    feedback_id: int
    lot_id: int
    skipped_because: str | None = None  # why no e-mail goes (no address left); None: one goes


class FeedbackAcknowledgmentMessage(BaseModel):
    task_key: str
    feedback_id: int


class FeedbackAcknowledgmentResult(BaseModel):
    status: NotificationStatus
    feedback_id: int
    lot_id: int
    reason: str | None = None  # why it was skipped
    delivery: DeliveryOutcome | None = None
    completed_at: datetime


# ── what the loopback sinks received (dev: lets a person see the messages) ──────────────────────────────
class SinkSms(BaseModel):
    sid: str
    to: str
    sender: str | None
    body: str
    status: str
    date_created: datetime
    received_at: datetime | None = None  # to the microsecond (date_created is Twilio's, to the second)


class SinkEmail(BaseModel):
    message_id: str | None
    mail_from: str
    rcpt_to: list[str]
    subject: str | None
    text: str | None
    html: str | None
    received_at: datetime


class SinkSmsListing(BaseModel):
    """`GET /api/sinks/sms`: what the loopback Twilio sink received, newest first (dev only)."""

    sink: str
    messages: list[SinkSms]


class SinkEmailListing(BaseModel):
    """`GET /api/sinks/email`: what the loopback SMTP sink received, newest first (dev only)."""

    sink: str
    messages: list[SinkEmail]
