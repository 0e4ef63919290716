"""Activities of send_consumer_feedback_acknowledgment: whether to thank the consumer, then the e-mail."""

from __future__ import annotations

from temporalio import activity

from activities.notifications._sending import outbox
from activities.shared.progress import report
from gaveurs.contracts.notifications import (
    DeliveryOutcome,
    FeedbackAcknowledgmentInput,
    FeedbackAcknowledgmentMessage,
    FeedbackAcknowledgmentPlan,
)
from gaveurs.db.session import session_scope
from gaveurs.notify import tasks

STAGE = "envoi du remerciement"


@activity.defn(name="plan_feedback_acknowledgment")
def plan_feedback_acknowledgment(params: FeedbackAcknowledgmentInput) -> FeedbackAcknowledgmentPlan:
    """FeedbackNotFound at once; else the feedback's lot and whether an address was left."""
    with session_scope() as session:
        return tasks.feedback_acknowledgment_plan(session, params.feedback_id)


@activity.defn(name="send_feedback_acknowledgment")
def send_feedback_acknowledgment(request: FeedbackAcknowledgmentMessage) -> DeliveryOutcome:
    """The e-mail; a malformed address or a refused mailbox fails the task (InvalidEmailAddress,
    EmailRejected), a temporary failure is retried."""
    report(10, STAGE)
    with session_scope() as session:
        message = tasks.feedback_acknowledgment_message(session, request)
    sender = outbox("send_feedback_acknowledgment.before_provider", 20, STAGE)
    return tasks.send_feedback_acknowledgment(sender, message)
