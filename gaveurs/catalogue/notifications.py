"""Catalogue rows of the notification tasks (queue `notifications`).

Every message is its own task (two identical alerts may both be wanted), so no row has a `work_id`; the
recipient never appears in a workflow id or search attribute, which the Web UI shows to every operator.
"""

from __future__ import annotations

from datetime import timedelta

from gaveurs.catalogue.spec import TaskSpec
from gaveurs.contracts.notifications import SmsAlertInput, SmsAlertResult
from gaveurs.queues import TaskQueue

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
