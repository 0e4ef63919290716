"""Activity of send_anomaly_alert: an SMS and an e-mail to each of the site's managers, each exactly once."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import CancelledError

from activities.notifications._sending import outbox
from activities.shared.progress import report
from gaveurs.contracts.notifications import AnomalyAlertInput, AnomalyAlertResult
from gaveurs.db.session import default_engine
from gaveurs.notify.rate_limit import WaitInterrupted
from gaveurs.notify.tasks import send_anomaly_alert


class DeliverAnomalyAlert(BaseModel):
    task_key: str  # one value per task run: every message's idempotency key derives from it
    params: AnomalyAlertInput


@activity.defn(name="deliver_anomaly_alert")
def deliver_anomaly_alert(request: DeliverAnomalyAlert) -> AnomalyAlertResult:
    report(5, "envoi de l'alerte aux responsables du site")
    try:
        return send_anomaly_alert(
            default_engine(),
            outbox("deliver_anomaly_alert.before_provider", 50, "envoi de l'alerte"),
            request.task_key,
            request.params,
        )
    except WaitInterrupted as stopped:
        # Cancelled between two messages: those already sent stay sent (the ledger says so), no more go.
        raise CancelledError(str(stopped)) from stopped
