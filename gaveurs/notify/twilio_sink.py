"""A loopback server speaking the part of Twilio's REST API that sending SMS uses (Messages resource).

The real `twilio` client talks to it in dev and tests, so the whole HTTP exchange — basic auth, form-encoded
create, JSON resources, error codes, paging — is exercised without reaching the paid service.

`python -m gaveurs.notify.twilio_sink --port 8020 [--log sent.jsonl]`

Test hooks under `/_sink/` (not part of Twilio's API): answer the next requests with an error (429 with
Retry-After, 500, 400 with Twilio's JSON and codes), take a message then delay the answer or drop it, and
`GET /_sink/messages` lists every message received, newest first, for a person trying the system.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import secrets
import threading
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import phonenumbers
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from gaveurs.notify.phone import InvalidPhone, normalize_e164

API = "/2010-04-01/Accounts/{account}/Messages"


# Twilio's own codes and words for the errors tests ask the sink to play.
DEFAULT_FAILURES = {
    400: (21211, "The 'To' number is not a valid phone number."),
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}


class Failure(BaseModel):
    """Test hook body: the next `count` create requests get this error and are not recorded."""

    count: int = Field(default=1, ge=1)
    status: int = Field(default=500, ge=400, le=599)
    code: int | None = None  # Twilio's error code; a usual one for the status when absent
    message: str | None = None
    retry_after: int | None = Field(default=None, ge=0, description="seconds, sent as Retry-After")


class Delay(BaseModel):
    """Test hook body: the next `count` create requests are recorded, then answered after `seconds`."""

    count: int = Field(default=1, ge=1)
    seconds: float = Field(gt=0, le=300)


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status_code=status,
        headers=headers,
    )


def _as_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SinkState:
    def __init__(self, account_sid: str, auth_token: str, log: Path | None) -> None:
        self.account_sid, self.auth_token, self.log = account_sid, auth_token, log
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        # Accept the next N messages but drop the response: Twilio sent it, the caller never heard back.
        self.drop_responses = 0
        self.failures: list[Failure] = []
        self.delays: list[Delay] = []

    def take_failure(self) -> Failure | None:
        with self.lock:
            if not self.failures:
                return None
            failure = self.failures[0]
            failure.count -= 1
            if failure.count == 0:
                self.failures.pop(0)
            return failure

    def take_delay(self) -> float:
        with self.lock:
            if not self.delays:
                return 0.0
            delay = self.delays[0]
            delay.count -= 1
            if delay.count == 0:
                self.delays.pop(0)
            return delay.seconds


def create_sink_app(account_sid: str, auth_token: str, *, log: Path | None = None) -> FastAPI:
    state = SinkState(account_sid, auth_token, log)
    app = FastAPI(title="Twilio Messages API (loopback)")
    app.state.sink = state

    def authorized(request: Request, account: str) -> bool:
        header = request.headers.get("authorization", "")
        expected = base64.b64encode(f"{state.account_sid}:{state.auth_token}".encode()).decode()
        return account == state.account_sid and secrets.compare_digest(header, f"Basic {expected}")

    def resource(message: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in message.items() if not k.startswith("_")}

    def listed(message: dict[str, Any]) -> dict[str, Any]:
        """The resource plus when the sink received it, to the microsecond (for the listing and the log)."""
        return resource(message) | {"received_at": message["_received_at"]}

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"service": "twilio-sink", "messages": str(len(state.messages))}

    @app.post(API + ".json")
    async def create(request: Request, account: str) -> Response:
        if not authorized(request, account):
            return _error(401, 20003, "Authenticate")
        failure = state.take_failure()
        if failure is not None:
            code, words = DEFAULT_FAILURES.get(failure.status, (20000 + failure.status, "Error"))
            retry = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else None
            return _error(failure.status, failure.code or code, failure.message or words, retry)
        form = await request.form()
        to, body = str(form.get("To", "")), str(form.get("Body", ""))
        sender = str(form.get("From", "")) or None
        if not body:
            return _error(400, 21602, "Message body is required.")
        try:
            normalize_e164(to)
        except InvalidPhone:
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if phonenumbers.number_type(phonenumbers.parse(to)) == phonenumbers.PhoneNumberType.FIXED_LINE:
            return _error(400, 21614, f"'To' number {to} is not a valid mobile number")
        now = datetime.now(UTC)
        sid = "SM" + secrets.token_hex(16)
        message: dict[str, Any] = {
            "sid": sid, "account_sid": account, "to": to, "from": sender,
            "messaging_service_sid": str(form.get("MessagingServiceSid", "")) or None, "body": body,
            "status": "queued", "num_segments": str(1 + len(body) // 153), "num_media": "0", "direction": "outbound-api",
            "api_version": "2010-04-01", "price": None, "price_unit": "EUR", "error_code": None, "error_message": None,
            "date_created": format_datetime(now), "date_updated": format_datetime(now), "date_sent": format_datetime(now),
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json", "subresource_uris": {},
            "_received_at": now.isoformat(),  # not Twilio's: its dates stop at the second
        }  # fmt: skip
        with state.lock:
            state.messages.append(message)
            drop = state.drop_responses > 0
            state.drop_responses -= 1 if drop else 0
        if state.log:
            with state.log.open("a", encoding="utf-8") as log:
                log.write(json.dumps(listed(message), ensure_ascii=False) + "\n")
        delay = state.take_delay()
        if delay:
            await asyncio.sleep(delay)  # recorded already: a caller that gives up has still sent it
        if drop:
            return Response(status_code=503, content=b"upstream dropped the response")
        return JSONResponse(message, status_code=201)

    @app.get(API + ".json")
    async def list_messages(request: Request, account: str) -> Response:
        if not authorized(request, account):
            return _error(401, 20003, "Authenticate")
        query = request.query_params
        found = [m for m in state.messages if m["account_sid"] == account]
        if "To" in query:
            found = [m for m in found if m["to"] == query["To"]]
        if "From" in query:
            found = [m for m in found if m["from"] == query["From"]]
        if "DateSent>" in query:
            after = _as_utc(query["DateSent>"])
            found = [m for m in found if parsedate_to_datetime(m["date_sent"]) >= after]
        if "DateSent<" in query:
            before = _as_utc(query["DateSent<"])
            found = [m for m in found if parsedate_to_datetime(m["date_sent"]) <= before]
        page_size = int(query.get("PageSize", 50))
        uri = request.url.path
        return JSONResponse({
            "messages": [resource(m) for m in reversed(found)][:page_size], "page": 0, "page_size": page_size,
            "start": 0, "end": max(0, min(len(found), page_size) - 1), "uri": uri, "first_page_uri": uri,
            "next_page_uri": None, "previous_page_uri": None,
        })  # fmt: skip

    @app.get(API + "/{sid}.json")
    async def fetch(request: Request, account: str, sid: str) -> Response:
        if not authorized(request, account):
            return _error(401, 20003, "Authenticate")
        message = next((m for m in state.messages if m["sid"] == sid), None)
        if message is None:
            return _error(404, 20404, f"The requested resource {request.url.path} was not found")
        return JSONResponse(resource(message))

    @app.get("/_sink/messages")
    async def all_messages(to: str | None = None, limit: int = 50) -> dict[str, list[dict[str, Any]]]:
        """Every message received, newest first (no credentials: a loopback listing for people)."""
        with state.lock:
            found = list(reversed(state.messages))
        if to is not None:
            found = [m for m in found if m["to"] == to]
        return {"messages": [listed(m) for m in found[: max(0, limit)]]}

    @app.post("/_sink/fail")
    async def fail(failure: Failure) -> Failure:
        """Test hook: the next `count` create requests get this error (not recorded)."""
        with state.lock:
            state.failures.append(failure)
        return failure

    @app.post("/_sink/delay")
    async def delay_answers(delay: Delay) -> Delay:
        """Test hook: the next `count` messages are recorded, then answered `seconds` later."""
        with state.lock:
            state.delays.append(delay)
        return delay

    @app.post("/_sink/reset")
    async def reset() -> dict[str, str]:
        """Test hook: forget pending failures, delays and drops (messages stay)."""
        with state.lock:
            state.failures.clear()
            state.delays.clear()
            state.drop_responses = 0
        return {"reset": "hooks"}

    @app.post("/_sink/drop-responses")
    async def drop_responses(count: int = 1) -> dict[str, int]:
        """Test hook: the next `count` accepted messages get a 503 instead of their resource."""
        state.drop_responses = count
        return {"drop_responses": count}

    return app


def main() -> None:
    import uvicorn

    from gaveurs.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m gaveurs.notify.twilio_sink", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8020)
    parser.add_argument("--log", type=Path, help="append every accepted message to this JSON-lines file")
    args = parser.parse_args()
    settings = get_settings()
    app = create_sink_app(
        settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(), log=args.log
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
