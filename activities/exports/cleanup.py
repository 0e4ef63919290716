"""Undoing an export run: a cancelled (or failed) export leaves no file, no index row and no staged part."""

from __future__ import annotations

from temporalio import activity

from gaveurs.artifact_records import delete_task_artifacts
from gaveurs.artifacts import open_store
from gaveurs.contracts.export_runs import ExportRun
from gaveurs.db.session import session_scope
from gaveurs.exports.tables import discard_batch_parts
from gaveurs.settings import get_settings


@activity.defn(name="discard_export_run")
def discard_export_run(run: ExportRun) -> int:
    """Delete the files and index rows this run published, and its batch staging area; idempotent.

    Only this run's: earlier runs of the same work keep their files (the seed's alias then serves the newest
    of them again). Returns how many published files were removed.
    """
    store = open_store(get_settings())
    with session_scope() as session:
        removed = delete_task_artifacts(session, store, run.task_id, run.run_id)
    discard_batch_parts(store, run.task_id, run.run_id)
    if removed:
        activity.logger.info("discarded %d file(s) of %s: %s", len(removed), run.task_id, ", ".join(removed))
    return len(removed)
