"""Delivering a notification's messages, person by person, so one bad contact does not stop the others.

A failure for good (invalid number, unknown mailbox, malformed address) stays with its recipient in the
outcome list. A temporary one (provider throttling or down) is raised once every other message has been
tried, as a retryable NotificationIncomplete: the retry goes through the same list, and the ledger makes
every message already sent a no-op, so only the failed ones go out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError

from gaveurs.contracts.notifications import DeliveryOutcome, OutgoingMessage, SendEmailRequest, SendSmsRequest
from gaveurs.errors import NotificationIncomplete
from gaveurs.notify.mail import EmailSender
from gaveurs.notify.outcomes import overall_status, raise_if_undeliverable
from gaveurs.notify.privacy import mask_contacts, mask_email, mask_phone
from gaveurs.notify.rate_limit import WaitInterrupted
from gaveurs.notify.sms import SmsSender
from gaveurs.settings import Settings


def masked(message: OutgoingMessage) -> str | None:
    if message.address is None:
        return None
    return mask_phone(message.address) if message.channel == "sms" else mask_email(message.address)


def _outcome(message: OutgoingMessage, **fields: object) -> DeliveryOutcome:
    return DeliveryOutcome.model_validate(
        {
            "channel": message.channel, "recipient_ref": message.recipient_ref,
            "recipient_name": message.recipient_name, "role": message.role, "recipient": masked(message),
        } | fields
    )  # fmt: skip


@dataclass
class Outbox:
    sms: SmsSender
    email: EmailSender
    # Asked between messages and while waiting for a rate-limit token: the activity heartbeats there and
    # answers whether it was cancelled (a yes raises rate_limit.WaitInterrupted).
    should_stop: Callable[[], bool] | None = None
    max_wait_s: float | None = None
    # Just before each provider call, and around it (see SmsSender.send_once): the activity lets a cancel
    # through in the first and holds it off in the second, so a message is either not sent or recorded.
    before_send: Callable[[], None] = field(default=lambda: None)
    while_sending: Callable[[], AbstractContextManager[None]] = field(default=nullcontext)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        engine: Engine,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_wait_s: float | None = None,
        before_send: Callable[[], None] = lambda: None,
        while_sending: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> Outbox:
        return cls(
            SmsSender(settings, engine), EmailSender(settings, engine), should_stop, max_wait_s,
            before_send, while_sending,
        )  # fmt: skip

    def deliver(self, message: OutgoingMessage) -> DeliveryOutcome:
        """Send one message; a failure for good is a `failed` outcome, a temporary one raises."""
        if message.address is None:
            what = "phone number" if message.channel == "sms" else "e-mail address"
            return _outcome(message, status="failed", error_type="MissingContact", error=f"no {what} on file")
        stop, wait, before, during = self.should_stop, self.max_wait_s, self.before_send, self.while_sending
        try:
            if message.channel == "sms":
                sms = self.sms.send_once(
                    SendSmsRequest(
                        idempotency_key=message.idempotency_key, phone=message.address, message=message.text,
                        priority="high",
                    ),
                    should_stop=stop, max_wait_s=wait, before_send=before, while_sending=during,
                )  # fmt: skip
                return _outcome(
                    message, status="sent", provider_id=sms.message_sid, deduplicated=sms.deduplicated
                )
            email = self.email.send_once(
                SendEmailRequest(
                    idempotency_key=message.idempotency_key, to_email=message.address,
                    to_name=message.recipient_name, subject=message.subject or "", body_html=message.html or "",
                    body_text=message.text,
                ),
                should_stop=stop, max_wait_s=wait, before_send=before, while_sending=during,
            )  # fmt: skip
            return _outcome(
                message, status="sent", provider_id=email.message_id, deduplicated=email.deduplicated
            )
        except ApplicationError as error:
            if not error.non_retryable:
                raise
            return _outcome(
                message, status="failed", error_type=error.type, error=mask_contacts(error.message)
            )

    def deliver_all(self, messages: Sequence[OutgoingMessage]) -> list[DeliveryOutcome]:
        """Every message in order; see the module's notes on failures."""
        outcomes: list[DeliveryOutcome] = []
        temporary: list[tuple[OutgoingMessage, ApplicationError]] = []
        for message in messages:
            if self.should_stop is not None and self.should_stop():
                raise WaitInterrupted(f"stopped after {len(outcomes)} of {len(messages)} messages")
            try:
                outcomes.append(self.deliver(message))
            except ApplicationError as error:
                temporary.append((message, error))
        if temporary:
            delays = [e.next_retry_delay for _, e in temporary if e.next_retry_delay is not None]
            which = "; ".join(
                f"{m.channel} to {m.recipient_ref} ({e.type}: {mask_contacts(e.message)})"
                for m, e in temporary
            )
            raise NotificationIncomplete.error(
                f"{len(temporary)} of {len(messages)} messages hit a temporary failure, a retry sends only "
                f"them: {which}",
                next_retry_delay=max(delays, default=None),
            )
        return outcomes


__all__ = ["Outbox", "masked", "overall_status", "raise_if_undeliverable"]
