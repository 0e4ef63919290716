"""What became of a notification's messages, summed up: pure functions, light enough for workflow code.

The plain task functions (gaveurs.notify.tasks) and the workflows that fan a notification out message by
message both build their results with these, so the two always judge an outcome the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from gaveurs.contracts.notifications import DeliveryOutcome, NotificationStatus, PlannedDelivery
from gaveurs.errors import NotificationUndeliverable


def overall_status(outcomes: Sequence[DeliveryOutcome]) -> NotificationStatus:
    sent = sum(o.status == "sent" for o in outcomes)
    if not outcomes:
        return "skipped"
    if sent == len(outcomes):
        return "success"
    return "partial" if sent else "failed"


def counts(outcomes: Sequence[DeliveryOutcome]) -> dict[str, int]:
    return {
        "sent": sum(o.status == "sent" for o in outcomes),
        "failed": sum(o.status == "failed" for o in outcomes),
    }


def raise_if_undeliverable(what: str, outcomes: Sequence[DeliveryOutcome]) -> None:
    """Nobody got anything: a FAILURE with each recipient's reason, not a SUCCESS that informed no one."""
    if outcomes and overall_status(outcomes) == "failed":
        reasons = "; ".join(f"{o.channel} to {o.recipient_ref}: {o.error_type}: {o.error}" for o in outcomes)
        raise NotificationUndeliverable.error(f"{what} reached nobody: {reasons}")


def undelivered(delivery: PlannedDelivery, error_type: str, error: str) -> DeliveryOutcome:
    """A planned message that did not go: e.g. its step exhausted its retries on a provider that stayed down.

    `error` must already be free of contacts (the senders mask what providers say).
    """
    return DeliveryOutcome(
        channel=delivery.channel,
        recipient_ref=delivery.recipient_ref,
        recipient_name=delivery.recipient_name,
        role=delivery.role,
        recipient=None,
        status="failed",
        error_type=error_type,
        error=error,
    )
