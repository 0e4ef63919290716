from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Priority = Literal["low", "normal", "high"]


class SmsAlertInput(BaseModel):
    phone: str = Field(description="E.164, e.g. +33612345678")
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
