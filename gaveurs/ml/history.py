"""Past ML runs, as the ML history table holds them (one row per workflow run, written by the tasks)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from gaveurs.contracts.ml import MlHistoryEntry, MlHistoryQuery
from gaveurs.db.models import MlResult


def _utc(moment: datetime) -> datetime:
    # SQLite hands timestamps back naive (they are stored as UTC); PostgreSQL hands them back aware.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def list_ml_results(session: Session, query: MlHistoryQuery) -> list[MlHistoryEntry]:
    """Runs of `query.task_name` at `query.site_code` (each filter optional), newest first, at most `limit`."""
    statement = select(MlResult).order_by(MlResult.created_at.desc(), MlResult.id.desc()).limit(query.limit)
    if query.task_name is not None:
        statement = statement.where(MlResult.task_name == query.task_name)
    if query.site_code is not None:
        statement = statement.where(MlResult.site_code == query.site_code)
    if not query.include_payload:
        statement = statement.options(defer(MlResult.payload))  # forecasts and anomaly lists can be large
    return [
        MlHistoryEntry(
            id=row.id,
            task_name=row.task_name,
            workflow_id=row.workflow_id,
            run_id=row.run_id,
            lot_id=row.lot_id,
            site_code=row.site_code,
            engine=row.engine,
            summary=row.summary,
            metrics=row.metrics,
            payload=row.payload if query.include_payload else None,
            created_at=_utc(row.created_at),
        )
        for row in session.scalars(statement)
    ]
