"""Rows of the `artifacts` table, the index of the files in the artifact store.

A retried activity rewrites the same file, so recording it must be an upsert keyed by path: the row then
describes the bytes on disk now (size, sha256, time, owning task) instead of failing on the unique constraint.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from gaveurs.artifacts import StoredFile
from gaveurs.db.models import Artifact


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
) -> Artifact:
    """Insert or update the row for `stored.path` in the caller's transaction, and return it."""
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
    }
    # populate_existing: an Artifact already in this session's identity map must show the new values.
    statement = _upsert(session.get_bind().dialect.name, values)
    return session.scalars(statement, execution_options={"populate_existing": True}).one()


def _upsert(dialect: str, values: dict[str, Any]) -> ReturningInsert[Artifact]:
    # ON CONFLICT rather than select-then-insert: two runs rendering the same report the same day may race,
    # and only the database can make "insert unless present" atomic.
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
    return session.scalars(select(Artifact).where(Artifact.path == path)).one_or_none()
