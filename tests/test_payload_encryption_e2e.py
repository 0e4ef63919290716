"""Encrypted payloads on the real system: Temporal's history holds no phone number in clear, our histories
replay, and the Temporal Web UI shows the decrypted input through the API's codec endpoint.

The Web UI test runs its own dev server with the UI (`--ui-codec-endpoint` pointing at an API process of its
own) and Debian's headless Chromium; it takes a screenshot (kept in the test's temporary directory).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter

from api.task_starter import start_task
from gaveurs.catalogue.notifications import SMS_ALERT
from gaveurs.contracts.notifications import SmsAlertInput
from gaveurs.processes import ProcessGroup, wait_http
from gaveurs.settings import Settings
from gaveurs.temporal_client import connect, data_converter, register_search_attributes
from gaveurs.temporal_server import DevServer, free_port, start_dev_server, wait_until_serving
from tests.browser import chromium
from tests.fixtures_stack import Stack
from tests.test_replay import replayer
from tests.waiting import wait_for_end, wait_until

PHONE = "+33698765432"
NATIONAL = PHONE[3:]  # the number without its country code, as it could also appear


def payloads_in(message: object) -> Iterator[Payload]:
    """Every payload a codec sees in a protobuf message: inputs, results, memos, heartbeat details… but not
    search attributes, which the server must read to index them (and which never hold contacts)."""
    from google.protobuf.message import Message

    if isinstance(message, Payload):
        yield message
        return
    if not isinstance(message, Message):
        return
    for field, value in message.ListFields():
        if (
            field.message_type is None
            or field.message_type.full_name == "temporal.api.common.v1.SearchAttributes"
        ):
            continue
        if isinstance(value, Message):
            yield from payloads_in(value)
        else:  # a repeated field, or a map (memo fields, headers)
            for item in value.values() if hasattr(value, "values") else value:
                yield from payloads_in(item)


def test_the_raw_history_of_an_sms_task_holds_no_phone_number_in_clear(
    api: httpx.Client, stack: Stack
) -> None:
    submitted = api.post("/api/tasks/notifications/sms", json={"phone": PHONE, "message": "Alerte chiffrée"})
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    assert wait_for_end(api, body["task_id"], timeout=60)["status"] == "SUCCESS"

    async def histories() -> tuple[WorkflowHistory, bytes]:
        # A client without the codec reads what the server stores, as anyone with server access would.
        raw_client = await Client.connect(
            stack.temporal_address, namespace=stack.namespace, data_converter=pydantic_data_converter
        )
        history = await raw_client.get_workflow_handle(
            body["workflow_id"], run_id=body["run_id"]
        ).fetch_history()
        serialized = b"".join(event.SerializeToString() for event in history.events)
        return history, serialized

    history, serialized = asyncio.run(histories())
    assert NATIONAL.encode() not in serialized and PHONE.encode() not in serialized
    payloads = [p for event in history.events for p in payloads_in(event)]
    assert payloads, "the history carries payloads (input, activity arguments, result)"
    assert {p.metadata["encoding"] for p in payloads} == {b"binary/encrypted"}

    # The control: decrypted with the project's codec, the same payloads do hold the number.
    codec = data_converter(Settings()).payload_codec
    assert codec is not None
    clear = asyncio.run(codec.decode(payloads))
    assert any(PHONE.encode() in p.data for p in clear)

    # An encrypted history replays like the recorded clear ones (the replayer decrypts with the same keys).
    asyncio.run(replayer().replay_workflow(history))


# --- the Web UI ------------------------------------------------------------------------------------------

TOKEN = "web-ui-codec-test-token"


@dataclass
class WebUi:
    server: DevServer
    api_url: str
    group: ProcessGroup
    env: dict[str, str]
    api_port: int

    def start_api(self, **env: str) -> None:
        process = self.group.spawn("api", "-m", "api", "--port", str(self.api_port), **env)
        wait_http(f"{self.api_url}/health", "the codec API", process)

    def stop_api(self) -> None:
        process = self.group.processes["api"]
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def web_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebUi]:
    root = tmp_path_factory.mktemp("web-ui")
    api_port, ui_port = free_port(), free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    server = start_dev_server(
        db_file=root / "temporal.db",
        port=free_port(),
        ui_port=ui_port,
        log_path=root / "temporal.log",
        ui_codec_endpoint=f"{api_url}/codec",
    )
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": server.address,
        "TEMPORAL_NAMESPACE": "default",
        "DATABASE_URL": f"sqlite:///{root / 'farm.db'}",
        "CODEC_CORS_ORIGINS": f"http://127.0.0.1:{ui_port}",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("API_TOKEN", None)
    group = ProcessGroup(log_dir=root, env=env)
    try:
        asyncio.run(_ready(server.address))
        yield WebUi(server, api_url, group, env, api_port)
    finally:
        group.stop()
        server.stop()


async def _ready(address: str) -> None:
    await register_search_attributes(await wait_until_serving(address))


def _start_sms_task(address: str) -> tuple[str, str]:
    """An SMS task no worker picks up: its encrypted input waits in the history for the UI to show."""

    async def start() -> tuple[str, str]:
        client = await connect(Settings(temporal_address=address, temporal_namespace="default"))
        started = await start_task(client, SMS_ALERT, SmsAlertInput(phone=PHONE, message="Alerte navigateur"))
        return started.workflow_id, started.run_id

    return asyncio.run(start())


def test_the_web_ui_shows_the_decrypted_input_through_the_codec_endpoint(
    web_ui: WebUi, tmp_path_factory: pytest.TempPathFactory
) -> None:
    workflow_id, run_id = _start_sms_task(web_ui.server.address)
    assert web_ui.server.ui_url is not None
    page = f"{web_ui.server.ui_url}/namespaces/default/workflows/{workflow_id}/{run_id}/history"
    shots = tmp_path_factory.mktemp("screenshots")
    decoded = f"document.body.innerText.includes({json.dumps(PHONE)})"

    with chromium() as browser:
        # As `make run` has it: no API token, the dev server's UI configured with the codec endpoint.
        web_ui.start_api()
        try:
            browser.open(page)
            browser.wait_for(decoded, timeout=45, what="the Web UI to show the decrypted phone number")
            assert "Alerte navigateur" in browser.text()
            browser.screenshot(shots / "web-ui-decoded.png")
        finally:
            web_ui.stop_api()

        # With API_TOKEN set, the codec refuses the UI until the person has a codec session.
        web_ui.start_api(API_TOKEN=TOKEN)
        try:
            endpoint = json.dumps(json.dumps(f"{web_ui.api_url}/codec"))
            browser.evaluate(
                "localStorage.setItem('overrideRemoteCodecConfiguration', 'true');"
                f"localStorage.setItem('endpoint', {endpoint});"
                "localStorage.setItem('includeCredentials', 'true'); true"
            )
            browser.open(page)
            browser.wait_for(
                "document.body.innerText.includes('Results will appear')", timeout=45, what="the input card"
            )
            wait_until(
                lambda: _codec_calls(web_ui, status=401) >= 1, timeout=20, what="the codec to refuse the UI"
            )
            assert PHONE not in browser.text()

            browser.open(f"{web_ui.api_url}/codec/login")
            browser.evaluate(
                f"document.querySelector('input[name=token]').value = {json.dumps(TOKEN)};"
                "document.querySelector('form').submit(); true"
            )
            browser.wait_for("document.body.innerText.includes('Session ouverte')", timeout=15, what="login")
            browser.open(page)
            browser.wait_for(decoded, timeout=45, what="the decrypted input once the session is open")
            browser.screenshot(shots / "web-ui-decoded-with-session.png")
        finally:
            web_ui.stop_api()


def _codec_calls(web_ui: WebUi, *, status: int) -> int:
    """How many `POST /codec/decode` the API answered with `status` (from its JSON access log)."""
    path: Path = web_ui.group.log_path("api")
    count = 0
    for line in path.read_text(errors="replace").splitlines():
        try:
            message = json.loads(line).get("message", "")
        except json.JSONDecodeError:
            continue
        if "POST /codec/decode" in message and f'" {status}' in message:
            count += 1
    return count
