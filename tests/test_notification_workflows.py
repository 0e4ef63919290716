"""The notification tasks on the running stack (SQLite and PostgreSQL), through the HTTP API, against the
loopback Twilio and SMTP sinks: what arrives, exactly once, retries and refusals, and where contacts may not go.

The sinks are shared by every test of a stack, so each test tells its messages apart by a unique text,
number or address, and resets the sinks' test hooks first.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from google.protobuf.json_format import MessageToJson
from google.protobuf.message import Message
from sqlalchemy import select
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Schedule,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleBackfill,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    ScheduleRange,
    ScheduleSpec,
)

from gaveurs.catalogue.notifications import DAILY_SUMMARY
from gaveurs.contracts.notifications import DailySummaryInput
from gaveurs.db.models import ConsumerFeedback, Gaveur, Lot, SiteManager
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm.generator import FarmData
from gaveurs.search_attributes import LOT_ID, SITE_CODE
from tests.fixtures_stack import Stack
from tests.waiting import status_of, wait_for_end, wait_until

PARIS = ZoneInfo("Europe/Paris")
HTML = "<h1>Alerte</h1><p>Mortalité élevée sur le lot <b>LL2601001</b> (18,2 %).</p>"


def unique_phone() -> str:
    """A French mobile number no other test uses (the sinks keep every message of the session)."""
    return f"+33612{uuid.uuid4().int % 10**6:06d}"


def unique_address(label: str) -> str:
    return f"{label}.{uuid.uuid4().hex[:8]}@gaveurs.example.fr"


@pytest.fixture
def sinks(stack: Stack) -> Iterator[Stack]:
    httpx.post(f"{stack.sink_url}/_sink/reset").raise_for_status()
    httpx.post(f"{stack.mail_url}/_sink/reset").raise_for_status()
    yield stack
    httpx.post(f"{stack.sink_url}/_sink/reset").raise_for_status()
    httpx.post(f"{stack.mail_url}/_sink/reset").raise_for_status()


def submit(api: httpx.Client, path: str, **request: Any) -> dict[str, Any]:
    response = api.post(f"/api/tasks/notifications/{path}", **request)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def run(api: httpx.Client, path: str, **request: Any) -> dict[str, Any]:
    """Submit through the named route and wait for the end; the status answer."""
    return wait_for_end(api, submit(api, path, **request)["task_id"])


def sms_to(api: httpx.Client, phone: str) -> list[dict[str, Any]]:
    response = api.get("/api/sinks/sms", params={"to": phone, "limit": 500})
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])


def emails_to(api: httpx.Client, address: str) -> list[dict[str, Any]]:
    response = api.get("/api/sinks/email", params={"to": address, "limit": 500})
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])


def hook(url: str, name: str, *, params: dict[str, Any] | None = None, **body: Any) -> None:
    httpx.post(f"{url}/_sink/{name}", params=params, json=body or None).raise_for_status()


def activity_attempts(stack: Stack, status: dict[str, Any]) -> list[tuple[int, timedelta, str]]:
    """(attempt that ended it, time from scheduled to that attempt's start, last failure) per activity."""

    async def fetch() -> list[tuple[int, timedelta, str]]:
        client = await stack.client()
        handle = client.get_workflow_handle(status["workflow_id"], run_id=status["run_id"])
        scheduled: dict[int, datetime] = {}
        found = []
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                scheduled[event.event_id] = event.event_time.ToDatetime(tzinfo=UTC)
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                started = event.activity_task_started_event_attributes
                waited = event.event_time.ToDatetime(tzinfo=UTC) - scheduled[started.scheduled_event_id]
                found.append((started.attempt, waited, started.last_failure.message))
        return found

    return asyncio.run(fetch())


def payloads_of(message: Message) -> Iterator[Payload]:
    """Every payload in a history protobuf (the history's JSON holds them in base64, encrypted)."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        if isinstance(value, Message):
            items: Any = [value]
        elif hasattr(value, "values"):  # a map
            items = value.values()
        else:  # a repeated field
            items = value
        for item in items:
            if isinstance(item, Message):
                yield from payloads_of(item)


def history_text(stack: Stack, status: dict[str, Any]) -> str:
    """A run's whole history as a person could read it: events as JSON, plus every payload decoded."""

    async def fetch() -> str:
        client = await stack.client()
        handle = client.get_workflow_handle(status["workflow_id"], run_id=status["run_id"])
        history = await handle.fetch_history()
        raw = [payload for event in history.events for payload in payloads_of(event)]
        codec = client.data_converter.payload_codec
        clear = await codec.decode(raw) if codec else raw
        texts = [payload.data.decode("utf-8", errors="replace") for payload in clear]
        assert texts
        return "\n".join([history.to_json(), *texts])

    return asyncio.run(fetch())


def failures_json(stack: Stack, status: dict[str, Any]) -> str:
    """The failures (with all their causes) of a run's failed activities and of the run itself."""

    async def fetch() -> str:
        client = await stack.client()
        handle = client.get_workflow_handle(status["workflow_id"], run_id=status["run_id"])
        failures = []
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
                failures.append(MessageToJson(event.activity_task_failed_event_attributes.failure))
            elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
                failures.append(MessageToJson(event.workflow_execution_failed_event_attributes.failure))
        assert failures
        return "\n".join(failures)

    return asyncio.run(fetch())


def farm_contacts(stack: Stack) -> list[str]:
    """Every phone number and address the farm database holds, in the forms they are stored in."""
    engine = make_engine(stack.database_url)
    with session_scope(engine) as session:
        found = [
            *session.scalars(select(SiteManager.telephone)),
            *session.scalars(select(SiteManager.email)),
            *session.scalars(select(Gaveur.telephone)),
            *session.scalars(select(Gaveur.email)),
            *session.scalars(select(ConsumerFeedback.email)),
        ]
    engine.dispose()
    return [c for c in found if c]


# ── each task, end to end ──────────────────────────────────────────────────────────────────────────────
def test_an_email_arrives_once_with_its_html_and_text_parts(api: httpx.Client, sinks: Stack) -> None:
    address = unique_address("Claire.Labat")
    body = submit(
        api, "email", json={"to_email": address.replace("gaveurs.example.fr", "Gaveurs.Example.FR"),
                            "subject": "Alerte LL2601001", "body_html": HTML},
    )  # fmt: skip
    assert body["message"] == "Email sending started" and body["to_email"] == address  # canonical form
    done = wait_for_end(api, body["task_id"])
    assert done["status"] == "SUCCESS", done
    result = done["result"]
    assert result["to_email"] == "C•••@gaveurs.example.fr" and not result["deduplicated"]
    [mail] = emails_to(api, address)
    assert mail["message_id"] == result["message_id"] and mail["subject"] == "Alerte LL2601001"
    assert "<b>LL2601001</b>" in mail["html"]
    assert "Mortalité élevée sur le lot LL2601001 (18,2 %)." in mail["text"]


def test_lot_completion_tells_the_gaveur_by_sms_and_email(api: httpx.Client, sinks: Stack) -> None:
    engine = make_engine(sinks.database_url)
    with session_scope(engine) as session:
        lot = session.get(Lot, 3472)
        assert lot is not None
        gaveur = session.get(Gaveur, lot.gaveur_id)
        assert gaveur is not None and gaveur.telephone and gaveur.email
        phone, address, site, code = gaveur.telephone, gaveur.email, lot.site_code, lot.code_lot
        feeding = session.scalars(select(Lot.id).where(Lot.statut == "en_gavage")).first()
    engine.dispose()
    before = len(sms_to(api, phone)), len(emails_to(api, address))

    body = submit(api, "lot-completion", params={"lot_id": 3472})
    assert body["lot_id"] == 3472 and body["workflow_id"] == "lot-completion-3472"
    done = wait_for_end(api, body["task_id"])
    assert done["status"] == "SUCCESS", done
    result = done["result"]
    assert result["status"] == "success" and result["sent"] == 2 and result["code_lot"] == code
    assert {d["channel"] for d in result["deliveries"]} == {"sms", "email"}
    [sms] = sms_to(api, phone)[: len(sms_to(api, phone)) - before[0]]
    assert code in sms["body"] and "ITM" in sms["body"]
    [mail] = emails_to(api, address)[: len(emails_to(api, address)) - before[1]]
    assert mail["subject"] == f"[Gaveurs] Bilan du lot {code}" and "Classement SQAL" in mail["text"]

    async def attributes() -> tuple[Any, Any]:
        client = await sinks.client()
        described = await client.get_workflow_handle(body["workflow_id"], run_id=body["run_id"]).describe()
        return described.typed_search_attributes.get(LOT_ID), described.typed_search_attributes.get(SITE_CODE)

    assert asyncio.run(attributes()) == (3472, site)

    # The gaveur's mailbox refused for good: the SMS still goes, the result says which failed and why.
    hook(sinks.mail_url, "unknown-mailbox", params={"address": address})
    partial = run(api, "lot-completion", params={"lot_id": 3472})
    assert partial["status"] == "SUCCESS", partial
    assert (partial["result"]["status"], partial["result"]["sent"], partial["result"]["failed"]) == (
        "partial",
        1,
        1,
    )
    [bounced] = [d for d in partial["result"]["deliveries"] if d["status"] == "failed"]
    assert bounced["channel"] == "email" and bounced["error_type"] == "EmailRejected"
    assert "550" in bounced["error"] and address not in bounced["error"]
    assert len(sms_to(api, phone)) == before[0] + 2

    assert feeding is not None
    refused = run(api, "lot-completion", params={"lot_id": feeding})
    assert refused["status"] == "FAILURE" and refused["error"].startswith("LotNotFinished: ")
    unknown = run(api, "lot-completion", params={"lot_id": 999_999})
    assert unknown["status"] == "FAILURE" and unknown["error"] == "LotNotFound: lot 999999 not found"


def test_the_daily_summary_fans_out_and_the_bad_address_fails_alone(
    api: httpx.Client, sinks: Stack, small_farm: FarmData
) -> None:
    bad = {f"manager-{i}" for i in small_farm.truths.manager_contact_faults.invalid_email_ids}
    done = run(api, "daily-summary", params={"day": "2026-10-05"})
    assert done["status"] == "SUCCESS", done
    result = done["result"]
    assert result["day"] == "2026-10-05" and [s["site_code"] for s in result["sites"]] == ["LL", "LS", "MT"]
    deliveries = [d for site in result["sites"] for d in site["deliveries"]]
    assert len(deliveries) == 9 and result["status"] == "partial"
    assert {d["recipient_ref"] for d in deliveries if d["status"] == "failed"} == bad
    assert all(d["error_type"] == "InvalidEmailAddress" for d in deliveries if d["status"] == "failed")
    assert result["sent"] == 8 and result["failed"] == 1
    assert sum(site["figures"]["sqal_echantillons"] for site in result["sites"]) > 0

    engine = make_engine(sinks.database_url)
    with session_scope(engine) as session:
        managers = {
            f"manager-{m.id}": (m.email or "", m.site_code) for m in session.scalars(select(SiteManager))
        }
    engine.dispose()
    for delivery in deliveries:
        if delivery["status"] == "sent":
            address, site = managers[delivery["recipient_ref"]]
            mails = [m for m in emails_to(api, address) if m["message_id"] == delivery["provider_id"]]
            assert [m["subject"] for m in mails] == [f"[Gaveurs] Site {site} : bilan du 05/10/2026"]


def test_a_daily_summary_without_a_day_is_todays_in_paris(api: httpx.Client, sinks: Stack) -> None:
    before = datetime.now(PARIS).date()
    done = run(api, "daily-summary")
    assert done["status"] == "SUCCESS", done
    assert done["result"]["day"] in {before.isoformat(), datetime.now(PARIS).date().isoformat()}
    assert done["result"]["sent"] == 8  # the farm's data end before today: zeros, but the e-mails go


def test_a_scheduled_daily_summary_reports_on_the_day_it_was_scheduled_for(
    api: httpx.Client, sinks: Stack
) -> None:
    """A backfilled run (as after an outage) summarises the day it stands for, not the day it runs."""
    schedule_id = f"daily-summary-test-{uuid.uuid4().hex[:8]}"
    # Fires at 18:00 Paris on 2026-10-05 only (a past day): nothing but the backfill starts it.
    once = ScheduleCalendarSpec(
        second=(ScheduleRange(0),), minute=(ScheduleRange(0),), hour=(ScheduleRange(18),),
        day_of_month=(ScheduleRange(5),), month=(ScheduleRange(10),), year=(ScheduleRange(2026),),
    )  # fmt: skip

    async def backfilled() -> str:
        client = await sinks.client()
        handle = await client.create_schedule(
            schedule_id,
            Schedule(
                action=ScheduleActionStartWorkflow(
                    DAILY_SUMMARY.name, {}, id=schedule_id, task_queue=DAILY_SUMMARY.queue.value,
                    typed_search_attributes=DAILY_SUMMARY.search_attributes(DailySummaryInput()),
                ),
                spec=ScheduleSpec(calendars=[once], time_zone_name="Europe/Paris"),
            ),
        )  # fmt: skip
        try:
            start = datetime(2026, 10, 5, 15, 30, tzinfo=UTC)
            await handle.backfill(
                ScheduleBackfill(start_at=start, end_at=start + timedelta(hours=1), overlap=ScheduleOverlapPolicy.ALLOW_ALL)
            )  # fmt: skip
            for _ in range(200):
                actions = (await handle.describe()).info.recent_actions
                if actions:
                    started = actions[0].action
                    assert isinstance(started, ScheduleActionExecutionStartWorkflow)
                    return started.workflow_id
                await asyncio.sleep(0.1)
            raise AssertionError("the backfill started nothing")
        finally:
            await handle.delete()

    workflow_id = asyncio.run(backfilled())
    done = wait_for_end(api, workflow_id)
    assert done["status"] == "SUCCESS", done
    assert done["result"]["day"] == "2026-10-05" and done["result"]["sent"] == 8


def test_feedback_acknowledgment_thanks_or_says_why_not(api: httpx.Client, sinks: Stack) -> None:
    engine = make_engine(sinks.database_url)
    with session_scope(engine) as session:
        with_email, refused_mailbox = session.scalars(
            select(ConsumerFeedback).where(ConsumerFeedback.email.like("%@%.%")).order_by(ConsumerFeedback.id)
        ).all()[:2]
        without = session.scalars(select(ConsumerFeedback).where(ConsumerFeedback.email.is_(None))).first()
    engine.dispose()
    assert with_email is not None and with_email.email and without is not None
    before = len(emails_to(api, with_email.email))

    done = run(api, "feedback-ack", params={"feedback_id": with_email.id})
    assert done["status"] == "SUCCESS", done
    result = done["result"]
    assert result["status"] == "success" and result["lot_id"] == with_email.lot_id
    assert with_email.email not in json.dumps(result)
    mails = emails_to(api, with_email.email)
    assert len(mails) == before + 1 and mails[0]["message_id"] == result["delivery"]["provider_id"]
    assert f"({with_email.rating}/5)" in mails[0]["text"]

    skipped = run(api, "feedback-ack", params={"feedback_id": without.id})
    assert skipped["status"] == "SUCCESS", skipped
    assert skipped["result"]["status"] == "skipped"
    assert skipped["result"]["reason"] == "the consumer left no e-mail address"
    assert refused_mailbox.email and refused_mailbox.email != with_email.email
    hook(sinks.mail_url, "unknown-mailbox", params={"address": refused_mailbox.email})
    bounced = run(api, "feedback-ack", params={"feedback_id": refused_mailbox.id})
    assert bounced["status"] == "FAILURE", bounced  # nobody else to thank: the task itself failed
    assert bounced["error"].startswith("EmailRejected: the mail server refused the e-mail: 550")
    assert refused_mailbox.email not in bounced["error"]
    unknown = run(api, "feedback-ack", params={"feedback_id": 10**8})
    assert unknown["status"] == "FAILURE" and unknown["error"].startswith("FeedbackNotFound: ")


# ── exactly once ───────────────────────────────────────────────────────────────────────────────────────
def test_an_sms_whose_answer_was_lost_is_not_sent_again(api: httpx.Client, sinks: Stack) -> None:
    phone, text = unique_phone(), f"réponse perdue {uuid.uuid4().hex[:6]}"
    hook(sinks.sink_url, "drop-responses", params={"count": 1})  # Twilio takes it, the answer never comes
    done = run(api, "sms", json={"phone": phone, "message": text, "priority": "high"})
    assert done["status"] == "SUCCESS", done
    assert done["result"]["deduplicated"] is True  # the retry found the message instead of resending it
    assert [m["body"] for m in sms_to(api, phone)] == [text]
    assert [m["sid"] for m in sms_to(api, phone)] == [done["result"]["message_sid"]]
    [(attempt, _, failure)] = activity_attempts(sinks, done)
    assert attempt == 2 and "503" in failure


def test_an_email_whose_final_reply_was_lost_is_not_sent_again(api: httpx.Client, sinks: Stack) -> None:
    address = unique_address("perdu")
    hook(sinks.mail_url, "drop-after-data", params={"count": 1})  # queued, then the connection drops
    done = run(api, "email", json={"to_email": address, "subject": "Une fois", "body_html": HTML})
    assert done["status"] == "SUCCESS", done
    assert done["result"]["deduplicated"] is True
    assert [m["message_id"] for m in emails_to(api, address)] == [done["result"]["message_id"]]
    [(attempt, _, failure)] = activity_attempts(sinks, done)
    assert attempt == 2 and "connection lost after the e-mail was sent" in failure


# ── retries and refusals ───────────────────────────────────────────────────────────────────────────────
def test_throttling_and_server_errors_are_retried_after_a_pause(api: httpx.Client, sinks: Stack) -> None:
    phone = unique_phone()
    hook(sinks.sink_url, "fail", status=429, count=2, retry_after=1)
    throttled = run(api, "sms", json={"phone": phone, "message": "après 429", "priority": "high"})
    assert throttled["status"] == "SUCCESS", throttled
    [(attempt, waited, failure)] = activity_attempts(sinks, throttled)
    # Twilio's Retry-After (1 s) is honoured before each of the two retries.
    assert attempt == 3 and waited >= timedelta(seconds=2) and "429" in failure

    hook(sinks.sink_url, "fail", status=500, count=1)
    failed_once = run(api, "sms", json={"phone": phone, "message": "après 500", "priority": "high"})
    assert failed_once["status"] == "SUCCESS", failed_once
    [(attempt, waited, failure)] = activity_attempts(sinks, failed_once)
    assert attempt == 2 and waited >= timedelta(seconds=2) and "500" in failure  # the SEND backoff: 2 s
    assert sorted(m["body"] for m in sms_to(api, phone)) == ["après 429", "après 500"]

    address = unique_address("greylist")
    hook(sinks.mail_url, "reject", code=451, message="4.7.1 Try again later", recipient=address)
    deferred = run(api, "email", json={"to_email": address, "subject": "Après 451", "body_html": HTML})
    assert deferred["status"] == "SUCCESS", deferred
    [(attempt, waited, failure)] = activity_attempts(sinks, deferred)
    assert attempt == 2 and waited >= timedelta(seconds=2) and "451" in failure
    assert len(emails_to(api, address)) == 1


def test_a_refusal_for_good_fails_at_once_with_the_providers_words(api: httpx.Client, sinks: Stack) -> None:
    landline = "+33145678901"  # valid E.164, but Twilio cannot text a fixed line
    refused = run(api, "sms", json={"phone": landline, "message": "fixe", "priority": "high"})
    assert refused["status"] == "FAILURE", refused
    assert refused["error"].startswith("SmsRejected: Twilio refused the SMS: 400 21614")
    assert "is not a valid mobile number" in refused["error"] and landline not in refused["error"]
    assert [attempt for attempt, _, _ in activity_attempts(sinks, refused)] == [1]
    assert landline not in failures_json(sinks, refused)  # nor in the failure's causes kept in history

    address = unique_address("parti")
    hook(sinks.mail_url, "unknown-mailbox", params={"address": address})
    bounced = run(api, "email", json={"to_email": address, "subject": "Inconnu", "body_html": HTML})
    assert bounced["status"] == "FAILURE", bounced
    assert bounced["error"].startswith("EmailRejected: the mail server refused the e-mail: 550")
    assert "User unknown" in bounced["error"] and address not in bounced["error"]
    assert [attempt for attempt, _, _ in activity_attempts(sinks, bounced)] == [1]
    assert address not in failures_json(sinks, bounced)
    assert emails_to(api, address) == []


@pytest.mark.parametrize(
    ("path", "request_body", "field"),
    [
        ("sms", {"phone": "0612345678", "message": "x"}, "phone"),
        ("sms", {"phone": "+33 6 12", "message": "x"}, "phone"),
        ("email", {"to_email": "claire.labat@", "subject": "s", "body_html": "<p>x</p>"}, "to_email"),
        ("email", {"to_email": "a@b.fr", "subject": "deux\nlignes", "body_html": "<p>x</p>"}, "subject"),
    ],
)
def test_a_malformed_contact_is_refused_at_the_api(
    api: httpx.Client, stack: Stack, path: str, request_body: dict[str, str], field: str
) -> None:
    task = {"sms": "send_sms_alert", "email": "send_email_notification"}[path]
    for response in (
        api.post(f"/api/tasks/notifications/{path}", json=request_body),
        api.post(f"/api/tasks/run/{task}", json=request_body),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["message"].split(":")[0].endswith(field), response.json()
    for query in ({"lot_id": 0}, {"lot_id": "abc"}):
        assert api.post("/api/tasks/notifications/lot-completion", params=query).status_code == 422
    assert api.post("/api/tasks/notifications/feedback-ack", params={"feedback_id": -1}).status_code == 422
    assert api.post("/api/tasks/notifications/daily-summary", params={"day": "hier"}).status_code == 422


# ── where contacts may not go ──────────────────────────────────────────────────────────────────────────
def test_no_contact_in_workflow_ids_search_attributes_or_memo(api: httpx.Client, sinks: Stack) -> None:
    phone, address = unique_phone(), unique_address("prive")
    started = [
        submit(api, "sms", json={"phone": phone, "message": "x"}),
        submit(api, "email", json={"to_email": address, "subject": "x", "body_html": "<p>x</p>"}),
        submit(api, "lot-completion", params={"lot_id": 3472}),
        submit(api, "daily-summary", params={"day": "2026-10-05"}),
        submit(api, "feedback-ack", params={"feedback_id": 2}),
    ]
    ended = [wait_for_end(api, body["task_id"]) for body in started]
    assert [s["status"] for s in ended] == ["SUCCESS"] * 5, ended
    contacts = [phone, phone.removeprefix("+"), phone[3:], address, *farm_contacts(sinks)]

    async def read_back() -> list[str]:
        client = await sinks.client()
        shown = []
        for body in started:
            described = await client.get_workflow_handle(
                body["workflow_id"], run_id=body["run_id"]
            ).describe()
            attributes = [str(pair.value) for pair in described.typed_search_attributes]
            memo = json.dumps(await described.memo(), default=str)
            shown.append(" ".join([described.id, *attributes, memo]))
        return shown

    for shown in asyncio.run(read_back()):
        leaked = [contact for contact in contacts if contact in shown]
        assert leaked == [], shown
    # The tasks that find their recipients in the database carry none of their contacts anywhere in their
    # history: steps pass recipient references, and results mask what they mention.
    assert phone in history_text(sinks, ended[0])  # the SMS task's input holds it: the check can see it
    for status in ended[2:]:
        history = history_text(sinks, status)
        assert [contact for contact in contacts if contact in history] == [], status["task_name"]


def test_the_sink_listings_show_what_a_person_sent(api: httpx.Client, sinks: Stack) -> None:
    phone, text = unique_phone(), f"visible {uuid.uuid4().hex[:6]}"
    done = run(api, "sms", json={"phone": phone, "message": text})
    assert done["status"] == "SUCCESS", done
    listed = api.get("/api/sinks/sms", params={"to": phone}).json()
    assert listed["sink"] == sinks.sink_url
    [message] = listed["messages"]
    assert (message["to"], message["body"], message["sid"]) == (phone, text, done["result"]["message_sid"])
    assert message["received_at"] is not None
    newest = api.get("/api/sinks/email", params={"limit": 1}).json()
    assert newest["sink"] == sinks.mail_url and len(newest["messages"]) <= 1


def status_or_none(api: httpx.Client, task_id: str) -> dict[str, Any] | None:
    body = status_of(api, task_id)
    return body if body["status"] == "SUCCESS" else None


def test_an_idempotency_key_never_sends_twice(api: httpx.Client, sinks: Stack) -> None:
    phone, key = unique_phone(), f"client-{uuid.uuid4().hex}"
    request = {"json": {"phone": phone, "message": "une seule fois"}, "headers": {"Idempotency-Key": key}}
    first = submit(api, "sms", **request)
    wait_until(lambda: status_or_none(api, first["task_id"]), timeout=60, what="the SMS to go")
    again = submit(api, "sms", **request)
    assert again["task_id"] == first["task_id"] and again["existing"]
    assert len(sms_to(api, phone)) == 1
