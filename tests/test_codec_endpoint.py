"""The API's codec endpoint in the Web UI's remote-codec format: decode/encode, token or session cookie, CORS.

In-process ASGI calls: the codec needs no Temporal server (the app's lifespan, which connects, is not run).
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload

from api.codec import COOKIE, session_is_valid, session_value
from api.main import create_app
from gaveurs.contracts.notifications import SmsAlertInput
from gaveurs.settings import Settings
from gaveurs.temporal_client import data_converter

TOKEN = "codec-test-token"
UI = "http://127.0.0.1:8233"
PHONE = "+33612345678"


def as_json(payload: Payload) -> dict[str, object]:
    """A payload as the Web UI posts it: protobuf JSON, bytes in base64."""
    return {
        "metadata": {key: base64.b64encode(value).decode() for key, value in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


async def sealed_sms() -> Payload:
    (payload,) = await data_converter(Settings()).encode([SmsAlertInput(phone=PHONE, message="Alerte")])
    return payload


async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    app.state.settings = settings  # what the lifespan would set; the guarded routes read it
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://api") as client:
        yield client


@pytest.fixture
async def open_api() -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(Settings(api_token=None)):
        yield client


@pytest.fixture
async def guarded_api() -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(Settings(api_token=SecretStr(TOKEN))):
        yield client


async def test_decode_turns_the_sealed_input_back_into_its_json(open_api: httpx.AsyncClient) -> None:
    sealed = await sealed_sms()
    assert PHONE.encode() not in sealed.data
    answer = await open_api.post(
        "/codec/decode", json={"payloads": [as_json(sealed)]}, headers={"X-Namespace": "default"}
    )
    assert answer.status_code == 200, answer.text
    (decoded,) = answer.json()["payloads"]
    assert base64.b64decode(decoded["metadata"]["encoding"]) == b"json/plain"
    assert json.loads(base64.b64decode(decoded["data"]))["phone"] == PHONE


async def test_encode_then_decode_round_trips_and_clear_payloads_pass(open_api: httpx.AsyncClient) -> None:
    clear = {"metadata": {"encoding": base64.b64encode(b"json/plain").decode()}, "data": "eyJhIjoxfQ=="}
    encoded = (await open_api.post("/codec/encode", json={"payloads": [clear]})).json()["payloads"]
    assert base64.b64decode(encoded[0]["metadata"]["encoding"]) == b"binary/encrypted"
    decoded = (await open_api.post("/codec/decode", json={"payloads": [*encoded, clear]})).json()
    assert decoded["payloads"] == [clear, clear]


async def test_malformed_bodies_and_unknown_keys_are_refused_plainly(open_api: httpx.AsyncClient) -> None:
    assert (await open_api.post("/codec/decode", content=b"not json")).status_code == 400
    foreign = Payload(
        metadata={"encoding": b"binary/encrypted", "encryption-key-id": b"gone"}, data=b"x" * 40
    )
    answer = await open_api.post("/codec/decode", json={"payloads": [as_json(foreign)]})
    assert answer.status_code == 422 and "'gone'" in answer.json()["message"]


async def test_with_a_token_the_codec_needs_the_bearer_or_the_session_cookie(
    guarded_api: httpx.AsyncClient,
) -> None:
    body = {"payloads": [as_json(await sealed_sms())]}
    assert (await guarded_api.post("/codec/decode", json=body)).status_code == 401
    wrong = await guarded_api.post("/codec/decode", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    bearer = await guarded_api.post("/codec/decode", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert bearer.status_code == 200

    # A person logs in once with the token; the Web UI then sends the cookie along.
    assert "password" in (await guarded_api.get("/codec/login")).text
    refused = await guarded_api.post("/codec/login", data={"token": "guess"})
    assert refused.status_code == 401 and COOKIE not in guarded_api.cookies
    opened = await guarded_api.post("/codec/login", data={"token": TOKEN})
    assert opened.status_code == 200
    cookie = opened.headers["set-cookie"]
    for attribute in ("HttpOnly", "Path=/codec", "SameSite=strict"):
        assert attribute.lower() in cookie.lower()
    assert TOKEN not in cookie
    assert (await guarded_api.post("/codec/decode", json=body)).status_code == 200
    # Only /codec trusts the cookie: the rest of the API still wants the bearer token.
    assert (await guarded_api.get("/api/tasks/catalogue")).status_code == 401

    await guarded_api.post("/codec/logout")
    assert (await guarded_api.post("/codec/decode", json=body)).status_code == 401


def test_a_session_expires_and_is_bound_to_the_token() -> None:
    settings = Settings(api_token=SecretStr(TOKEN), codec_session_ttl_s=60)
    value = session_value(settings, now=1_000_000)
    assert session_is_valid(settings, value, now=1_000_030)
    assert not session_is_valid(settings, value, now=1_000_061)
    assert not session_is_valid(Settings(api_token=SecretStr("rotated")), value, now=1_000_030)
    assert not session_is_valid(settings, value.replace(".", ".0"), now=1_000_030)


async def test_cors_lets_the_web_ui_call_with_credentials_and_no_other_origin(
    guarded_api: httpx.AsyncClient,
) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace",
    }
    allowed = await guarded_api.options("/codec/decode", headers={"Origin": UI, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == UI
    assert allowed.headers["access-control-allow-credentials"] == "true"
    other = await guarded_api.options("/codec/decode", headers={"Origin": "http://evil.test", **preflight})
    assert "access-control-allow-origin" not in other.headers
    # The rest of the API is not opened to the Web UI's origin by the codec's policy.
    elsewhere = await guarded_api.options("/api/tasks/catalogue", headers={"Origin": UI, **preflight})
    assert "access-control-allow-origin" not in elsewhere.headers


def test_configured_origins_replace_the_dev_default() -> None:
    settings = Settings(codec_cors_origins="https://temporal.example.fr/, https://ops.example.fr")
    assert settings.codec_origins == ["https://temporal.example.fr", "https://ops.example.fr"]
    assert Settings(temporal_ui_port=9233).codec_origins == ["http://127.0.0.1:9233", "http://localhost:9233"]
