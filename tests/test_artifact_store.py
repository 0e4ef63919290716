"""The artifact store: safe paths, streaming atomic writes, run-specific files with seed-name aliases, deletes."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from gaveurs.artifact_records import (
    ArtifactMeta,
    delete_expired_artifacts,
    delete_task_artifacts,
    find_artifact,
    open_indexed_writer,
    record_artifact,
    resolve_artifact,
)
from gaveurs.artifacts import (
    LocalArtifactStore,
    StoredFile,
    UnsafeArtifactPath,
    WriterClosed,
    open_store,
    run_path,
    run_tag,
)
from gaveurs.db.models import Artifact
from gaveurs.db.session import make_engine, session_scope
from gaveurs.settings import Settings

T0 = datetime(2026, 1, 8, 13, 15, 42, tzinfo=UTC)
ALIAS = "reports/lot_3472_complete_20260108.pdf"


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# ------------------------------------------------------------------------------------------------ paths


@pytest.mark.parametrize(
    "unsafe",
    ["../etc/passwd", "/etc/passwd", "reports/../../x", "reports/..", ".hidden", "", "a/.b/c", "a\\..\\b",
     "a//../b", "reports/x\x00.pdf", ".staging/key/part.csv", ".tmp-x", "x" * 256],
)  # fmt: skip
def test_unsafe_paths_are_refused_for_every_operation(tmp_path: Path, unsafe: str) -> None:
    store = LocalArtifactStore(tmp_path / "store")
    for operation in (
        lambda: store.write(unsafe, b"x"),
        lambda: store.open_writer(unsafe),
        lambda: store.resolve(unsafe),
        lambda: store.open_reader(unsafe),
        lambda: store.exists(unsafe),
        lambda: store.delete(unsafe),
    ):
        with pytest.raises(UnsafeArtifactPath):
            operation()
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "store").exists() or files_under(tmp_path / "store") == []


def test_symlinks_cannot_lead_out_of_the_store(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not yours")
    store = LocalArtifactStore(tmp_path / "store")
    store.write("reports/ok.pdf", b"%PDF")
    (store.root / "reports" / "leak.txt").symlink_to(outside / "secret.txt")
    (store.root / "escape").symlink_to(outside, target_is_directory=True)
    for path in ("reports/leak.txt", "escape/secret.txt", "escape/new.pdf"):
        with pytest.raises(UnsafeArtifactPath, match="escapes the store"):
            store.resolve(path)
        with pytest.raises(UnsafeArtifactPath):
            store.open_reader(path)
    with pytest.raises(UnsafeArtifactPath):
        store.write("escape/new.pdf", b"x")
    with pytest.raises(UnsafeArtifactPath):
        store.delete("reports/leak.txt")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_text() == "not yours"
    # A symlink that stays inside the store is followed.
    (store.root / "latest.pdf").symlink_to(store.root / "reports" / "ok.pdf")
    assert store.open_reader("latest.pdf").read() == b"%PDF"


def test_run_paths_keep_the_seed_name_and_differ_per_run() -> None:
    first = run_path(ALIAS, "0199a1b2-0000-7000-8000-000000000001")
    second = run_path(ALIAS, "0199a1b2-0000-7000-8000-000000000002")
    assert first.startswith("reports/lot_3472_complete_20260108_r") and first.endswith(".pdf")
    # Time-ordered run ids share their first characters; the tag does not.
    assert first != second
    assert run_path(ALIAS, "0199a1b2-0000-7000-8000-000000000001") == first
    assert run_path("exports/lots.csv", "r") == f"exports/lots_r{run_tag('r')}.csv"
    with pytest.raises(UnsafeArtifactPath):
        run_path("../x.pdf", "r")


# --------------------------------------------------------------------------------------- streaming writer


def test_streaming_writer_publishes_only_on_commit(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    chunks = [b"lot_id,code_lot\r\n", b"3472,LL2601001\r\n" * 1000, b"3473,LL2601002\r\n"]
    with store.open_writer("exports/big.csv") as writer:
        for chunk in chunks:
            writer.write(chunk)
        assert writer.tell() == sum(map(len, chunks))
        assert not store.exists("exports/big.csv")  # nothing visible before commit
        assert [p.name.startswith(".tmp-big.csv-") for p in (tmp_path / "exports").iterdir()] == [True]
        stored = writer.commit()
    content = b"".join(chunks)
    assert stored == StoredFile("exports/big.csv", len(content), hashlib.sha256(content).hexdigest())
    assert store.open_reader("exports/big.csv").read() == content
    assert files_under(tmp_path) == ["exports/big.csv"]
    with pytest.raises(WriterClosed):
        writer.write(b"more")


def test_abort_and_errors_leave_no_file(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    store.write("exports/kept.csv", b"old")
    with pytest.raises(RuntimeError, match="boom"), store.open_writer("exports/kept.csv") as writer:
        writer.write(b"half")
        raise RuntimeError("boom")
    with store.open_writer("exports/never.csv") as writer:
        writer.write(b"uncommitted")  # leaving the block without commit aborts
    explicit = store.open_writer("exports/aborted.csv")
    explicit.write(b"x")
    explicit.abort()
    explicit.abort()  # idempotent
    with pytest.raises(WriterClosed):
        explicit.commit()
    assert files_under(tmp_path) == ["exports/kept.csv"]
    assert store.open_reader("exports/kept.csv").read() == b"old"


def test_sweep_removes_only_old_temp_files_and_staging(tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    store.write("reports/a.pdf", b"a")
    crashed = store.open_writer("reports/b.pdf")
    crashed.write(b"half")  # a worker killed here leaves its temp file
    staging = store.staging("batchkey")
    with staging.open_writer("part-00000-lots.csv") as part:
        part.write(b"1,2\r\n")
        part.commit()
    assert staging.exists("part-00000-lots.csv")
    assert store.sweep_abandoned(datetime.now(UTC) - timedelta(hours=1)) == []
    old = time.time() - 7200
    for path in tmp_path.rglob("*"):
        os.utime(path, (old, old))
    removed = store.sweep_abandoned(datetime.now(UTC) - timedelta(hours=1))
    assert len(removed) == 2 and ".staging/batchkey" in removed
    assert files_under(tmp_path) == ["reports/a.pdf"]


def test_open_store_follows_the_settings(tmp_path: Path) -> None:
    store = open_store(Settings(artifact_dir=tmp_path / "a"))
    assert isinstance(store, LocalArtifactStore) and store.root == (tmp_path / "a").resolve()


# ------------------------------------------------------------------------------------------------- index


def meta(run_id: str, created_at: datetime, *, task_id: str = "lot-pdf-3472-complete") -> ArtifactMeta:
    return ArtifactMeta(
        kind="lot_pdf_report",
        content_type="application/pdf",
        task_id=task_id,
        run_id=run_id,
        lot_id=3472,
        created_at=created_at,
        expires_at=created_at + timedelta(days=30),
        alias_path=ALIAS,
    )


def publish(
    store: LocalArtifactStore, engine: Engine, run_id: str, content: bytes, at: datetime
) -> StoredFile:
    with open_indexed_writer(store, engine, run_path(ALIAS, run_id), meta(run_id, at)) as writer:
        writer.write(content)
        return writer.commit()


@pytest.fixture
def index(database_url: str, tmp_path: Path) -> tuple[LocalArtifactStore, Engine]:
    return LocalArtifactStore(tmp_path / "artifacts"), make_engine(database_url)


def test_each_run_keeps_its_file_and_the_seed_name_serves_the_latest(
    index: tuple[LocalArtifactStore, Engine],
) -> None:
    store, engine = index
    morning = publish(store, engine, "run-1", b"%PDF morning", T0)
    evening = publish(store, engine, "run-2", b"%PDF evening", T0 + timedelta(hours=8))
    assert morning.path != evening.path
    with session_scope(engine) as session:
        latest = resolve_artifact(session, ALIAS)
        assert latest is not None and latest.path == evening.path
        # A task's own URL keeps serving its own bytes: its sha256 still matches what is downloaded.
        own = resolve_artifact(session, morning.path)
        assert own is not None and own.sha256 == hashlib.sha256(b"%PDF morning").hexdigest()
        assert store.open_reader(own.path).read() == b"%PDF morning"
        assert find_artifact(session, ALIAS) is None  # an alias is not a file of its own
        assert not store.exists(ALIAS)
        # Cancelling the second run removes its file only; the seed name falls back to the first run.
        assert delete_task_artifacts(session, store, "lot-pdf-3472-complete", run_id="run-2") == [
            evening.path
        ]
    with session_scope(engine) as session:
        fallback = resolve_artifact(session, ALIAS)
        assert fallback is not None and fallback.path == morning.path
        assert resolve_artifact(session, "reports/lot_1_summary_20260108.pdf") is None
    assert files_under(store.root) == [morning.path]
    engine.dispose()


def test_a_retried_commit_upserts_the_same_row(index: tuple[LocalArtifactStore, Engine]) -> None:
    store, engine = index
    first = publish(store, engine, "run-1", b"%PDF same", T0)
    again = publish(store, engine, "run-1", b"%PDF same", T0)
    assert first == again
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Artifact)) == 1
        row = find_artifact(session, first.path)
        assert row is not None
        assert (row.run_id, row.alias_path, row.size_bytes) == ("run-1", ALIAS, len(b"%PDF same"))
    engine.dispose()


def test_an_index_failure_unpublishes_the_file(index: tuple[LocalArtifactStore, Engine]) -> None:
    store, engine = index
    # task_id is NOT NULL: both databases refuse the row after the file was renamed into place.
    broken = ArtifactMeta(kind="k", content_type="c", task_id=None, created_at=T0, expires_at=None)  # type: ignore[arg-type]
    with pytest.raises(IntegrityError), open_indexed_writer(store, engine, "exports/x.csv", broken) as writer:
        writer.write(b"a,b\r\n")
        writer.commit()
    assert files_under(store.root) == []
    engine.dispose()


def test_delete_whole_task_and_expired_artifacts(index: tuple[LocalArtifactStore, Engine]) -> None:
    store, engine = index
    old = publish(store, engine, "run-old", b"old", T0 - timedelta(days=40))
    fresh = publish(store, engine, "run-new", b"new", T0)
    other = ArtifactMeta(
        kind="gavage_csv",
        content_type="text/csv",
        task_id="gavage-csv",
        created_at=T0,
        expires_at=T0 + timedelta(days=30),
    )
    with open_indexed_writer(store, engine, "exports/gavage.csv", other) as writer:
        writer.write(b"h\r\n")
        writer.commit()
    with session_scope(engine) as session:
        assert delete_expired_artifacts(session, store, now=T0) == [old.path]
    with session_scope(engine) as session:
        assert delete_expired_artifacts(session, store, now=T0) == []
        assert delete_task_artifacts(session, store, "lot-pdf-3472-complete") == [fresh.path]
    with session_scope(engine) as session:
        assert [row.path for row in session.scalars(select(Artifact))] == ["exports/gavage.csv"]
    assert files_under(store.root) == ["exports/gavage.csv"]
    engine.dispose()


def test_rows_whose_file_is_already_gone_are_still_deleted(index: tuple[LocalArtifactStore, Engine]) -> None:
    store, engine = index
    stored = publish(store, engine, "run-1", b"x", T0 - timedelta(days=40))
    store.delete(stored.path)
    with session_scope(engine) as session:
        record_artifact(
            session,
            StoredFile("../outside.pdf", 1, "0" * 64),  # a corrupt row must not stop the cleanup
            kind="k",
            content_type="c",
            task_id="t",
            lot_id=None,
            created_at=T0,
            expires_at=T0 - timedelta(days=1),
        )
    with session_scope(engine) as session:
        assert sorted(delete_expired_artifacts(session, store, now=T0)) == sorted(
            [stored.path, "../outside.pdf"]
        )
        assert session.scalar(select(func.count()).select_from(Artifact)) == 0
    engine.dispose()


def test_an_alias_cannot_be_the_file_itself(index: tuple[LocalArtifactStore, Engine]) -> None:
    _, engine = index
    with session_scope(engine) as session, pytest.raises(ValueError, match="alias of itself"):
        record_artifact(
            session,
            StoredFile(ALIAS, 1, "0" * 64),
            kind="k",
            content_type="c",
            task_id="t",
            lot_id=None,
            created_at=T0,
            expires_at=None,
            alias_path=ALIAS,
        )
    engine.dispose()
