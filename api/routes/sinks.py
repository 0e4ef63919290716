"""What the loopback sinks received (`/api/sinks/...`): dev and tests only, so a person trying the system sees
the SMS and e-mails the tasks sent. Contacts are shown as the sinks saw them: nothing there reached anyone.

Where messages go to a real provider (production: TWILIO_API_BASE empty, a real SMTP server), there is no
sink to list and these routes answer 404 saying so; they never ask a real provider what was sent.
"""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, HTTPException, Query, status

from api.deps import SettingsDep
from gaveurs.contracts.notifications import SinkEmailListing, SinkSmsListing
from gaveurs.notify.sink_listing import email_sink_url, received_emails, received_sms, sms_sink_url

router = APIRouter()
Limit = Annotated[int, Query(ge=1, le=500, description="newest first, at most this many")]
To = Annotated[str | None, Query(description="only messages to this recipient (as sent)")]


def _unreachable(what: str, url: str, error: httpx.HTTPError) -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        detail=f"the loopback {what} sink at {url} does not answer ({type(error).__name__}); "
        "`make run` starts it",
    )


@router.get("/sms", response_model=SinkSmsListing)
def sms_received(settings: SettingsDep, to: To = None, limit: Limit = 50) -> SinkSmsListing:
    """SMS the loopback Twilio sink received, newest first (404 where SMS go to Twilio itself)."""
    url = sms_sink_url(settings)
    if url is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail="no loopback SMS sink here: SMS go to Twilio itself (TWILIO_API_BASE is not a loopback "
            "address), and this listing exists for dev and tests only",
        )
    try:
        return SinkSmsListing(sink=url, messages=received_sms(url, to=to, limit=limit))
    except httpx.HTTPError as error:
        raise _unreachable("SMS", url, error) from error


@router.get("/email", response_model=SinkEmailListing)
def emails_received(settings: SettingsDep, to: To = None, limit: Limit = 50) -> SinkEmailListing:
    """E-mails the loopback SMTP sink received, newest first (404 where e-mail goes to a real server)."""
    url = email_sink_url(settings)
    if url is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail="no loopback e-mail sink here: e-mail goes to a real SMTP server (SMTP_SINK_API is empty "
            "or SMTP_HOST is not a loopback address), and this listing exists for dev and tests only",
        )
    try:
        return SinkEmailListing(sink=url, messages=received_emails(url, to=to, limit=limit))
    except httpx.HTTPError as error:
        raise _unreachable("e-mail", url, error) from error
