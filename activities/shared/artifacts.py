"""Undoing a task's files: a cancelled export leaves nothing behind, not even a finished file."""

from __future__ import annotations

from temporalio import activity

from gaveurs.artifact_records import delete_task_artifacts
from gaveurs.artifacts import open_store
from gaveurs.db.session import session_scope
from gaveurs.settings import get_settings


@activity.defn(name="discard_task_artifacts")
def discard_task_artifacts(task_id: str) -> int:
    """Delete the files and index rows a task recorded; idempotent. Returns how many it removed.

    The export tasks use `discard_export_run` (activities/exports/cleanup.py), which also drops a batch's
    staged parts; both delete through `delete_task_artifacts` (files first, then rows).
    """
    with session_scope() as session:
        return len(delete_task_artifacts(session, open_store(get_settings()), task_id))
