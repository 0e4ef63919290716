"""`GET /exports/<path>`: each run's own file, the seed's run-less name serving the newest run still kept, the
content type recorded at export time, 410 after the retention, and nothing the index does not name (staged
parts, temp files, files whose row is gone)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, update

from api.main import create_app
from gaveurs.artifact_records import ArtifactMeta, delete_task_artifacts, open_indexed_writer, record_artifact
from gaveurs.artifacts import LocalArtifactStore, StoredFile, run_path
from gaveurs.db.migrate import upgrade
from gaveurs.db.models import Artifact
from gaveurs.db.session import make_engine, session_scope
from gaveurs.settings import Settings
from gaveurs.temporal_server import DevServer, free_port

NOW = datetime.now(UTC)


@dataclass
class Exports:
    http: httpx.Client
    engine: Engine
    store: LocalArtifactStore

    def publish(
        self, alias: str, run_id: str, content: bytes, content_type: str, *, age: timedelta = timedelta(0)
    ) -> StoredFile:
        created = NOW - age
        meta = ArtifactMeta(
            kind="test",
            content_type=content_type,
            task_id=f"task.{run_id}",
            run_id=run_id,
            created_at=created,
            expires_at=created + timedelta(days=30),
            alias_path=alias,
        )
        with open_indexed_writer(self.store, self.engine, run_path(alias, run_id), meta) as writer:
            writer.write(content)
            return writer.commit()


@pytest.fixture(scope="module")
def exports(temporal_server: DevServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exports]:
    """The API on a real socket, over an empty migrated database and artifact store of its own."""
    root = tmp_path_factory.mktemp("downloads")
    database_url = f"sqlite:///{root / 'farm.db'}"
    upgrade(database_url)
    settings = Settings(
        temporal_address=temporal_server.address, artifact_dir=root / "artifacts", database_url=database_url
    )
    server = uvicorn.Server(uvicorn.Config(create_app(settings), port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    engine = make_engine(database_url)
    with httpx.Client(base_url=f"http://127.0.0.1:{server.config.port}") as http:
        yield Exports(http, engine, LocalArtifactStore(settings.artifact_dir))
    engine.dispose()
    server.should_exit = True
    thread.join(timeout=5)


def test_the_seed_name_serves_the_newest_run_still_kept(exports: Exports) -> None:
    alias = "reports/lot_3472_complete_20260108.pdf"
    older = exports.publish(alias, "run-a", b"%PDF-1.4 first run", "application/pdf", age=timedelta(hours=2))
    newer = exports.publish(alias, "run-b", b"%PDF-1.4 second run", "application/pdf")

    for stored in (older, newer):  # each task's own URL keeps serving its own bytes
        own = exports.http.get(f"/exports/{stored.path}")
        assert own.status_code == 200 and own.headers["etag"] == f'"{stored.sha256}"'
        assert "content-location" not in own.headers
    latest = exports.http.get(f"/exports/{alias}")
    assert latest.status_code == 200 and latest.content == b"%PDF-1.4 second run"
    assert latest.headers["content-type"] == "application/pdf"
    assert latest.headers["content-location"] == f"/exports/{newer.path}"
    assert latest.headers["etag"] == f'"{newer.sha256}"'

    # The newest run is withdrawn (cancelled, cleaned up): the name falls back to the run before it.
    with session_scope(exports.engine) as session:
        delete_task_artifacts(session, exports.store, "task.run-b", "run-b")
    assert exports.http.get(f"/exports/{newer.path}").status_code == 404
    assert exports.http.get(f"/exports/{alias}").content == b"%PDF-1.4 first run"

    # Past its retention, the only run left is gone for good: 410 under either name.
    with session_scope(exports.engine) as session:
        session.execute(
            update(Artifact).where(Artifact.alias_path == alias).values(expires_at=NOW - timedelta(minutes=1))
        )
    for path in (alias, older.path):
        gone = exports.http.get(f"/exports/{path}")
        assert gone.status_code == 410 and "expired" in gone.json()["message"]


@pytest.mark.parametrize(
    ("alias", "content_type"),
    [
        ("exports/sqal_all_20261102.csv", "text/csv; charset=utf-8"),
        ("exports/lots_3_0a1b2c3d_20261102.zip", "application/zip"),
        ("certificates/cert-3472-0a1b2c3d4e5f.json", "application/json"),
    ],
)
def test_files_come_with_the_type_recorded_at_export_time(
    exports: Exports, alias: str, content_type: str
) -> None:
    content = b"x" * 300_000  # several of the response's 64 KiB chunks
    stored = exports.publish(alias, "run-1", content, content_type)
    answer = exports.http.get(f"/exports/{stored.path}")
    assert answer.status_code == 200 and answer.content == content
    assert answer.headers["content-type"] == content_type
    assert answer.headers["content-length"] == str(len(content))
    assert f'filename="{Path(stored.path).name}"' in answer.headers["content-disposition"]
    # A streamed file answers byte ranges: a download that broke off can resume.
    part = exports.http.get(f"/exports/{alias}", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == content[100:200]


def test_only_what_the_index_names_is_served(exports: Exports) -> None:
    stored = exports.publish(
        "exports/gavage_all_20261102.csv", "run-1", b"a,b\r\n", "text/csv; charset=utf-8"
    )
    staging = exports.store.staging("0123456789abcdef0123")
    with staging.open_writer("part-00000-lots.csv") as part:
        part.write(b"3472,LL2601001\r\n")
        part.commit()
    with exports.store.open_writer("exports/unfinished.csv") as unfinished:
        unfinished.write(b"half a file")  # never committed: a temp file
        temp = next(exports.store.root.rglob(".tmp-*")).relative_to(exports.store.root).as_posix()
        for path in (
            ".staging/0123456789abcdef0123/part-00000-lots.csv",
            temp,
            "exports/unfinished.csv",
            "exports/gavage_all_20261102_rffffffffff.csv",
        ):
            assert exports.http.get(f"/exports/{path}").status_code == 404, path
    # A file whose row is gone is not served either, even though it is still on disk.
    with session_scope(exports.engine) as session:
        session.execute(
            update(Artifact)
            .where(Artifact.path == stored.path)
            .values(path="exports/elsewhere.csv", alias_path=None)
        )
    assert exports.store.resolve(stored.path).is_file()
    assert exports.http.get(f"/exports/{stored.path}").status_code == 404


def test_an_indexed_symlink_cannot_lead_out_of_the_store(exports: Exports, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve")
    (exports.store.root / "reports").mkdir(parents=True, exist_ok=True)
    (exports.store.root / "reports" / "leak.pdf").symlink_to(secret)
    (exports.store.root / "escape").symlink_to(tmp_path, target_is_directory=True)
    with session_scope(exports.engine) as session:
        for path in ("reports/leak.pdf", "escape/secret.txt"):
            record_artifact(
                session, StoredFile(path=path, size_bytes=12, sha256="0" * 64), kind="test",
                content_type="application/pdf", task_id="t", lot_id=None, created_at=NOW,
                expires_at=NOW + timedelta(days=1),
            )  # fmt: skip
    for path in ("reports/leak.pdf", "escape/secret.txt"):
        answer = exports.http.get(f"/exports/{path}")
        assert answer.status_code == 404 and b"do not serve" not in answer.content, path
