"""The outbound-message ledger: what makes every SMS and e-mail go out once per idempotency key.

A row is reserved, and committed, *before* the provider is called. Each later step of one attempt moves it:

    sending ──provider accepted──▶ sent
       │  ╲──provider refused for now (4xx reply, 429, refused connection)──▶ failed ──next attempt──▶ sending
       ╲──provider refused for good──▶ rejected

A row still `sending` when the next attempt starts is the ambiguous case: the earlier attempt died somewhere
between the reservation and the answer, so the provider may hold the message. The senders then ask the
provider (reconciliation) before sending again. `provider_id` is unique, so two tasks can never both claim
one provider message, which is what reconciliation relies on when two tasks send identical text.

A key names one message to one recipient. Its text may change between attempts (a summary recomputed on a
retry): once sent, the earlier text stands; `body_sha256` always describes what was last handed over (or is
about to be), so reconciliation looks for that.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gaveurs.db.models import OutboundMessage
from gaveurs.db.session import session_scope
from gaveurs.errors import IdempotencyKeyReused

SENDING, SENT, FAILED, REJECTED = "sending", "sent", "failed", "rejected"


class ProviderIdTaken(Exception):
    """Another idempotency key already owns this provider message."""


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC


@dataclass(frozen=True)
class LedgerEntry:
    state: str
    provider_id: str | None
    reserved_at: datetime
    sent_at: datetime | None
    last_error: str | None
    body_sha256: str  # of the text last handed over (or about to be)
    # True when the row existed before this call: an earlier attempt made it.
    earlier_attempt: bool

    @property
    def ambiguous(self) -> bool:
        """An earlier attempt may have reached the provider without us hearing the answer."""
        return self.earlier_attempt and self.state == SENDING


class Ledger:
    def __init__(self, engine: Engine, channel: str) -> None:
        self.engine, self.channel = engine, channel

    def reserve(
        self, key: str, recipient: str, body_sha256: str, provider_id: str | None = None
    ) -> LedgerEntry:
        """The row for `key`, created (committed) if there was none; a `failed` row goes back to `sending`
        with the new text (nothing was handed over, so the new text is what goes).

        Raises IdempotencyKeyReused when the key already names a message to someone else.
        """
        with session_scope(self.engine) as session:
            row = session.scalars(
                select(OutboundMessage).where(OutboundMessage.idempotency_key == key).with_for_update()
            ).one_or_none()
            if row is not None:
                if (row.channel, row.recipient) != (self.channel, recipient):
                    raise IdempotencyKeyReused.error(
                        f"idempotency key {key!r} already names a {row.channel} message to someone else"
                    )
                entry = LedgerEntry(
                    row.state, row.provider_id, utc(row.reserved_at), row.sent_at and utc(row.sent_at),
                    row.last_error, row.body_sha256, earlier_attempt=True,
                )  # fmt: skip
                if row.state == FAILED:
                    row.state, row.body_sha256 = SENDING, body_sha256
                return entry
        now = datetime.now(UTC)
        try:
            with session_scope(self.engine) as session:
                session.add(OutboundMessage(
                    idempotency_key=key, channel=self.channel, recipient=recipient, body_sha256=body_sha256,
                    state=SENDING, provider_id=provider_id, reserved_at=now, sent_at=None, last_error=None,
                ))  # fmt: skip
        except IntegrityError:
            # Another attempt reserved it between our read and insert: it is an earlier attempt.
            return self.reserve(key, recipient, body_sha256, provider_id)
        return LedgerEntry(SENDING, provider_id, now, None, None, body_sha256, earlier_attempt=False)

    def mark_sent(self, key: str, provider_id: str) -> datetime:
        """Record the provider's acceptance; ProviderIdTaken if another key already owns `provider_id`."""
        now = datetime.now(UTC)
        try:
            with session_scope(self.engine) as session:
                row = self._row(session, key)
                row.state, row.provider_id, row.sent_at, row.last_error = SENT, provider_id, now, None
        except IntegrityError as error:
            raise ProviderIdTaken(provider_id) from error
        return now

    def about_to_send(self, key: str, body_sha256: str) -> None:
        """Record the text this attempt hands over, when it differs from the earlier attempt's."""
        with session_scope(self.engine) as session:
            self._row(session, key).body_sha256 = body_sha256

    def mark_failed(self, key: str, error: str) -> None:
        """The provider did not take the message (yet): the next attempt may send without asking."""
        self._set(key, FAILED, error)

    def mark_rejected(self, key: str, error: str) -> None:
        """The provider refused the message for good: no attempt will send it."""
        self._set(key, REJECTED, error)

    def claimed_provider_ids(self, provider_ids: list[str]) -> set[str]:
        """Those of `provider_ids` that some key of the ledger already owns."""
        if not provider_ids:
            return set()
        with session_scope(self.engine) as session:
            return set(
                session.scalars(
                    select(OutboundMessage.provider_id).where(OutboundMessage.provider_id.in_(provider_ids))
                )
            )

    def _set(self, key: str, state: str, error: str) -> None:
        with session_scope(self.engine) as session:
            row = self._row(session, key)
            row.state, row.last_error = state, error[:2000]

    @staticmethod
    def _row(session: Session, key: str) -> OutboundMessage:
        return session.scalars(select(OutboundMessage).where(OutboundMessage.idempotency_key == key)).one()
