"""Sending an SMS exactly once per task, however often the activity is retried.

A ledger row is reserved (and committed) *before* Twilio is called. If an attempt dies after Twilio accepted the
message but before the row says so, the next attempt finds the reservation and asks Twilio whether that message
already went out (same recipient, same body, since the reservation) instead of sending it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from gaveurs.contracts.notifications import SendSmsRequest, SmsAlertResult
from gaveurs.db.models import OutboundMessage
from gaveurs.db.session import session_scope
from gaveurs.errors import InvalidPhoneNumber, SmsRejected, TwilioUnavailable
from gaveurs.notify.phone import InvalidPhone, normalize_e164
from gaveurs.settings import Settings

SENDING, SENT, REJECTED = "sending", "sent", "rejected"
# Clock skew between us and the provider when looking for a message an earlier attempt may have sent.
RECONCILE_MARGIN = timedelta(minutes=2)


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC


class SmsSender:
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.engine = engine
        self.sender = settings.twilio_from_number
        self.client = Client(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            http_client=TwilioHttpClient(timeout=15),
        )
        if settings.twilio_api_base:
            self.client.api.base_url = settings.twilio_api_base

    def send_once(
        self,
        request: SendSmsRequest,
        *,
        before_send: Callable[[], None] = lambda: None,
        while_sending: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> SmsAlertResult:
        """Send unless this key's message already went.

        `before_send` runs just before the provider call: the last moment not sending is still possible (the
        activity lets a cancel through there). `while_sending` wraps the call and the ledger update, which
        must not be torn apart (the activity holds cancellation off during it).
        """
        try:
            phone = normalize_e164(request.phone)
        except InvalidPhone as error:
            raise InvalidPhoneNumber.error(str(error)) from error
        digest = _digest(request.message)

        ledger = self._reserve(request.idempotency_key, phone, digest)
        if ledger.state == SENT and ledger.provider_id:
            return self._result(
                request, phone, ledger.provider_id, "already sent", ledger.sent_at, deduplicated=True
            )
        if ledger.state == REJECTED:
            raise SmsRejected.error(f"Twilio already refused this SMS to {phone}")
        if ledger.state == SENDING and ledger.attempted:
            earlier = self._find_delivered(phone, digest, _utc(ledger.reserved_at))
            if earlier is not None:
                self._mark(request.idempotency_key, SENT, earlier)
                return self._result(request, phone, earlier, "already sent", None, deduplicated=True)

        before_send()
        with while_sending():
            try:
                message = self.client.messages.create(to=phone, from_=self.sender, body=request.message)
            except TwilioRestException as error:
                if error.status in (400, 401, 403, 404):
                    self._mark(request.idempotency_key, REJECTED, None)
                    advice = (
                        " (check TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN)"
                        if error.status in (401, 403)
                        else ""
                    )
                    raise SmsRejected.error(
                        f"Twilio refused the SMS to {phone}: {error.code} {error.msg}{advice}",
                        code=error.code,
                    ) from error
                raise TwilioUnavailable.error(
                    f"Twilio error {error.status} {error.code}: {error.msg}"
                ) from error
            assert message.sid is not None
            sent_at = self._mark(request.idempotency_key, SENT, message.sid)
            return self._result(request, phone, message.sid, str(message.status), sent_at, deduplicated=False)

    def _reserve(self, key: str, phone: str, digest: str) -> _Ledger:
        """The ledger row for `key`, created in its own committed transaction if there was none."""
        with session_scope(self.engine) as session:
            row = session.scalars(
                select(OutboundMessage).where(OutboundMessage.idempotency_key == key)
            ).one_or_none()
            if row is not None:
                return _Ledger(row.state, row.provider_id, row.reserved_at, row.sent_at, attempted=True)
        now = datetime.now(UTC)
        try:
            with session_scope(self.engine) as session:
                session.add(OutboundMessage(
                    idempotency_key=key, channel="sms", recipient=phone, body_sha256=digest, state=SENDING,
                    provider_id=None, reserved_at=now, sent_at=None,
                ))  # fmt: skip
        except IntegrityError:
            # Another attempt reserved it between our read and insert: treat it as an earlier attempt.
            return self._reserve(key, phone, digest)
        return _Ledger(SENDING, None, now, None, attempted=False)

    def _find_delivered(self, phone: str, digest: str, since: datetime) -> str | None:
        for message in self.client.messages.list(
            to=phone, date_sent_after=since - RECONCILE_MARGIN, limit=200
        ):
            if message.body is not None and _digest(message.body) == digest and message.sid:
                return str(message.sid)
        return None

    def _mark(self, key: str, state: str, provider_id: str | None) -> datetime:
        now = datetime.now(UTC)
        with session_scope(self.engine) as session:
            row = session.scalars(select(OutboundMessage).where(OutboundMessage.idempotency_key == key)).one()
            row.state, row.provider_id = state, provider_id
            row.sent_at = now if state == SENT else None
        return now

    @staticmethod
    def _result(
        request: SendSmsRequest,
        phone: str,
        sid: str,
        status: str,
        sent_at: datetime | None,
        *,
        deduplicated: bool,
    ) -> SmsAlertResult:
        return SmsAlertResult(
            phone=phone, priority=request.priority, message_sid=sid, provider_status=status,
            deduplicated=deduplicated, sent_at=_utc(sent_at) if sent_at else datetime.now(UTC),
        )  # fmt: skip


class _Ledger:
    def __init__(
        self,
        state: str,
        provider_id: str | None,
        reserved_at: datetime,
        sent_at: datetime | None,
        *,
        attempted: bool,
    ) -> None:
        self.state, self.provider_id, self.reserved_at, self.sent_at = (
            state,
            provider_id,
            reserved_at,
            sent_at,
        )
        # True when an earlier attempt made the reservation (and so may have reached Twilio).
        self.attempted = attempted
