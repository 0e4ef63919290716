"""Activities of send_lot_completion_notification: the lot's figures, then each message to its gaveur."""

from __future__ import annotations

from temporalio import activity

from activities.notifications._sending import outbox
from activities.shared.progress import report
from gaveurs.contracts.notifications import (
    DeliveryOutcome,
    LotCompletionInput,
    LotCompletionMessage,
    LotCompletionPlan,
)
from gaveurs.db.session import session_scope
from gaveurs.notify import tasks

STAGE = "envoi du bilan au gaveur"


@activity.defn(name="plan_lot_completion")
def plan_lot_completion(params: LotCompletionInput) -> LotCompletionPlan:
    """LotNotFound / LotNotFinished at once; else the KPIs and the gaveur's two messages (no contacts)."""
    with session_scope() as session:
        return tasks.lot_completion_plan(session, params.lot_id)


@activity.defn(name="send_lot_completion_message")
def send_lot_completion_message(request: LotCompletionMessage) -> DeliveryOutcome:
    """One message; a refusal for good is a `failed` outcome, a temporary failure is retried."""
    report(10, STAGE)
    with session_scope() as session:
        message = tasks.lot_completion_message(session, request)
    return outbox("send_lot_completion_message.before_provider", 20, STAGE).deliver(message)
