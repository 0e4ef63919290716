"""Exactly-once e-mail through smtplib and a loopback server that really speaks SMTP (aiosmtpd)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from temporalio.exceptions import ApplicationError

from gaveurs.contracts.notifications import SendEmailRequest
from gaveurs.db.models import OutboundMessage
from gaveurs.db.session import make_engine, session_scope
from gaveurs.notify.email_address import InvalidEmail, normalize_email
from gaveurs.notify.html_text import html_to_text
from gaveurs.notify.mail import EmailSender, message_id_for
from gaveurs.notify.smtp_sink import SinkState, SmtpSink, create_listing_app, server_tls
from gaveurs.settings import Settings
from gaveurs.temporal_server import free_port
from tests.fixtures_notify import MailSink, TwilioSink, notify_settings, serve, unique

HTML = (
    "<h1>Bilan du jour</h1><p>Bonjour Claire,</p>"
    "<table><tr><th>Lot</th><th>ITM</th></tr><tr><td>LL2601001</td><td>3,62</td></tr></table>"
)


class _Keys(dict[str, str]):
    """A fresh idempotency key per name and test: the sink outlives tests and sees both backends."""

    def __missing__(self, name: str) -> str:
        self[name] = unique(name)
        return self[name]


KEYS = _Keys()


@pytest.fixture(autouse=True)
def _fresh_keys() -> None:
    KEYS.clear()


def sender(twilio: TwilioSink, mail: MailSink, database_url: str, **overrides: Any) -> EmailSender:
    return EmailSender(notify_settings(twilio, mail, **overrides), make_engine(database_url))


def request(key: str, to: str, subject: str = "Bilan", html: str = HTML) -> SendEmailRequest:
    return SendEmailRequest(
        idempotency_key=key, to_email=to, to_name="Claire Labat", subject=subject, body_html=html
    )


def ledger_state(database_url: str, key: str) -> str:
    with session_scope(make_engine(database_url)) as session:
        return session.scalars(
            select(OutboundMessage.state).where(OutboundMessage.idempotency_key == key)
        ).one()


def test_addresses_are_checked_and_the_domain_lower_cased() -> None:
    assert normalize_email(" Claire.Labat@Gaveurs.Example.FR ") == "Claire.Labat@gaveurs.example.fr"
    for bad in (
        "claire.labat.example.fr",
        "claire@",
        "@example.fr",
        "claire@exa mple.fr",
        "clàire@example.fr",
    ):
        with pytest.raises(InvalidEmail):
            normalize_email(bad)


def test_the_plain_text_alternative_keeps_the_structure() -> None:
    assert html_to_text(HTML) == "Bilan du jour\n\nBonjour Claire,\n\nLot | ITM\nLL2601001 | 3,62\n"


def test_an_email_goes_once_with_html_and_text_parts(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    to = f"{unique('claire')}@Gaveurs.Example.FR"
    mail = sender(twilio_sink, mail_sink, database_url)
    first = mail.send_once(request(KEYS["mail-once"], to))
    second = mail.send_once(request(KEYS["mail-once"], to))
    assert not first.deduplicated and second.deduplicated
    assert (
        first.message_id
        == second.message_id
        == message_id_for(KEYS["mail-once"], "alertes@gaveurs.example.fr")
    )
    assert first.to_email.endswith("•••@gaveurs.example.fr")
    [received] = mail_sink.messages(message_id=first.message_id)
    assert received["rcpt_to"] == [to.split("@")[0] + "@gaveurs.example.fr"]
    assert received["subject"] == "Bilan" and received["to"].startswith("Claire Labat <")
    assert received["html"].strip() == HTML and "LL2601001 | 3,62" in received["text"]


def test_a_connection_dropped_before_the_final_reply_is_reconciled(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    to = f"{unique('drop')}@example.fr"
    mail = sender(twilio_sink, mail_sink, database_url)
    mail_sink.hook("drop-after-data", params={"count": 1})
    with pytest.raises(ApplicationError) as cut:
        mail.send_once(request(KEYS["mail-drop"], to))
    assert cut.value.type == "SmtpUnavailable" and not cut.value.non_retryable
    assert ledger_state(database_url, KEYS["mail-drop"]) == "sending"  # ambiguous: the server may have it
    retried = mail.send_once(request(KEYS["mail-drop"], to))
    assert retried.deduplicated
    assert len(mail_sink.messages(to=to)) == 1


def test_without_a_mailbox_check_the_resend_keeps_the_message_id(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    """A real provider cannot be asked: the copy carries the same Message-ID, so mail clients fold them."""
    to = f"{unique('nocheck')}@example.fr"
    mail = sender(twilio_sink, mail_sink, database_url, smtp_sink_api="")
    mail_sink.hook("drop-after-data", params={"count": 1})
    with pytest.raises(ApplicationError):
        mail.send_once(request(KEYS["mail-nocheck"], to))
    mail.send_once(request(KEYS["mail-nocheck"], to))
    copies = mail_sink.messages(to=to)
    assert len(copies) == 2 and copies[0]["message_id"] == copies[1]["message_id"]


def test_a_temporary_refusal_is_retried(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    to = f"{unique('greylisted')}@example.fr"
    mail = sender(twilio_sink, mail_sink, database_url)
    mail_sink.hook("reject", code=451, message="4.7.1 Greylisted, please try again later", recipient=to)
    with pytest.raises(ApplicationError) as deferred:
        mail.send_once(request(KEYS["mail-451"], to))
    assert deferred.value.type == "SmtpUnavailable" and not deferred.value.non_retryable
    assert "451 4.7.1 Greylisted" in deferred.value.message
    assert ledger_state(database_url, KEYS["mail-451"]) == "failed"
    assert not mail.send_once(request(KEYS["mail-451"], to)).deduplicated
    assert len(mail_sink.messages(to=to)) == 1


def test_an_unknown_mailbox_is_refused_for_good_with_the_servers_words(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    to = f"{unique('nobody')}@example.fr"
    mail = sender(twilio_sink, mail_sink, database_url)
    mail_sink.hook("unknown-mailbox", params={"address": to})
    for _attempt in range(2):
        with pytest.raises(ApplicationError) as refused:
            mail.send_once(request(KEYS["mail-550"], to))
        assert refused.value.type == "EmailRejected" and refused.value.non_retryable
        assert "550 5.1.1" in refused.value.message and "User unknown" in refused.value.message
        assert to not in refused.value.message  # masked
    assert ledger_state(database_url, KEYS["mail-550"]) == "rejected"


def test_a_message_refused_after_data_is_not_retried(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    to = f"{unique('spam')}@example.fr"
    mail_sink.hook("reject", code=554, message="5.7.1 Message refused as spam", phase="data", recipient=to)
    with pytest.raises(ApplicationError) as refused:
        sender(twilio_sink, mail_sink, database_url).send_once(request(KEYS["mail-554"], to))
    assert refused.value.type == "EmailRejected" and "554 5.7.1" in refused.value.message
    assert mail_sink.messages(to=to) == []


def test_an_invalid_address_fails_before_any_connection(database_url: str) -> None:
    mail = EmailSender(Settings(smtp_port=free_port(), emails_per_second=0), make_engine(database_url))
    with pytest.raises(ApplicationError) as error:
        mail.send_once(request(KEYS["mail-bad"], "claire.labat.example.fr"))
    assert error.value.type == "InvalidEmailAddress" and error.value.non_retryable


def test_an_unreachable_server_is_retryable(database_url: str) -> None:
    mail = EmailSender(Settings(smtp_port=free_port(), emails_per_second=0), make_engine(database_url))
    with pytest.raises(ApplicationError) as error:
        mail.send_once(request(KEYS["mail-down"], "claire@example.fr"))
    assert error.value.type == "SmtpUnavailable" and not error.value.non_retryable
    assert ledger_state(database_url, KEYS["mail-down"]) == "failed"


# ── STARTTLS and AUTH, against a sink that requires both ───────────────────────────────────────────────
class SecureSink:
    def __init__(self, port: int, url: str, cert: Path) -> None:
        self.port, self.url, self.cert = port, url, cert


@pytest.fixture(scope="module")
def secure_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureSink]:
    root = tmp_path_factory.mktemp("tls")
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    state = SinkState(log=None)
    smtp = SmtpSink(state, port=free_port(), tls=server_tls(cert, key), credentials=("gaveurs", "s3cret"))
    smtp.start()
    url, server, thread = serve(create_listing_app(state))
    yield SecureSink(smtp.controller.port, url, cert)
    server.should_exit = True
    thread.join(timeout=5)
    smtp.stop()


def secure_sender(sink: SecureSink, database_url: str, **overrides: Any) -> EmailSender:
    values: dict[str, Any] = {
        "smtp_port": sink.port, "smtp_sink_api": sink.url, "smtp_starttls": True, "smtp_tls_ca_file": sink.cert,
        "smtp_user": "gaveurs", "smtp_password": SecretStr("s3cret"), "emails_per_second": 0,
    }  # fmt: skip
    return EmailSender(Settings(**(values | overrides)), make_engine(database_url))


def received(sink: SecureSink, to: str) -> list[dict[str, Any]]:
    import httpx

    return list(httpx.get(f"{sink.url}/messages", params={"to": to}).json()["messages"])


def test_starttls_and_login_are_used_when_set(secure_sink: SecureSink, database_url: str) -> None:
    to = f"{unique('tls')}@example.fr"
    secure_sender(secure_sink, database_url).send_once(request(KEYS["mail-tls"], to))
    [message] = received(secure_sink, to)
    assert message["tls"] and message["authenticated_as"] == "gaveurs"


@pytest.mark.parametrize(
    ("overrides", "advice"),
    [
        ({"smtp_password": SecretStr("wrong")}, "SMTP_PASSWORD"),
        ({"smtp_starttls": False, "smtp_user": None}, "SMTP_STARTTLS"),
        ({"smtp_tls_ca_file": None}, "SMTP_TLS_CA_FILE"),
    ],
    ids=["wrong-password", "no-starttls", "untrusted-certificate"],
)
def test_a_broken_mail_set_up_fails_for_good_with_advice(
    secure_sink: SecureSink, database_url: str, overrides: dict[str, Any], advice: str
) -> None:
    to = f"{unique('setup')}@example.fr"
    with pytest.raises(ApplicationError) as refused:
        secure_sender(secure_sink, database_url, **overrides).send_once(request(KEYS["mail-setup"], to))
    assert refused.value.type == "EmailRejected" and refused.value.non_retryable
    assert advice in refused.value.message
    assert ledger_state(database_url, KEYS["mail-setup"]) == "failed"  # once the set-up is fixed it may go
    secure_sender(secure_sink, database_url).send_once(request(KEYS["mail-setup"], to))
    assert len(received(secure_sink, to)) == 1


def test_the_sink_log_and_listing_agree(tmp_path: Path) -> None:
    from gaveurs.notify.sink_listing import read_email_log, received_emails

    log = tmp_path / "mail.jsonl"
    state = SinkState(log=log)
    smtp = SmtpSink(state, port=free_port())
    smtp.start()
    url, server, thread = serve(create_listing_app(state))
    try:
        import smtplib

        for n in range(3):
            with smtplib.SMTP("127.0.0.1", smtp.controller.port, timeout=5) as client:
                client.sendmail("a@example.fr", [f"b{n}@example.fr"], f"Subject: n{n}\r\n\r\nbody {n}\r\n")
        deadline = time.monotonic() + 5
        while len(state.messages) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        listed, logged = received_emails(url, limit=2), read_email_log(log, limit=2)
        assert [m.subject for m in listed] == [m.subject for m in logged] == ["n2", "n1"]
        assert listed[0].rcpt_to == ["b2@example.fr"] and listed[0].text == "body 2\n"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        smtp.stop()
