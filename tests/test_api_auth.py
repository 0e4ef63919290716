"""With API_TOKEN set: the API refuses calls without the bearer token, and downloads need the token or a
signed, unexpired link; only indexed, unexpired artifacts are served (real HTTP, in-process server)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from api.main import create_app
from api.signed_urls import sign
from gaveurs.artifact_records import record_artifact
from gaveurs.artifacts import ArtifactStore
from gaveurs.db.migrate import upgrade
from gaveurs.db.session import make_engine, session_scope
from gaveurs.settings import Settings
from gaveurs.temporal_server import DevServer, free_port

TOKEN = "s3cret-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class GuardedApi:
    url: str
    settings: Settings
    root: Path


@pytest.fixture(scope="module")
def guarded(temporal_server: DevServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuardedApi]:
    root = tmp_path_factory.mktemp("guarded")
    database_url = f"sqlite:///{root / 'farm.db'}"
    upgrade(database_url)
    settings = Settings(
        api_token=SecretStr(TOKEN),
        temporal_address=temporal_server.address,
        artifact_dir=root / "artifacts",
        database_url=database_url,
    )
    store = ArtifactStore(settings.artifact_dir)
    now = datetime.now(UTC)
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        for path, expires in (
            ("reports/fresh.pdf", now + timedelta(days=30)),
            ("reports/old.pdf", now - timedelta(days=1)),
        ):
            stored = store.write(path, b"%PDF-1.4 " + path.encode())
            record_artifact(session, stored, kind="lot_pdf_report", content_type="application/pdf",
                            task_id="t", lot_id=None, created_at=now, expires_at=expires)  # fmt: skip
    engine.dispose()
    store.probe()  # the health check's probe file: in the store, but not an export
    (root / "secret.txt").write_text("do not serve")

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield GuardedApi(f"http://127.0.0.1:{port}", settings, root)
    server.should_exit = True
    thread.join(timeout=5)


def test_calls_without_the_token_are_refused(guarded: GuardedApi) -> None:
    for method, path in (("GET", "/api/tasks/stats"), ("POST", "/api/tasks/ml/pysr/train?lot_id=3472"),
                         ("GET", "/exports/reports/fresh.pdf")):  # fmt: skip
        response = httpx.request(method, guarded.url + path)
        assert response.status_code == 401, path
        assert "API_TOKEN" in response.json()["message"]
    for wrong in ("nope", "é-non-ascii", "s3cret-for-tests-but-longer"):
        response = httpx.get(
            f"{guarded.url}/api/tasks/stats", headers={b"Authorization": f"Bearer {wrong}".encode()}
        )
        assert response.status_code == 401, wrong


def test_calls_with_the_token_go_through(guarded: GuardedApi) -> None:
    assert httpx.get(f"{guarded.url}/api/tasks/stats", headers=AUTH).status_code == 200
    assert httpx.get(f"{guarded.url}/api/tasks/status/nope", headers=AUTH).status_code == 404
    assert httpx.get(f"{guarded.url}/health").status_code == 200  # liveness stays open for probes


def test_downloads_take_the_token_or_a_signed_link(guarded: GuardedApi) -> None:
    assert httpx.get(f"{guarded.url}/exports/reports/fresh.pdf", headers=AUTH).content.startswith(b"%PDF")
    signed = sign(guarded.settings, "/exports/reports/fresh.pdf")
    response = httpx.get(guarded.url + signed)  # no token: a browser following the link
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"

    query = parse_qs(urlsplit(signed).query)
    tampered = f"/exports/reports/old.pdf?expires={query['expires'][0]}&signature={query['signature'][0]}"
    assert httpx.get(guarded.url + tampered).status_code == 401  # the signature is for another path
    expired = sign(guarded.settings, "/exports/reports/fresh.pdf", now=time.time() - 2 * 86400)
    assert httpx.get(guarded.url + expired).status_code == 401


def test_only_indexed_unexpired_exports_are_served(guarded: GuardedApi) -> None:
    gone = httpx.get(f"{guarded.url}/exports/reports/old.pdf", headers=AUTH)
    assert gone.status_code == 410 and "expired" in gone.json()["message"]
    assert (guarded.root / "artifacts" / "health" / "probe.txt").is_file()
    assert httpx.get(f"{guarded.url}/exports/health/probe.txt", headers=AUTH).status_code == 404


def raw_get(url: str, target: str) -> tuple[int, bytes]:
    """A request line sent exactly as written: HTTP clients normalise `..` away before it leaves them."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port)) as connection:
        connection.sendall(
            f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


def test_no_path_leaves_the_artifact_store(guarded: GuardedApi) -> None:
    for target in ("/exports/../secret.txt", "/exports/reports/../../secret.txt", "/exports/%2e%2e/secret.txt",
                   "/exports/..%2Fsecret.txt", "/exports/reports/%2e%2e%2f%2e%2e%2fsecret.txt",
                   f"/exports/{guarded.root / 'secret.txt'}", "/exports//etc/passwd", "/exports/.hidden"):  # fmt: skip
        status, answer = raw_get(guarded.url, target)
        assert status == 404, (target, answer[:200])
        assert b"do not serve" not in answer and b"root:" not in answer
