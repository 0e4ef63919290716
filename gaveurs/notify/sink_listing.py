"""What the loopback sinks received, for the API to show a person trying the system (dev only).

Each sink answers over HTTP (`GET /_sink/messages` on the Twilio sink, `GET /messages` on the SMTP sink's
listing port) and can also append to a JSON-lines log file; both readers give the same models, newest first.
"""

from __future__ import annotations

import json
from collections import deque
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from gaveurs.contracts.notifications import SinkEmail, SinkSms
from gaveurs.settings import Settings

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def is_loopback(url_or_host: str) -> bool:
    host = urlparse(url_or_host).hostname if "://" in url_or_host else url_or_host
    return host in LOOPBACK_HOSTS


def sms_sink_url(settings: Settings) -> str | None:
    """The loopback Twilio sink the SMS go to, or None when they go elsewhere (Twilio itself, production)."""
    base = settings.twilio_api_base
    return base.rstrip("/") if base and is_loopback(base) else None


def email_sink_url(settings: Settings) -> str | None:
    """The listing of the loopback SMTP sink the e-mails go to, or None when they go to a real server."""
    listing = settings.smtp_sink_api
    if listing and is_loopback(listing) and is_loopback(settings.smtp_host):
        return listing.rstrip("/")
    return None


def _sms(resource: dict[str, Any]) -> SinkSms:
    return SinkSms(
        sid=resource["sid"], to=resource["to"], sender=resource.get("from"), body=resource["body"],
        status=resource["status"], date_created=parsedate_to_datetime(resource["date_created"]),
        received_at=resource.get("received_at"),
    )  # fmt: skip


def _email(record: dict[str, Any]) -> SinkEmail:
    return SinkEmail.model_validate(record)


def received_sms(
    base_url: str, *, to: str | None = None, limit: int = 50, timeout: float = 5.0
) -> list[SinkSms]:
    """SMS the Twilio sink at `base_url` (the TWILIO_API_BASE setting in dev) received; httpx errors raise."""
    params: dict[str, str | int] = {"limit": limit} | ({"to": to} if to else {})
    response = httpx.get(f"{base_url.rstrip('/')}/_sink/messages", params=params, timeout=timeout)
    response.raise_for_status()
    return [_sms(m) for m in response.json()["messages"]]


def received_emails(
    base_url: str, *, to: str | None = None, limit: int = 50, timeout: float = 5.0
) -> list[SinkEmail]:
    """E-mails the SMTP sink whose listing is at `base_url` (the SMTP_SINK_API setting) received."""
    params: dict[str, str | int] = {"limit": limit} | ({"to": to} if to else {})
    response = httpx.get(f"{base_url.rstrip('/')}/messages", params=params, timeout=timeout)
    response.raise_for_status()
    return [_email(m) for m in response.json()["messages"]]


def _tail(path: Path, limit: int) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as lines:
        last = deque((line for line in lines if line.strip()), maxlen=max(0, limit))
    return [json.loads(line) for line in reversed(last)]


def read_sms_log(path: Path, *, limit: int = 50) -> list[SinkSms]:
    """The last `limit` SMS of a Twilio sink's `--log` file, newest first."""
    return [_sms(m) for m in _tail(path, limit)]


def read_email_log(path: Path, *, limit: int = 50) -> list[SinkEmail]:
    """The last `limit` e-mails of an SMTP sink's `--log` file, newest first."""
    return [_email(m) for m in _tail(path, limit)]
