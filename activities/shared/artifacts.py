"""Undoing a task's files: a cancelled export leaves nothing behind, not even a finished file."""

from __future__ import annotations

from sqlalchemy import select
from temporalio import activity

from gaveurs.artifacts import ArtifactStore, UnsafeArtifactPath
from gaveurs.db.models import Artifact
from gaveurs.db.session import session_scope
from gaveurs.settings import get_settings


@activity.defn(name="discard_task_artifacts")
def discard_task_artifacts(task_id: str) -> int:
    """Delete the files and index rows a task recorded; idempotent. Returns how many it removed."""
    store = ArtifactStore(get_settings().artifact_dir)
    with session_scope() as session:
        rows = session.scalars(select(Artifact).where(Artifact.task_id == task_id)).all()
        for row in rows:
            try:
                store.resolve(row.path).unlink(missing_ok=True)
            except UnsafeArtifactPath:
                activity.logger.warning("not deleting %r: outside the artifact store", row.path)
            session.delete(row)
        return len(rows)
