"""Exactly-once SMS through the real twilio client and a loopback server speaking Twilio's wire protocol."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from sqlalchemy import select
from temporalio.exceptions import ApplicationError
from twilio.rest import Client

from gaveurs.contracts.notifications import SendSmsRequest
from gaveurs.db.models import OutboundMessage
from gaveurs.db.session import make_engine, session_scope
from gaveurs.notify.phone import InvalidPhone, normalize_e164
from gaveurs.notify.sms import SmsSender
from gaveurs.notify.twilio_sink import create_sink_app
from gaveurs.settings import Settings
from gaveurs.temporal_server import free_port

SID, TOKEN = "AC" + "1" * 32, "sink-token"


@dataclass
class Sink:
    url: str

    def client(self) -> Client:
        client = Client(SID, TOKEN)
        client.api.base_url = self.url
        return client

    def messages_to(self, phone: str) -> list[str]:
        return [m.body or "" for m in self.client().messages.list(to=phone)]


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_sink_app(SID, TOKEN), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    while not server.started:
        time.sleep(0.05)
    yield Sink(url)
    server.should_exit = True
    thread.join(timeout=5)


def sender(sink: Sink, database_url: str, token: str = TOKEN) -> SmsSender:
    settings = Settings(twilio_account_sid=SID, twilio_auth_token=SecretStr(token), twilio_api_base=sink.url)
    return SmsSender(settings, make_engine(database_url))


def request(key: str, phone: str = "+33612345678", message: str = "Alerte lot LL2601001") -> SendSmsRequest:
    return SendSmsRequest(idempotency_key=key, phone=phone, message=message, priority="high")


@pytest.mark.parametrize("raw", ["0612345678", "+3361234", "hello", "+1555", ""])
def test_phone_numbers_not_in_e164_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone, match=r"E\.164"):
        normalize_e164(raw)


def test_phone_numbers_are_normalised() -> None:
    assert normalize_e164("+33 6 12 34 56 78") == "+33612345678"


def backend(database_url: str) -> str:
    """The sink outlives one test: messages carry the backend so each run counts only its own."""
    return database_url.split(":", 1)[0]


def test_sent_once_even_when_called_twice(sink: Sink, database_url: str) -> None:
    sms = sender(sink, database_url)
    text = f"twice? ({backend(database_url)})"
    first = sms.send_once(request("task-twice", message=text))
    second = sms.send_once(request("task-twice", message=text))
    assert not first.deduplicated and second.deduplicated
    assert first.message_sid == second.message_sid and first.message_sid.startswith("SM")
    assert sink.messages_to("+33612345678").count(text) == 1


def test_an_attempt_that_died_after_twilio_accepted_is_reconciled(sink: Sink, database_url: str) -> None:
    sms = sender(sink, database_url)
    text = f"lost answer ({backend(database_url)})"
    httpx.post(f"{sink.url}/_sink/drop-responses", params={"count": 1})
    with pytest.raises(ApplicationError) as lost:
        sms.send_once(request("task-lost-answer", message=text))
    assert not lost.value.non_retryable  # a 503 is worth retrying…
    retried = sms.send_once(request("task-lost-answer", message=text))
    # …and the retry finds the message Twilio already took instead of sending it again.
    assert retried.deduplicated
    assert sink.messages_to("+33612345678").count(text) == 1
    with session_scope(make_engine(database_url)) as session:
        row = session.scalars(
            select(OutboundMessage).where(OutboundMessage.idempotency_key == "task-lost-answer")
        ).one()
        assert (row.state, row.provider_id) == ("sent", retried.message_sid)


def test_twilio_refusing_the_number_is_not_retried(sink: Sink, database_url: str) -> None:
    landline = "+33145678901"  # a valid number, but Twilio cannot text a fixed line (error 21614)
    with pytest.raises(ApplicationError) as refused:
        sender(sink, database_url).send_once(
            request(f"task-landline-{backend(database_url)}", phone=landline)
        )
    assert refused.value.type == "SmsRejected" and refused.value.non_retryable
    assert "21614" in refused.value.message
    assert sink.messages_to(landline) == []


def test_invalid_phone_fails_without_calling_twilio(sink: Sink, database_url: str) -> None:
    with pytest.raises(ApplicationError) as error:
        sender(sink, database_url).send_once(request("task-bad-phone", phone="0612345678"))
    assert error.value.type == "InvalidPhoneNumber" and error.value.non_retryable


def test_wrong_credentials_are_not_retried(sink: Sink, database_url: str) -> None:
    with pytest.raises(ApplicationError) as error:
        sender(sink, database_url, token="wrong").send_once(request("task-bad-auth"))
    assert error.value.type == "SmsRejected" and error.value.non_retryable
    assert "TWILIO_AUTH_TOKEN" in error.value.message


def test_provider_down_is_retryable(database_url: str) -> None:
    settings = Settings(twilio_api_base=f"http://127.0.0.1:{free_port()}")
    sms = SmsSender(settings, make_engine(database_url))
    with pytest.raises(Exception) as error:
        sms.send_once(request("task-down"))
    assert not (isinstance(error.value, ApplicationError) and error.value.non_retryable)
