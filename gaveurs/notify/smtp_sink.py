"""A loopback mail server for dev and tests: real SMTP in, an HTTP listing of what arrived out.

`python -m gaveurs.notify.smtp_sink --port 8025 --http-port 8026 [--log mail.jsonl]
 [--tls-cert cert.pem --tls-key key.pem] [--auth user:password]`

It speaks SMTP through aiosmtpd (optionally STARTTLS and AUTH, to exercise those settings), keeps every
message (envelope, subject, text and HTML parts, Message-ID), and serves them at `GET /messages` on the HTTP
port — what the senders' reconciliation asks, and what the API shows a person trying the system. Test hooks
(HTTP, like the Twilio sink's): refuse the next messages with any SMTP reply, refuse a mailbox for good, or
accept a message and drop the connection before the final reply (queued, the client never hears it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import ssl
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SmtpServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from fastapi import FastAPI
from pydantic import BaseModel, Field

Phase = Literal["rcpt", "data"]


class Rejection(BaseModel):
    count: int = Field(default=1, ge=1)
    code: int = Field(default=550, ge=400, le=599)
    message: str = "5.1.1 Recipient address rejected: User unknown"
    phase: Phase = "rcpt"  # answer RCPT TO, or the end of DATA (after the message was sent)
    recipient: str | None = None  # only messages to this address; any recipient when absent


class SinkState:
    def __init__(self, log: Path | None) -> None:
        self.log = log
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.rejections: list[Rejection] = []
        self.unknown_mailboxes: set[str] = set()
        self.drop_after_data = 0

    def take_rejection(self, phase: Phase, recipients: list[str]) -> str | None:
        """The SMTP reply of the first pending rejection for this phase and these recipients, if any."""
        wanted = {r.lower() for r in recipients}
        with self.lock:
            for rejection in self.rejections:
                if rejection.phase == phase and (
                    rejection.recipient is None or rejection.recipient.lower() in wanted
                ):
                    rejection.count -= 1
                    if rejection.count == 0:
                        self.rejections.remove(rejection)
                    return f"{rejection.code} {rejection.message}"
        return None

    def record(self, message: dict[str, Any]) -> bool:
        """Keep the message; True when the connection must now be dropped instead of answered."""
        with self.lock:
            self.messages.append(message)
            drop = self.drop_after_data > 0
            self.drop_after_data -= 1 if drop else 0
            if self.log:
                with self.log.open("a", encoding="utf-8") as log:
                    log.write(json.dumps(message, ensure_ascii=False) + "\n")
        return drop


def _part(message: EmailMessage, subtype: str) -> str | None:
    body = message.get_body(preferencelist=(subtype,))
    return None if body is None else str(body.get_content()).replace("\r\n", "\n")


class SinkHandler:
    """aiosmtpd hooks: refuse what the test hooks ask for, record the rest."""

    def __init__(self, state: SinkState) -> None:
        self.state = state

    async def handle_RCPT(
        self, server: SmtpServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.state.take_rejection("rcpt", [address])
        if reply is not None:
            return reply
        if address.lower() in self.state.unknown_mailboxes:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SmtpServer, session: Session, envelope: Envelope) -> str:
        reply = self.state.take_rejection("data", list(envelope.rcpt_tos))
        if reply is not None:
            return reply
        raw = envelope.original_content or b""
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        queue_id = secrets.token_hex(5).upper()
        message = {
            "queue_id": queue_id, "message_id": parsed["Message-ID"], "mail_from": envelope.mail_from,
            "rcpt_to": list(envelope.rcpt_tos), "from": parsed["From"], "to": parsed["To"],
            "subject": parsed["Subject"], "text": _part(parsed, "plain"), "html": _part(parsed, "html"),
            "size": len(raw), "tls": session.ssl is not None,
            "authenticated_as": session.auth_data if isinstance(session.auth_data, str) else None,
            "received_at": datetime.now(UTC).isoformat(),
        }  # fmt: skip
        if self.state.record(message) and isinstance(server.transport, asyncio.Transport):
            server.transport.abort()  # queued, but the client never hears the final reply
        return f"250 2.0.0 Ok: queued as {queue_id}"


class _Credentials:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user.encode(), password.encode()

    def __call__(
        self, server: SmtpServer, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and secrets.compare_digest(data.login, self.user)
            and secrets.compare_digest(data.password, self.password)
        )
        return AuthResult(success=ok, handled=False, auth_data=self.user.decode() if ok else None)


def create_listing_app(state: SinkState) -> FastAPI:
    app = FastAPI(title="SMTP sink (loopback)")

    @app.get("/")
    async def root() -> dict[str, Any]:
        return {"service": "smtp-sink", "messages": len(state.messages)}

    @app.get("/messages")
    async def messages(
        to: str | None = None, message_id: str | None = None, limit: int = 50
    ) -> dict[str, list[dict[str, Any]]]:
        """Newest first; `to` matches any envelope recipient (case-insensitive)."""
        with state.lock:
            found = list(reversed(state.messages))
        if to is not None:
            found = [m for m in found if to.lower() in (r.lower() for r in m["rcpt_to"])]
        if message_id is not None:
            found = [m for m in found if m["message_id"] == message_id]
        return {"messages": found[: max(0, limit)]}

    @app.post("/_sink/reject")
    async def reject(rejection: Rejection) -> Rejection:
        """Test hook: the next `count` RCPT TO (or ends of DATA) get `code message` instead of 250."""
        with state.lock:
            state.rejections.append(rejection)
        return rejection

    @app.post("/_sink/unknown-mailbox")
    async def unknown_mailbox(address: str) -> dict[str, str]:
        """Test hook: every later RCPT TO this address gets 550 user unknown."""
        state.unknown_mailboxes.add(address.lower())
        return {"unknown_mailbox": address}

    @app.post("/_sink/reset")
    async def reset() -> dict[str, str]:
        """Test hook: forget pending rejections, unknown mailboxes and drops (messages stay)."""
        with state.lock:
            state.rejections.clear()
            state.unknown_mailboxes.clear()
            state.drop_after_data = 0
        return {"reset": "hooks"}

    @app.post("/_sink/drop-after-data")
    async def drop_after_data(count: int = 1) -> dict[str, int]:
        """Test hook: the next `count` messages are queued, then the connection drops before the reply."""
        state.drop_after_data = count
        return {"drop_after_data": count}

    return app


class SmtpSink:
    """The SMTP side, running on its own thread (aiosmtpd's Controller)."""

    def __init__(
        self,
        state: SinkState,
        *,
        host: str = "127.0.0.1",
        port: int = 8025,
        tls: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        options: dict[str, Any] = {}
        if tls is not None:
            options.update(tls_context=tls, require_starttls=True)
        if credentials is not None:
            options.update(authenticator=_Credentials(*credentials), auth_required=True)
        self.controller = Controller(SinkHandler(state), hostname=host, port=port, **options)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m gaveurs.notify.smtp_sink", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025, help="SMTP port")
    parser.add_argument("--http-port", type=int, default=8026, help="port of the HTTP listing and test hooks")
    parser.add_argument("--log", type=Path, help="append every received message to this JSON-lines file")
    parser.add_argument("--tls-cert", type=Path, help="offer (and require) STARTTLS with this certificate")
    parser.add_argument("--tls-key", type=Path)
    parser.add_argument("--auth", metavar="USER:PASSWORD", help="require AUTH with these credentials")
    args = parser.parse_args()
    state = SinkState(args.log)
    tls = server_tls(args.tls_cert, args.tls_key) if args.tls_cert and args.tls_key else None
    user, _, password = (args.auth or "").partition(":")
    credentials = (user, password) if args.auth else None
    smtp = SmtpSink(state, host=args.host, port=args.port, tls=tls, credentials=credentials)
    smtp.start()
    try:
        uvicorn.run(create_listing_app(state), host=args.host, port=args.http_port, log_level="warning")
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
