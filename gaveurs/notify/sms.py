"""Sending an SMS exactly once per idempotency key, however often the activity is retried.

The ledger (gaveurs.notify.ledger) holds a committed reservation before Twilio is called. When an attempt
died after Twilio may have accepted the message (timeout, dropped connection, 5xx), the next attempt asks
Twilio for messages to the same number with the same text since the reservation, skips those another key
of the ledger already owns, and adopts one instead of sending again.

Errors: 429 and 5xx are retryable (Retry-After honoured); 401/403 (our credentials) and other 4xx (e.g. an
invalid or fixed-line number) are non-retryable with Twilio's code and message, numbers masked.
Typed errors are raised `from None`: the library's own exception names the recipient in full, and Temporal
keeps an error's causes in the workflow history (and the API shows the innermost one).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from sqlalchemy import Engine
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from gaveurs.contracts.notifications import SendSmsRequest, SmsAlertResult
from gaveurs.errors import InvalidPhoneNumber, SmsRejected, TwilioUnavailable
from gaveurs.notify.ledger import REJECTED, SENT, Ledger, ProviderIdTaken, digest, utc
from gaveurs.notify.phone import InvalidPhone, normalize_e164
from gaveurs.notify.privacy import MaskContactsFilter, mask_contacts, mask_phone
from gaveurs.notify.rate_limit import Bucket, take_token
from gaveurs.settings import Settings

# Clock skew between us and the provider when looking for a message an earlier attempt may have sent.
RECONCILE_MARGIN = timedelta(minutes=2)
# A Retry-After outside these bounds is not taken literally: the retry policy's own backoff is saner.
RETRY_AFTER_BOUNDS = (timedelta(seconds=1), timedelta(minutes=10))

# The twilio client logs every request's form (numbers and texts) at INFO level.
logging.getLogger("twilio.http_client").addFilter(MaskContactsFilter())


class _HttpClient(TwilioHttpClient):  # type: ignore[misc]
    """Keeps the last response's headers (per thread) so a 429's Retry-After can reach the retry policy."""

    def __init__(self, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._last = threading.local()

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self._last.headers = {}
        response = super().request(*args, **kwargs)
        self._last.headers = dict(response.headers or {})
        return response

    def last_headers(self) -> Mapping[str, str]:
        headers: Mapping[str, str] = getattr(self._last, "headers", {})
        return headers


def retry_after(headers: Mapping[str, str]) -> timedelta | None:
    """The provider's Retry-After (seconds or an HTTP date) when it is within sensible bounds."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    try:
        delay = timedelta(seconds=float(value))
    except ValueError:
        try:
            delay = parsedate_to_datetime(value) - datetime.now(UTC)
        except (TypeError, ValueError):
            return None
    low, high = RETRY_AFTER_BOUNDS
    return min(max(delay, low), high) if delay > timedelta(0) else None


class SmsSender:
    def __init__(self, settings: Settings, engine: Engine, *, bucket: Bucket | None = None) -> None:
        self.engine = engine
        self.sender = settings.twilio_from_number
        self.http = _HttpClient(timeout=settings.twilio_timeout_s)
        self.client = Client(
            settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(), http_client=self.http
        )
        if settings.twilio_api_base:
            self.client.api.base_url = settings.twilio_api_base
        self.ledger = Ledger(engine, "sms")
        self.bucket = bucket or Bucket.sms(settings)

    def send_once(
        self,
        request: SendSmsRequest,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_wait_s: float | None = None,
        before_send: Callable[[], None] = lambda: None,
        while_sending: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> SmsAlertResult:
        """Send `request.message` to `request.phone` unless this idempotency key already did.

        `should_stop` / `max_wait_s` bound the wait for a rate-limit token (see rate_limit.take_token).
        `before_send` runs just before the provider call: the last moment not sending is still possible (the
        activity lets a cancel through there). `while_sending` wraps the call and the ledger update, which
        must not be torn apart (the activity holds cancellation off during it).
        """
        try:
            phone = normalize_e164(request.phone)
        except InvalidPhone as error:
            raise InvalidPhoneNumber.error(mask_contacts(str(error))) from None
        key, body = request.idempotency_key, digest(request.message)
        entry = self.ledger.reserve(key, phone, body)
        if entry.state == SENT and entry.provider_id:
            return self._result(request, phone, entry.provider_id, "already sent", entry.sent_at, True)
        if entry.state == REJECTED:
            raise SmsRejected.error(f"Twilio already refused this SMS: {entry.last_error}")
        if entry.ambiguous:
            earlier = self._adopt_delivered(key, phone, entry.body_sha256, entry.reserved_at)
            if earlier is not None:
                return self._result(request, phone, earlier, "already sent", None, True)
            if entry.body_sha256 != body:
                self.ledger.about_to_send(key, body)

        take_token(self.engine, self.bucket, should_stop=should_stop, max_wait_s=max_wait_s)
        before_send()
        with while_sending():
            try:
                message = self.client.messages.create(to=phone, from_=self.sender, body=request.message)
            except TwilioRestException as error:
                raise self._refused(key, error) from None
            except requests.RequestException as error:
                # Timed out or cut off: Twilio may have the message, so the row stays `sending` (reconciled).
                raise TwilioUnavailable.error(
                    f"no answer from Twilio ({type(error).__name__}); delivery is checked before any resend"
                ) from None
            assert message.sid is not None
            sent_at = self.ledger.mark_sent(key, message.sid)
            return self._result(request, phone, message.sid, str(message.status), sent_at, False)

    def _refused(self, key: str, error: TwilioRestException) -> Exception:
        """The error to raise for Twilio's answer, with the ledger updated to match."""
        said = mask_contacts(f"{error.status} {error.code}: {error.msg}")
        if error.status == 429:
            self.ledger.mark_failed(key, said)  # throttled requests are not processed
            delay = retry_after(self.http.last_headers())
            wait = f"; retrying in {delay.total_seconds():.0f}s" if delay else ""
            return TwilioUnavailable.error(f"Twilio is throttling us ({said}){wait}", next_retry_delay=delay)
        if error.status in (401, 403) or (error.status == 404 and error.code == 20404):
            # Our account, not the message: nothing was sent, and once the settings are fixed it may be.
            self.ledger.mark_failed(key, said)
            return SmsRejected.error(
                f"Twilio refused our account ({said}); check TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN",
                code=error.code,
            )
        if 400 <= error.status < 500:
            self.ledger.mark_rejected(key, said)
            return SmsRejected.error(f"Twilio refused the SMS: {said}", code=error.code)
        # A 5xx may come from a proxy after Twilio took the message: leave it to reconciliation.
        delay = retry_after(self.http.last_headers())
        return TwilioUnavailable.error(f"Twilio error {said}", next_retry_delay=delay)

    def _adopt_delivered(self, key: str, phone: str, body_sha256: str, since: datetime) -> str | None:
        """The sid of a message an earlier attempt of `key` got through, claimed in the ledger, or None."""
        candidates = [
            message
            for message in self.client.messages.list(
                to=phone, from_=self.sender, date_sent_after=since - RECONCILE_MARGIN, limit=200
            )
            if message.sid and message.body is not None and digest(message.body) == body_sha256
        ]
        claimed = self.ledger.claimed_provider_ids([str(m.sid) for m in candidates])
        # Oldest first: the earliest unclaimed copy is the likeliest to be ours.
        candidates.sort(key=lambda m: m.date_created or datetime.max.replace(tzinfo=UTC))
        for message in candidates:
            sid = str(message.sid)
            if sid in claimed:
                continue  # another task's identical message
            try:
                self.ledger.mark_sent(key, sid)
            except ProviderIdTaken:
                continue  # another task claimed it a moment ago
            return sid
        return None

    @staticmethod
    def _result(
        request: SendSmsRequest,
        phone: str,
        sid: str,
        status: str,
        sent_at: datetime | None,
        deduplicated: bool,
    ) -> SmsAlertResult:
        return SmsAlertResult(
            phone=mask_phone(phone), priority=request.priority, message_sid=sid, provider_status=status,
            deduplicated=deduplicated, sent_at=utc(sent_at) if sent_at else datetime.now(UTC),
        )  # fmt: skip
