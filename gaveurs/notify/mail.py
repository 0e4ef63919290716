"""Sending an e-mail through SMTP exactly once per idempotency key: HTML body with a plain-text alternative.

The Message-ID is derived from the key, and the ledger (gaveurs.notify.ledger) holds a committed reservation
before the server is called. The SMTP conversation is run step by step so a failure says how far it got:
a refusal or a cut before the message was sent means "not delivered" (the next attempt just sends), a cut
after it was sent (the server may have queued it, we never heard the final reply) is ambiguous. Then the
next attempt asks the mailbox check — the loopback sink's listing in dev — whether that Message-ID arrived.
Without a check (a real provider) it sends again with the same Message-ID, which many receiving servers and
mail clients fold into one message.

Errors: 4xx replies, timeouts and unreachable servers are retryable; 5xx replies (unknown mailbox, policy)
are non-retryable EmailRejected with the server's words; bad credentials or TLS set-up are EmailRejected
with advice; a malformed address is InvalidEmailAddress before anything is sent.
Typed errors are raised `from None`: the library's own exception names the recipient in full, and Temporal
keeps an error's causes in the workflow history (and the API shows the innermost one).
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from typing import Protocol

import httpx
from sqlalchemy import Engine

from gaveurs.contracts.notifications import EmailNotificationResult, SendEmailRequest
from gaveurs.errors import EmailRejected, InvalidEmailAddress, SmtpUnavailable
from gaveurs.notify.email_address import InvalidEmail, normalize_email, smtp_form
from gaveurs.notify.html_text import html_to_text
from gaveurs.notify.ledger import REJECTED, SENT, Ledger, digest, utc
from gaveurs.notify.privacy import mask_contacts, mask_email
from gaveurs.notify.rate_limit import Bucket, take_token
from gaveurs.settings import Settings

log = logging.getLogger(__name__)
# Replies about the session (authentication or TLS required, credentials refused), not about the message.
SESSION_REFUSALS = {530, 534, 535, 538}


class MailboxCheck(Protocol):
    def was_received(self, message_id: str) -> bool:
        """Whether the provider holds a message with this Message-ID; raises when it cannot tell."""
        ...


class SinkMailbox:
    """Asks the loopback SMTP sink's HTTP listing (gaveurs.notify.smtp_sink) about a Message-ID."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self.base_url, self.timeout = base_url.rstrip("/"), timeout

    def was_received(self, message_id: str) -> bool:
        response = httpx.get(
            f"{self.base_url}/messages", params={"message_id": message_id}, timeout=self.timeout
        )
        response.raise_for_status()
        return bool(response.json()["messages"])


def message_id_for(key: str, sender: str) -> str:
    """A Message-ID that only this idempotency key produces: retries of one e-mail all carry it."""
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


class _Refused(Exception):
    """The server answered a step with an error code."""

    def __init__(self, step: str, code: int, reply: bytes | str) -> None:
        self.step, self.code = step, code
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
        self.reply = text.replace("\n", " ")
        super().__init__(f"{step}: {code} {self.reply}")


class _CutAfterSending(Exception):
    """The connection failed once the message was on its way: the server may have queued it."""


class EmailSender:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        bucket: Bucket | None = None,
        mailbox: MailboxCheck | None = None,
    ) -> None:
        self.settings, self.engine = settings, engine
        self.ledger = Ledger(engine, "email")
        self.bucket = bucket or Bucket.email(settings)
        self.mailbox = mailbox or (SinkMailbox(settings.smtp_sink_api) if settings.smtp_sink_api else None)

    def send_once(
        self,
        request: SendEmailRequest,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_wait_s: float | None = None,
        before_send: Callable[[], None] = lambda: None,
        while_sending: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> EmailNotificationResult:
        """Send the e-mail unless this idempotency key already did; see the module's notes on errors.

        The hooks are SmsSender.send_once's: `should_stop` / `max_wait_s` bound the wait for a rate-limit
        token, `before_send` is the last moment not sending is still possible, `while_sending` wraps the SMTP
        conversation and the ledger update, which must not be torn apart.
        """
        try:
            to = normalize_email(request.to_email)
        except InvalidEmail as error:
            raise InvalidEmailAddress.error(
                f"invalid e-mail address {mask_email(request.to_email)}: {error.reason}"
            ) from None
        key = request.idempotency_key
        message_id = message_id_for(key, self.settings.smtp_from)
        text = request.body_text or html_to_text(request.body_html)
        body = digest(request.subject, request.body_html, text)
        entry = self.ledger.reserve(key, to, body, message_id)
        if entry.state == SENT:
            return self._result(request, to, message_id, entry.sent_at, deduplicated=True)
        if entry.state == REJECTED:
            raise EmailRejected.error(f"the mail server already refused this e-mail: {entry.last_error}")
        if entry.ambiguous:
            if self._already_received(message_id):
                return self._result(request, to, message_id, self.ledger.mark_sent(key, message_id), True)
            if self.mailbox is None:
                log.warning("resending %s: no way to check an earlier attempt's delivery", message_id)
            if entry.body_sha256 != body:
                self.ledger.about_to_send(key, body)

        take_token(self.engine, self.bucket, should_stop=should_stop, max_wait_s=max_wait_s)
        payload = self._compose(request, to, text, message_id)
        before_send()
        with while_sending():
            self._hand_over(key, to, payload)
            return self._result(request, to, message_id, self.ledger.mark_sent(key, message_id), False)

    def _hand_over(self, key: str, to: str, payload: bytes) -> None:
        """One SMTP conversation, its failures turned into typed errors and the ledger updated to match."""
        try:
            self._converse(smtp_form(to), payload)
        except _Refused as refused:
            said = mask_contacts(f"{refused.code} {refused.reply} (at {refused.step})")
            if refused.code in SESSION_REFUSALS:
                self.ledger.mark_failed(key, said)  # our set-up, not the message: fixed, it may go
                raise EmailRejected.error(
                    f"the mail server refused our session ({said}); check SMTP_USER / SMTP_PASSWORD / "
                    "SMTP_STARTTLS"
                ) from None
            if refused.code >= 500:
                self.ledger.mark_rejected(key, said)
                raise EmailRejected.error(
                    f"the mail server refused the e-mail: {said}", code=refused.code
                ) from None
            self.ledger.mark_failed(key, said)
            raise SmtpUnavailable.error(f"the mail server deferred the e-mail: {said}") from None
        except _CutAfterSending as cut:
            raise SmtpUnavailable.error(
                f"connection lost after the e-mail was sent ({cut}); delivery is checked before any resend"
            ) from None
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError) as error:
            self.ledger.mark_failed(key, str(error))
            raise EmailRejected.error(
                f"the mail server refused our session ({error}); check SMTP_USER / SMTP_PASSWORD / SMTP_STARTTLS"
            ) from None
        except ssl.SSLCertVerificationError as error:
            self.ledger.mark_failed(key, str(error))
            raise EmailRejected.error(
                f"the mail server's certificate is not trusted ({error.verify_message}); check SMTP_TLS_CA_FILE"
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            # Unreachable, timed out or cut before the message was sent: certainly not delivered.
            self.ledger.mark_failed(key, f"{type(error).__name__}: {error}")
            raise SmtpUnavailable.error(
                f"cannot reach the mail server {self.settings.smtp_host}:{self.settings.smtp_port} "
                f"({type(error).__name__}: {error})"
            ) from None

    def _already_received(self, message_id: str) -> bool:
        if self.mailbox is None:
            return False
        try:
            return self.mailbox.was_received(message_id)
        except httpx.HTTPError as error:
            raise SmtpUnavailable.error(
                f"cannot tell whether an earlier attempt delivered {message_id} ({error}); not resending yet"
            ) from None

    def _compose(self, request: SendEmailRequest, to: str, text: str, message_id: str) -> bytes:
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = formataddr((request.to_name, to)) if request.to_name else to
        message["Subject"] = request.subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = message_id
        # RFC 3834: sent by a machine, so out-of-office robots do not answer it.
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text)
        message.add_alternative(request.body_html, subtype="html")
        return message.as_bytes(policy=SMTP)

    def _converse(self, recipient: str, payload: bytes) -> None:
        """One SMTP session, step by step, so each failure tells whether the message was sent."""
        settings = self.settings
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s)
        try:
            smtp.ehlo()
            if settings.smtp_starttls:
                cafile = str(settings.smtp_tls_ca_file) if settings.smtp_tls_ca_file else None
                smtp.starttls(context=ssl.create_default_context(cafile=cafile))
                smtp.ehlo()
            if settings.smtp_user:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                smtp.login(settings.smtp_user, password)
            code, reply = smtp.mail(settings.smtp_from)
            if code != 250:
                raise _Refused("MAIL FROM", code, reply)
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                raise _Refused("RCPT TO", code, reply)
            try:
                code, reply = smtp.data(payload)
            except smtplib.SMTPDataError as refused:  # DATA itself refused: nothing was sent
                raise _Refused("DATA", refused.smtp_code, refused.smtp_error) from refused
            except (OSError, smtplib.SMTPServerDisconnected) as error:
                raise _CutAfterSending(f"{type(error).__name__}: {error}") from error
            if code != 250:
                raise _Refused("end of DATA", code, reply)
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()  # the answer that matters came already (or never will)

    @staticmethod
    def _result(
        request: SendEmailRequest, to: str, message_id: str, sent_at: datetime | None, deduplicated: bool
    ) -> EmailNotificationResult:
        return EmailNotificationResult(
            to_email=mask_email(to), subject=request.subject, message_id=message_id,
            deduplicated=deduplicated, sent_at=utc(sent_at) if sent_at else datetime.now(UTC),
        )  # fmt: skip
