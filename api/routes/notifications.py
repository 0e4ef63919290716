"""Start routes of the notification tasks (`/api/tasks/notifications/...`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status

from api.deps import TemporalClientDep
from api.task_starter import start_task, submitted
from gaveurs.catalogue import TaskName
from gaveurs.contracts.notifications import SmsAlertInput
from gaveurs.notify.phone import InvalidPhone, normalize_e164

router = APIRouter()


@router.post("/notifications/sms")
async def sms_alert(client: TemporalClientDep, alert: SmsAlertInput) -> dict[str, Any]:
    try:
        phone = normalize_e164(alert.phone)
    except InvalidPhone as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(error)) from error
    params = alert.model_copy(update={"phone": phone})
    started = await start_task(client, TaskName.SMS_ALERT, params)
    return submitted(TaskName.SMS_ALERT, started, phone=phone)
