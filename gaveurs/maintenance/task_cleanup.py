"""cleanup_old_celery_tasks (the seed's name): expired artifacts and old task records.

- Artifacts whose `expires_at` has passed: the file goes first, then its row, so a crash in between leaves a
  row whose file is already missing, which the next run finishes. Paths are resolved through
  `ArtifactStore.resolve`, which refuses anything that would leave the artifact directory: such a row is
  left alone and reported (a person should look at how it got there), and nothing outside is ever deleted.
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

from gaveurs.artifacts import ArtifactStore, UnsafeArtifactPath
from gaveurs.contracts.maintenance import CleanupOldTasksInput, CleanupOldTasksResult
from gaveurs.db.models import Artifact, HealthCheckRecord, MlResult, OutboundMessage
from gaveurs.maintenance._sql import ProgressCallback, no_progress, utc
from gaveurs.settings import Settings

_ARTIFACT_BATCH = 500


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


@dataclass
class _ArtifactTally:
    rows: int = 0
    files: int = 0
    bytes_freed: int = 0
    missing: int = 0


def _delete_expired_artifacts(
    engine: Engine, store: ArtifactStore, now: datetime, unsafe: list[str]
) -> _ArtifactTally:
    tally = _ArtifactTally()
    after = 0
    while True:
        with engine.begin() as connection:
            expired = connection.execute(
                select(Artifact.id, Artifact.path)
                .where(Artifact.expires_at.is_not(None), Artifact.expires_at < now, Artifact.id > after)
                .order_by(Artifact.id)
                .limit(_ARTIFACT_BATCH)
            ).all()
            if not expired:
                return tally
            after = expired[-1].id
            gone: list[int] = []
            for artifact_id, relative in expired:
                try:
                    target = store.resolve(relative)
                except UnsafeArtifactPath:
                    unsafe.append(relative)
                    continue
                try:
                    size = target.stat().st_size
                    target.unlink()
                    tally.files += 1
                    tally.bytes_freed += size
                except FileNotFoundError:
                    tally.missing += 1
                gone.append(artifact_id)
            if gone:
                tally.rows += connection.execute(delete(Artifact).where(Artifact.id.in_(gone))).rowcount
        # Committed per batch: a file deleted above never outlives its row by more than one batch.


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
    store: ArtifactStore,
    retention: Retention,
    *,
    now: datetime | None = None,
    on_progress: ProgressCallback = no_progress,
) -> CleanupOldTasksResult:
    """Delete expired artifacts (files and rows) and task records past retention; returns the counts."""
    started = time.perf_counter()
    now = utc(now or datetime.now(UTC))
    unsafe: list[str] = []
    on_progress(5, "exports expirés")
    artifacts = _delete_expired_artifacts(engine, store, now, unsafe)
    on_progress(60, "historique des modèles")
    ml_results = _delete_old_ml_results(engine, now - timedelta(days=retention.ml_results_days))
    on_progress(75, "journal des SMS et e-mails")
    outbound = _delete_old_outbound_messages(engine, now - timedelta(days=retention.outbound_messages_days))
    on_progress(90, "résultats des contrôles de santé")
    health = _delete_old_health_results(engine, now - timedelta(days=retention.health_results_days))
    on_progress(100, "nettoyage terminé")
    return CleanupOldTasksResult(
        artifacts_deleted=artifacts.rows,
        files_deleted=artifacts.files,
        bytes_freed=artifacts.bytes_freed,
        files_already_missing=artifacts.missing,
        unsafe_paths=unsafe,
        ml_results_deleted=ml_results,
        outbound_messages_deleted=outbound,
        health_results_deleted=health,
        duration_s=round(time.perf_counter() - started, 3),
    )
