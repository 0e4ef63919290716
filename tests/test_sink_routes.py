"""`GET /api/sinks/sms|email`: what the loopback sinks received, behind the API token; 404 where messages go to
real providers (production), 503 when the loopback sink is down. The API in this process, on a socket, with
real sinks."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from api.main import create_app
from gaveurs.settings import Settings
from gaveurs.temporal_server import DevServer, free_port
from tests.fixtures_notify import MailSink, TwilioSink, notify_settings, serve, unique

TOKEN = "sinks-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def api_for(settings: Settings) -> Iterator[httpx.Client]:
    url, server, thread = serve(create_app(settings))
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def dev_api(
    temporal_server: DevServer, twilio_sink: TwilioSink, mail_sink: MailSink
) -> Iterator[httpx.Client]:
    settings = notify_settings(
        twilio_sink, mail_sink, api_token=SecretStr(TOKEN), temporal_address=temporal_server.address
    )
    yield from api_for(settings)


def production_like(temporal_server: DevServer, **overrides: Any) -> Iterator[httpx.Client]:
    settings = Settings(api_token=SecretStr(TOKEN), temporal_address=temporal_server.address, **overrides)
    yield from api_for(settings)


def test_the_listings_show_what_the_sinks_received(
    dev_api: httpx.Client, twilio_sink: TwilioSink, mail_sink: MailSink
) -> None:
    phone, text = "+33611223344", unique("liste")
    sid = twilio_sink.client().messages.create(to=phone, from_="+33700000000", body=text).sid
    address = f"{unique('claire')}@gaveurs.example.fr"
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"], mail["Message-ID"] = "a@b.fr", address, text, f"<{text}@b.fr>"
    mail.set_content("texte")
    mail.add_alternative("<p>texte</p>", subtype="html")
    with smtplib.SMTP("127.0.0.1", mail_sink.smtp_port) as smtp:
        smtp.send_message(mail)

    sms = dev_api.get("/api/sinks/sms", params={"to": phone}, headers=AUTH)
    assert sms.status_code == 200, sms.text
    assert sms.json()["sink"] == twilio_sink.url
    newest = sms.json()["messages"][0]
    assert (newest["sid"], newest["to"], newest["body"]) == (sid, phone, text) and newest["received_at"]

    emails = dev_api.get("/api/sinks/email", params={"to": address}, headers=AUTH)
    assert emails.status_code == 200, emails.text
    [received] = emails.json()["messages"]
    assert received["rcpt_to"] == [address] and received["subject"] == text
    assert received["text"] == "texte\n" and received["html"] == "<p>texte</p>\n"


def test_the_listings_need_the_token(dev_api: httpx.Client) -> None:
    for path in ("/api/sinks/sms", "/api/sinks/email"):
        assert dev_api.get(path).status_code == 401
        assert dev_api.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_no_listing_where_messages_go_to_real_providers(temporal_server: DevServer) -> None:
    for overrides in (
        {"twilio_api_base": "", "smtp_sink_api": ""},  # production: Twilio itself, no sink
        {"twilio_api_base": "https://twilio.example.com", "smtp_host": "smtp.example.com"},
    ):
        for api in production_like(temporal_server, **overrides):
            sms = api.get("/api/sinks/sms", headers=AUTH)
            assert sms.status_code == 404
            assert sms.json()["message"].startswith("no loopback SMS sink here: SMS go to Twilio itself")
            email = api.get("/api/sinks/email", headers=AUTH)
            assert email.status_code == 404
            assert email.json()["message"].startswith("no loopback e-mail sink here")


def test_a_loopback_sink_that_is_down_is_a_503(temporal_server: DevServer) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    for api in production_like(temporal_server, twilio_api_base=closed, smtp_sink_api=closed):
        for path in ("/api/sinks/sms", "/api/sinks/email"):
            down = api.get(path, headers=AUTH)
            assert down.status_code == 503
            assert f"sink at {closed} does not answer" in down.json()["message"]
