from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from gaveurs.notify.phone import InvalidPhone, normalize_e164

Priority = Literal["low", "normal", "high"]


def _e164(raw: str) -> str:
    try:
        return normalize_e164(raw)
    except InvalidPhone as error:
        raise ValueError(str(error)) from None


# Validated wherever an input is built (API routes, the generic start route, schedules): canonical E.164.
E164Phone = Annotated[
    str, Field(max_length=32, description="E.164, e.g. +33612345678"), AfterValidator(_e164)
]


class SmsAlertInput(BaseModel):
    phone: E164Phone
    message: str = Field(min_length=1, max_length=1600)
    priority: Priority = "normal"


class SendSmsRequest(BaseModel):
    idempotency_key: str  # the workflow id: one SMS per task, however many attempts
    phone: str
    message: str
    priority: Priority


class SmsAlertResult(BaseModel):
    status: Literal["success"] = "success"
    phone: str
    priority: Priority
    message_sid: str
    provider_status: str
    deduplicated: bool  # true when an earlier attempt had already handed it to Twilio
    sent_at: datetime
