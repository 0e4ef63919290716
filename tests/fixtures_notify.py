"""The loopback Twilio and SMTP sinks on real sockets, started once per test module.

Each test gets the running sink with its test hooks reset. The sinks outlive one test and see both database
backends, so tests tell their messages apart by unique text or recipient (see `unique`).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from twilio.rest import Client

from gaveurs.notify.smtp_sink import SinkState, SmtpSink, create_listing_app
from gaveurs.notify.twilio_sink import create_sink_app
from gaveurs.settings import Settings
from gaveurs.temporal_server import free_port

SID, TOKEN = "AC" + "1" * 32, "sink-token"


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}"


def serve(app: FastAPI) -> tuple[str, uvicorn.Server, threading.Thread]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return f"http://127.0.0.1:{port}", server, thread


@dataclass
class TwilioSink:
    url: str

    def client(self) -> Client:
        client = Client(SID, TOKEN)
        client.api.base_url = self.url
        return client

    def body_of(self, sid: str) -> str:
        return str(self.client().messages(sid).fetch().body)

    def bodies_to(self, phone: str) -> list[str]:
        return [m.body or "" for m in self.client().messages.list(to=phone)]

    def hook(self, name: str, *, params: dict[str, Any] | None = None, **body: Any) -> None:
        httpx.post(f"{self.url}/_sink/{name}", params=params, json=body or None).raise_for_status()


@dataclass
class MailSink:
    smtp_port: int
    url: str  # the HTTP listing

    def messages(self, **filters: str) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/messages", params={"limit": 1000, **filters})
        return list(response.raise_for_status().json()["messages"])

    def hook(self, name: str, *, params: dict[str, Any] | None = None, **body: Any) -> None:
        httpx.post(f"{self.url}/_sink/{name}", params=params, json=body or None).raise_for_status()


def notify_settings(twilio: TwilioSink, mail: MailSink, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "twilio_account_sid": SID, "twilio_auth_token": SecretStr(TOKEN), "twilio_api_base": twilio.url,
        "smtp_host": "127.0.0.1", "smtp_port": mail.smtp_port, "smtp_sink_api": mail.url,
        "smtp_from": "alertes@gaveurs.example.fr", "sms_per_second": 0, "emails_per_second": 0,
    }  # fmt: skip
    return Settings(**(values | overrides))


@pytest.fixture(scope="module")
def _twilio_server() -> Iterator[TwilioSink]:
    url, server, thread = serve(create_sink_app(SID, TOKEN))
    yield TwilioSink(url)
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def twilio_sink(_twilio_server: TwilioSink) -> TwilioSink:
    _twilio_server.hook("reset")
    return _twilio_server


@pytest.fixture(scope="module")
def _mail_server() -> Iterator[MailSink]:
    state = SinkState(log=None)
    smtp = SmtpSink(state, port=free_port())
    smtp.start()
    url, server, thread = serve(create_listing_app(state))
    yield MailSink(smtp.controller.port, url)
    server.should_exit = True
    thread.join(timeout=5)
    smtp.stop()


@pytest.fixture
def mail_sink(_mail_server: MailSink) -> MailSink:
    _mail_server.hook("reset")
    return _mail_server
