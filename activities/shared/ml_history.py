"""The ML history table: one row per trained model, written idempotently per workflow run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from temporalio import activity

from gaveurs.db.models import MlResult
from gaveurs.db.session import session_scope


class MlResultRecord(BaseModel):
    task_name: str
    workflow_id: str
    run_id: str
    lot_id: int | None
    site_code: str | None
    engine: str
    summary: str
    metrics: dict[str, Any]
    payload: dict[str, Any]
    created_at: datetime


@activity.defn(name="record_ml_result")
def record_ml_result(record: MlResultRecord) -> int:
    """Insert, or update the row a previous attempt of the same run already wrote; returns its id."""
    with session_scope() as session:
        row = session.scalars(
            select(MlResult).where(
                MlResult.workflow_id == record.workflow_id, MlResult.run_id == record.run_id
            )
        ).one_or_none()
        if row is None:
            row = MlResult(**record.model_dump())
            session.add(row)
        else:
            for field, value in record.model_dump().items():
                setattr(row, field, value)
        session.flush()
        return row.id
