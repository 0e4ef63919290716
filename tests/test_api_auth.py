"""With API_TOKEN set, the API refuses calls without the bearer token (real HTTP, in-process server)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from api.main import create_app
from gaveurs.settings import Settings
from gaveurs.temporal_server import DevServer, free_port


@pytest.fixture(scope="module")
def guarded_api(temporal_server: DevServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(
        api_token=SecretStr("s3cret-for-tests"),
        temporal_address=temporal_server.address,
        artifact_dir=tmp_path_factory.mktemp("artifacts"),
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


def test_calls_without_the_token_are_refused(guarded_api: str) -> None:
    for method, path in (("GET", "/api/tasks/stats"), ("POST", "/api/tasks/ml/pysr/train?lot_id=3472"),
                         ("GET", "/exports/reports/x.pdf")):  # fmt: skip
        response = httpx.request(method, guarded_api + path)
        assert response.status_code == 401, path
        assert "API_TOKEN" in response.json()["detail"]
    wrong = httpx.get(f"{guarded_api}/api/tasks/stats", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_calls_with_the_token_go_through(guarded_api: str) -> None:
    headers = {"Authorization": "Bearer s3cret-for-tests"}
    assert httpx.get(f"{guarded_api}/api/tasks/stats", headers=headers).status_code == 200
    assert httpx.get(f"{guarded_api}/api/tasks/status/nope", headers=headers).status_code == 404
    assert httpx.get(f"{guarded_api}/health").status_code == 200  # liveness stays open for probes
