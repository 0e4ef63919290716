"""Catalogue rows of the notification tasks (queue `notifications`).

Every message is its own task (two identical alerts may both be wanted), so no row has a `work_id`; the
recipient never appears in a workflow id or search attribute, which the Web UI shows to every operator.
"""

from __future__ import annotations

from datetime import timedelta

from gaveurs.catalogue.spec import TaskSpec
from gaveurs.contracts.ml import LotAnomaly
from gaveurs.contracts.notifications import (
    AnomalyAlertInput,
    AnomalyAlertResult,
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
