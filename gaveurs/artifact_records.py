"""Rows of the `artifacts` table, the index of the files in the artifact store.

A retried activity rewrites the same file, so recording it must be an upsert keyed by path: the row then
describes the bytes on disk now (size, sha256, time, owning task) instead of failing on the unique constraint.

Each run writes its own file (`…_r<tag>.pdf`, see artifacts.paths.run_path) and records the seed's run-less name
as `alias_path`; `resolve_artifact` serves that name from the newest run still present. The alias is a column,
not a pointer row: deleting a run (cancelled, expired) falls back to the previous run with nothing to repair.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from gaveurs.artifacts import ArtifactBackend, ArtifactWriter, StoredFile, UnsafeArtifactPath
from gaveurs.artifacts.paths import check_relative_path
from gaveurs.db.models import Artifact
from gaveurs.db.session import session_scope


def record_artifact(
    session: Session,
    stored: StoredFile,
    *,
    kind: str,
    content_type: str,
    task_id: str,
    lot_id: int | None,
    created_at: datetime,
    expires_at: datetime | None,
    run_id: str | None = None,
    alias_path: str | None = None,
) -> Artifact:
    """Insert or update the row for `stored.path` in the caller's transaction, and return it."""
    if alias_path is not None:
        check_relative_path(alias_path)
        if alias_path == stored.path:
            raise ValueError(f"{stored.path} cannot be an alias of itself")
    values: dict[str, Any] = {
        "path": stored.path,
        "kind": kind,
        "content_type": content_type,
        "size_bytes": stored.size_bytes,
        "sha256": stored.sha256,
        "task_id": task_id,
        "lot_id": lot_id,
        "created_at": created_at,
        "expires_at": expires_at,
        "run_id": run_id,
        "alias_path": alias_path,
    }
    # populate_existing: an Artifact already in this session's identity map must show the new values.
    statement = _upsert(session.get_bind().dialect.name, values)
    return session.scalars(statement, execution_options={"populate_existing": True}).one()


def _upsert(dialect: str, values: dict[str, Any]) -> ReturningInsert[Artifact]:
    # ON CONFLICT rather than select-then-insert: two attempts of one run may race, and only the database can
    # make "insert unless present" atomic.
    updates = {name: value for name, value in values.items() if name != "path"}
    if dialect == "sqlite":
        sqlite_stmt = sqlite_insert(Artifact).values(**values)
        return sqlite_stmt.on_conflict_do_update(index_elements=[Artifact.path], set_=updates).returning(
            Artifact
        )
    if dialect == "postgresql":
        pg_stmt = postgresql_insert(Artifact).values(**values)
        return pg_stmt.on_conflict_do_update(index_elements=[Artifact.path], set_=updates).returning(Artifact)
    raise NotImplementedError(f"artifact upsert is written for SQLite and PostgreSQL, not {dialect}")


def find_artifact(session: Session, path: str) -> Artifact | None:
    """The row of exactly this file path (aliases not followed)."""
    return session.scalars(select(Artifact).where(Artifact.path == path)).one_or_none()


def resolve_artifact(session: Session, path: str) -> Artifact | None:
    """The file a download of `path` serves: that exact file, else the newest run recorded under that alias."""
    exact = find_artifact(session, path)
    if exact is not None:
        return exact
    return session.scalars(
        select(Artifact)
        .where(Artifact.alias_path == path)
        .order_by(Artifact.created_at.desc(), Artifact.id.desc())
        .limit(1)
    ).one_or_none()


def task_artifacts(session: Session, task_id: str, run_id: str | None = None) -> list[Artifact]:
    query = select(Artifact).where(Artifact.task_id == task_id)
    if run_id is not None:
        query = query.where(Artifact.run_id == run_id)
    return list(session.scalars(query.order_by(Artifact.id)))


def _delete_rows_and_files(session: Session, store: ArtifactBackend, rows: list[Artifact]) -> list[str]:
    # Files first, rows second, in the caller's transaction: if anything fails half-way, the rows that remain
    # still name every file that may remain, and the next call finishes the job (deletes are idempotent).
    removed: list[str] = []
    for row in rows:
        # A row naming an impossible path has no file to remove; the row goes all the same.
        with contextlib.suppress(UnsafeArtifactPath):
            store.delete(row.path)
        removed.append(row.path)
    if rows:
        session.execute(delete(Artifact).where(Artifact.id.in_([row.id for row in rows])))
    return removed


def delete_task_artifacts(
    session: Session, store: ArtifactBackend, task_id: str, run_id: str | None = None
) -> list[str]:
    """Delete the files and rows of a task (of one run of it when `run_id` is given, e.g. a cancelled run:
    earlier runs under the same workflow id keep their files). Returns the paths removed."""
    return _delete_rows_and_files(session, store, task_artifacts(session, task_id, run_id))


def delete_expired_artifacts(session: Session, store: ArtifactBackend, now: datetime) -> list[str]:
    """Delete every artifact whose `expires_at` is past, files and rows. Returns the paths removed."""
    rows = list(session.scalars(select(Artifact).where(Artifact.expires_at <= now).order_by(Artifact.id)))
    return _delete_rows_and_files(session, store, rows)


@dataclass(frozen=True)
class ArtifactMeta:
    """What the index records about a file beside its bytes."""

    kind: str
    content_type: str
    task_id: str
    created_at: datetime
    expires_at: datetime | None
    run_id: str | None = None
    lot_id: int | None = None
    alias_path: str | None = None


class IndexedArtifactWriter:
    """A streaming writer whose commit is the whole publication: fsync + rename (the backend), then the index
    row. If the row cannot be written the file is removed again, so a file is never served without its row;
    abort (or leaving the `with` block without committing) leaves no file at all."""

    def __init__(
        self,
        store: ArtifactBackend,
        engine: Engine,
        path: str,
        meta: ArtifactMeta,
        before_commit: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._engine = engine
        self._meta = meta
        # Called once the bytes are all written, before anything becomes visible: the activity layer's last
        # chance to notice a cancel (a heartbeat) and the place of a fault-injection pause.
        self._before_commit = before_commit
        self._writer: ArtifactWriter = store.open_writer(path)
        self.path = self._writer.path

    def write(self, data: bytes | bytearray | memoryview) -> int:
        return self._writer.write(data)

    def tell(self) -> int:
        return self._writer.tell()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        pass

    def commit(self) -> StoredFile:
        if self._before_commit is not None:
            self._before_commit()
        stored = self._writer.commit()
        meta = self._meta
        try:
            with session_scope(self._engine) as session:
                record_artifact(
                    session,
                    stored,
                    kind=meta.kind,
                    content_type=meta.content_type,
                    task_id=meta.task_id,
                    lot_id=meta.lot_id,
                    created_at=meta.created_at,
                    expires_at=meta.expires_at,
                    run_id=meta.run_id,
                    alias_path=meta.alias_path,
                )
        except BaseException:
            self._store.delete(stored.path)
            raise
        return stored

    def abort(self) -> None:
        self._writer.abort()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._writer.abort()


def open_indexed_writer(
    store: ArtifactBackend,
    engine: Engine,
    path: str,
    meta: ArtifactMeta,
    before_commit: Callable[[], None] | None = None,
) -> IndexedArtifactWriter:
    return IndexedArtifactWriter(store, engine, path, meta, before_commit)
