"""Activity of backup_database_task: dump (or copy), checksum, verify and rotate, in a child process.

The dump runs in the child process and pg_dump in a grandchild that dies with it, so cancelling the task
kills the dump itself. Whatever the run had written (its tagged temporary file, or a finished backup not yet
verified) is then deleted before the cancel completes: a REVOKED backup leaves no file behind.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel
from temporalio import activity

from activities.shared.child_process import run_in_child_process
from gaveurs.child_process import Reporter
from gaveurs.contracts.maintenance import BackupDatabaseResult, BackupStep
from gaveurs.errors import BackupDumpFailed
from gaveurs.maintenance.backup import BackupFailed, backup_database, discard_backup_run
from gaveurs.settings import Settings, get_settings


class BackupJob(BaseModel):
    settings: Settings
    step: BackupStep


def backup_job(job: BackupJob, reporter: Reporter) -> BackupDatabaseResult:
    settings, step = job.settings, job.step
    try:
        return backup_database(
            settings.database_url,
            settings.backup_dir,
            keep_daily=step.keep_daily or settings.backup_keep_daily,
            now=step.now,
            pg_dump=settings.pg_dump_bin,
            pg_restore=settings.pg_restore_bin,
            run_tag=step.run_tag,
            on_progress=reporter,
        )
    except BackupFailed as error:
        raise BackupDumpFailed.error(str(error)) from None


def _discard(settings: Settings, step: BackupStep, *, finished_too: bool) -> list[str]:
    return discard_backup_run(
        settings.database_url,
        settings.backup_dir,
        now=step.now,
        run_tag=step.run_tag,
        finished_too=finished_too,
    )


@activity.defn(name="backup_database")
async def backup_database_step(step: BackupStep) -> BackupDatabaseResult:
    settings = get_settings()
    # An earlier attempt killed mid-dump (worker lost) left its temporary file: start clean.
    await asyncio.to_thread(_discard, settings, step, finished_too=False)
    try:
        return await run_in_child_process(
            backup_job, BackupJob(settings=settings, step=step), stage="sauvegarde : démarrage"
        )
    except BaseException:
        # Cancelled, timed out or failed (a backup that does not verify): the child is dead by now, and
        # nothing this run wrote may stay, not even a finished file that was never verified.
        removed = await asyncio.to_thread(_discard, settings, step, finished_too=True)
        if removed:
            activity.logger.info("removed what the interrupted backup wrote: %s", ", ".join(removed))
        raise
