"""cleanup_old_celery_tasks (the seed's name): expired artifacts and old task records.

- Expired exports go through the artifact store's own functions (`artifact_records.delete_expired_artifacts`:
  files first, then their index rows, in one transaction, so a crash in between leaves rows whose files are
  gone, which the next run finishes; paths are resolved by the store, which never deletes outside itself).
- Temp files and staging directories that no task has touched for `abandoned_after` (a worker killed
  mid-write leaves them) go with `sweep_abandoned`.
- `ml_results` older than their retention, except the newest row of each (task, lot, site), so the model
  that is currently in use keeps its history line.
- `outbound_messages` (the SMS/e-mail ledger) older than their retention, by reservation time.
- `health_check_results` older than their retention, except the newest.
Every step is idempotent: a second run finds nothing left to delete.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, func, select

from gaveurs.artifact_records import delete_expired_artifacts
from gaveurs.artifacts import ArtifactBackend
from gaveurs.contracts.maintenance import CleanupOldTasksInput, CleanupOldTasksResult
from gaveurs.db.models import Artifact, HealthCheckRecord, MlResult, OutboundMessage
from gaveurs.db.session import session_scope
from gaveurs.maintenance._sql import ProgressCallback, no_progress, utc
from gaveurs.settings import Settings


@dataclass(frozen=True)
class Retention:
    """Days each kind of task record is kept."""

    ml_results_days: int
    outbound_messages_days: int
    health_results_days: int

    @classmethod
    def chosen(cls, params: CleanupOldTasksInput, settings: Settings) -> Retention:
        """The task input's figures where given, the settings' otherwise."""
        return cls(
            ml_results_days=params.ml_results_retention_days or settings.ml_results_retention_days,
            outbound_messages_days=params.outbound_messages_retention_days
            or settings.outbound_messages_retention_days,
            health_results_days=params.health_results_retention_days
            or settings.health_results_retention_days,
        )


def _delete_expired_artifacts(engine: Engine, store: ArtifactBackend, now: datetime) -> tuple[int, int]:
    """(files and rows removed, bytes the index recorded for them)."""
    with session_scope(engine) as session:
        rows = session.execute(select(Artifact.path, Artifact.size_bytes).where(Artifact.expires_at <= now))
        sizes = {path: size for path, size in rows}
        removed = delete_expired_artifacts(session, store, now)
    return len(removed), sum(sizes.get(path, 0) for path in removed)


def _delete_old_ml_results(engine: Engine, cutoff: datetime) -> int:
    with engine.begin() as connection:
        newest = select(func.max(MlResult.id)).group_by(
            MlResult.task_name, MlResult.lot_id, MlResult.site_code
        )
        return int(
            connection.execute(
                delete(MlResult).where(MlResult.created_at < cutoff, MlResult.id.not_in(newest))
            ).rowcount
        )


def _delete_old_outbound_messages(engine: Engine, cutoff: datetime) -> int:
    with engine.begin() as connection:
        return int(
            connection.execute(delete(OutboundMessage).where(OutboundMessage.reserved_at < cutoff)).rowcount
        )


def _delete_old_health_results(engine: Engine, cutoff: datetime) -> int:
    with engine.begin() as connection:
        newest = select(func.max(HealthCheckRecord.id)).scalar_subquery()
        return int(
            connection.execute(
                delete(HealthCheckRecord).where(
                    HealthCheckRecord.checked_at < cutoff, HealthCheckRecord.id != newest
                )
            ).rowcount
        )


def cleanup_old_task_records(
    engine: Engine,
    store: ArtifactBackend,
    retention: Retention,
    *,
    abandoned_after: timedelta = timedelta(hours=24),
    now: datetime | None = None,
    on_progress: ProgressCallback = no_progress,
) -> CleanupOldTasksResult:
    """Delete expired artifacts (files and rows), abandoned temp files, and task records past retention."""
    started = time.perf_counter()
    now = utc(now or datetime.now(UTC))
    on_progress(5, "exports expirés")
    artifacts, bytes_freed = _delete_expired_artifacts(engine, store, now)
    on_progress(40, "fichiers temporaires abandonnés")
    abandoned = store.sweep_abandoned(now - abandoned_after)
    on_progress(60, "historique des modèles")
    ml_results = _delete_old_ml_results(engine, now - timedelta(days=retention.ml_results_days))
    on_progress(75, "journal des SMS et e-mails")
    outbound = _delete_old_outbound_messages(engine, now - timedelta(days=retention.outbound_messages_days))
    on_progress(90, "résultats des contrôles de santé")
    health = _delete_old_health_results(engine, now - timedelta(days=retention.health_results_days))
    on_progress(100, "nettoyage terminé")
    return CleanupOldTasksResult(
        artifacts_deleted=artifacts,
        bytes_freed=bytes_freed,
        abandoned_removed=abandoned,
        ml_results_deleted=ml_results,
        outbound_messages_deleted=outbound,
        health_results_deleted=health,
        duration_s=round(time.perf_counter() - started, 3),
    )
