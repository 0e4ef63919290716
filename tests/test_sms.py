"""Exactly-once SMS through the real twilio client and a loopback server speaking Twilio's wire protocol."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from temporalio.exceptions import ApplicationError
from twilio.rest import Client

from gaveurs.contracts.notifications import SendSmsRequest
from gaveurs.db.models import OutboundMessage
from gaveurs.db.session import make_engine, session_scope
from gaveurs.notify.phone import InvalidPhone, normalize_e164
from gaveurs.notify.sink_listing import read_sms_log, received_sms
from gaveurs.notify.sms import SmsSender
from gaveurs.notify.twilio_sink import create_sink_app
from gaveurs.settings import Settings
from gaveurs.temporal_server import free_port
from tests.fixtures_notify import SID, TOKEN, MailSink, TwilioSink, notify_settings, serve, unique

PHONE = "+33612345678"


def sender(twilio: TwilioSink, mail: MailSink, database_url: str, **overrides: Any) -> SmsSender:
    return SmsSender(notify_settings(twilio, mail, **overrides), make_engine(database_url))


def request(key: str, phone: str = PHONE, message: str = "Alerte lot LL2601001") -> SendSmsRequest:
    return SendSmsRequest(idempotency_key=key, phone=phone, message=message, priority="high")


def ledger_row(database_url: str, key: str) -> OutboundMessage:
    with session_scope(make_engine(database_url)) as session:
        return session.scalars(select(OutboundMessage).where(OutboundMessage.idempotency_key == key)).one()


@pytest.mark.parametrize("raw", ["0612345678", "+3361234", "hello", "+1555", ""])
def test_phone_numbers_not_in_e164_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone, match=r"E\.164"):
        normalize_e164(raw)


def test_phone_numbers_are_normalised() -> None:
    assert normalize_e164("+33 6 12 34 56 78") == "+33612345678"


def test_sent_once_even_when_called_twice(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    sms = sender(twilio_sink, mail_sink, database_url)
    text = unique("twice?")
    first = sms.send_once(request("task-twice", message=text))
    second = sms.send_once(request("task-twice", message=text))
    assert not first.deduplicated and second.deduplicated
    assert first.message_sid == second.message_sid and first.message_sid.startswith("SM")
    assert first.phone == "+33 6•• •• •• 78"  # results are kept in workflow history: masked
    assert twilio_sink.bodies_to(PHONE).count(text) == 1


def test_an_attempt_that_died_after_twilio_accepted_is_reconciled(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    sms = sender(twilio_sink, mail_sink, database_url)
    text = unique("lost answer")
    twilio_sink.hook("drop-responses")
    with pytest.raises(ApplicationError) as lost:
        sms.send_once(request("task-lost-answer", message=text))
    assert lost.value.type == "TwilioUnavailable" and not lost.value.non_retryable
    retried = sms.send_once(request("task-lost-answer", message=text))
    # …and the retry finds the message Twilio already took instead of sending it again.
    assert retried.deduplicated
    assert twilio_sink.bodies_to(PHONE).count(text) == 1
    row = ledger_row(database_url, "task-lost-answer")
    assert (row.state, row.provider_id) == ("sent", retried.message_sid)


def test_twilio_timing_out_after_accepting_still_sends_once(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    sms = sender(twilio_sink, mail_sink, database_url, twilio_timeout_s=0.5)
    text = unique("slow answer")
    twilio_sink.hook("delay", seconds=2.0)  # recorded at once, answered after the client gave up
    with pytest.raises(ApplicationError) as slow:
        sms.send_once(request("task-slow", message=text))
    assert slow.value.type == "TwilioUnavailable" and not slow.value.non_retryable
    retried = sms.send_once(request("task-slow", message=text))
    assert retried.deduplicated
    assert twilio_sink.bodies_to(PHONE).count(text) == 1


def test_reconciliation_never_adopts_another_tasks_identical_message(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    """Task B's first attempt never reached Twilio; meanwhile task A sent the very same text. B's retry
    sees A's message in Twilio's list and must not take it for its own: it sends B's."""
    sms = sender(twilio_sink, mail_sink, database_url)
    text = unique("Alerte mortalité LL")
    twilio_sink.hook("fail", status=500)  # refused before recording: B's row stays `sending`
    with pytest.raises(ApplicationError):
        sms.send_once(request("task-b", message=text))
    a = sms.send_once(request("task-a", message=text))
    b = sms.send_once(request("task-b", message=text))
    assert not a.deduplicated and not b.deduplicated
    assert a.message_sid != b.message_sid
    assert twilio_sink.bodies_to(PHONE).count(text) == 2
    assert ledger_row(database_url, "task-b").provider_id == b.message_sid


def test_two_tasks_with_identical_text_both_lost_answers_get_one_message_each(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    sms = sender(twilio_sink, mail_sink, database_url)
    text = unique("Alerte ITM MT")
    twilio_sink.hook("drop-responses", params={"count": 2})
    for key in ("task-c", "task-d"):
        with pytest.raises(ApplicationError):
            sms.send_once(request(key, message=text))
    c, d = (sms.send_once(request(key, message=text)) for key in ("task-c", "task-d"))
    assert c.deduplicated and d.deduplicated and c.message_sid != d.message_sid
    assert twilio_sink.bodies_to(PHONE).count(text) == 2


def test_throttling_is_retried_after_twilios_retry_after(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    sms = sender(twilio_sink, mail_sink, database_url)
    text = unique("throttled")
    twilio_sink.hook("fail", status=429, retry_after=7)
    with pytest.raises(ApplicationError) as throttled:
        sms.send_once(request("task-429", message=text))
    error = throttled.value
    assert error.type == "TwilioUnavailable" and not error.non_retryable
    assert error.next_retry_delay == timedelta(seconds=7) and "20429" in error.message
    assert ledger_row(database_url, "task-429").state == "failed"  # Twilio did not take it
    assert not sms.send_once(request("task-429", message=text)).deduplicated
    assert twilio_sink.bodies_to(PHONE).count(text) == 1


def test_a_server_error_is_retried(twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str) -> None:
    sms = sender(twilio_sink, mail_sink, database_url)
    text = unique("server error")
    twilio_sink.hook("fail", status=500)
    with pytest.raises(ApplicationError) as failed:
        sms.send_once(request("task-500", message=text))
    assert failed.value.type == "TwilioUnavailable" and not failed.value.non_retryable
    assert "20500" in failed.value.message
    sms.send_once(request("task-500", message=text))
    assert twilio_sink.bodies_to(PHONE).count(text) == 1


def test_an_invalid_number_is_refused_for_good_with_twilios_words(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    sms = sender(twilio_sink, mail_sink, database_url)
    twilio_sink.hook(
        "fail", status=400, code=21211, message=f"The 'To' number {PHONE} is not a valid phone number."
    )
    for _attempt in range(2):  # the retry does not call Twilio again
        with pytest.raises(ApplicationError) as refused:
            sms.send_once(request("task-400", message="x"))
        assert refused.value.type == "SmsRejected" and refused.value.non_retryable
        assert "21211" in refused.value.message and "is not a valid phone number" in refused.value.message
        assert PHONE not in refused.value.message and "+33 6•• •• •• 78" in refused.value.message
    assert ledger_row(database_url, "task-400").state == "rejected"


def test_twilio_refusing_a_fixed_line_is_not_retried(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    landline = "+33145678901"  # a valid number, but Twilio cannot text a fixed line (error 21614)
    key = unique("task-landline")
    with pytest.raises(ApplicationError) as refused:
        sender(twilio_sink, mail_sink, database_url).send_once(request(key, phone=landline))
    assert refused.value.type == "SmsRejected" and refused.value.non_retryable
    assert "21614" in refused.value.message and landline not in refused.value.message
    assert twilio_sink.bodies_to(landline) == []


def test_invalid_phone_fails_without_calling_twilio(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    with pytest.raises(ApplicationError) as error:
        sender(twilio_sink, mail_sink, database_url).send_once(request("task-bad-phone", phone="0612345678"))
    assert error.value.type == "InvalidPhoneNumber" and error.value.non_retryable


def test_wrong_credentials_are_not_retried_but_do_not_burn_the_message(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    wrong = sender(twilio_sink, mail_sink, database_url, twilio_auth_token=SecretStr("wrong"))
    text = unique("credentials")
    with pytest.raises(ApplicationError) as error:
        wrong.send_once(request("task-bad-auth", message=text))
    assert error.value.type == "SmsRejected" and error.value.non_retryable
    assert "TWILIO_AUTH_TOKEN" in error.value.message
    # Once the operator fixes the token, the same task can still send its message.
    sender(twilio_sink, mail_sink, database_url).send_once(request("task-bad-auth", message=text))
    assert twilio_sink.bodies_to(PHONE).count(text) == 1


def test_provider_down_is_retryable(database_url: str) -> None:
    settings = Settings(twilio_api_base=f"http://127.0.0.1:{free_port()}", sms_per_second=0)
    sms = SmsSender(settings, make_engine(database_url))
    with pytest.raises(ApplicationError) as error:
        sms.send_once(request("task-down"))
    assert error.value.type == "TwilioUnavailable" and not error.value.non_retryable


def test_a_retry_with_new_text_keeps_the_message_already_sent(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    """A summary recomputed on a retry must not go out a second time."""
    sms = sender(twilio_sink, mail_sink, database_url)
    first_text, second_text = unique("first"), unique("second")
    first = sms.send_once(request("task-new-text", message=first_text))
    again = sms.send_once(request("task-new-text", message=second_text))
    assert again.deduplicated and again.message_sid == first.message_sid
    assert twilio_sink.bodies_to(PHONE).count(second_text) == 0


def test_a_lost_answer_is_found_even_when_the_retry_has_new_text(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    sms = sender(twilio_sink, mail_sink, database_url)
    first_text, second_text = unique("before"), unique("after")
    twilio_sink.hook("drop-responses")
    with pytest.raises(ApplicationError):
        sms.send_once(request("task-lost-new-text", message=first_text))
    assert sms.send_once(request("task-lost-new-text", message=second_text)).deduplicated
    assert twilio_sink.bodies_to(PHONE).count(first_text) == 1
    assert twilio_sink.bodies_to(PHONE).count(second_text) == 0


def test_one_key_for_two_recipients_is_a_caller_bug(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    sms = sender(twilio_sink, mail_sink, database_url)
    sms.send_once(request("task-reused", message=unique("first")))
    with pytest.raises(ApplicationError) as error:
        sms.send_once(request("task-reused", phone="+33698765432", message=unique("second")))
    assert error.value.type == "IdempotencyKeyReused" and error.value.non_retryable


def test_a_burst_of_sms_keeps_the_providers_rate(
    twilio_sink: TwilioSink, mail_sink: MailSink, database_url: str
) -> None:
    sms = sender(twilio_sink, mail_sink, database_url, sms_per_second=10.0, sms_burst=1)
    began = time.monotonic()
    for n in range(6):
        sms.send_once(request(unique(f"task-burst-{n}"), message=unique("burst")))
    assert time.monotonic() - began >= 0.5 - 0.02  # the first at once, then one per 100 ms


def test_the_sink_lists_what_it_received_over_http_and_in_its_log(tmp_path: Path) -> None:
    log = tmp_path / "sms.jsonl"
    url, server, thread = serve(create_sink_app(SID, TOKEN, log=log))
    try:
        client = Client(SID, TOKEN)
        client.api.base_url = url
        for n in range(3):
            client.messages.create(to=PHONE, from_="+33700000000", body=f"message {n}")
        listed, logged = received_sms(url, limit=2), read_sms_log(log, limit=2)
        assert [m.body for m in listed] == [m.body for m in logged] == ["message 2", "message 1"]
        assert listed[0].to == PHONE and listed[0].sid == logged[0].sid and listed[0].sender == "+33700000000"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
