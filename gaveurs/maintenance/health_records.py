"""The last health-check result, kept in the database so the API can show it without asking Temporal.

health_check_periodic's activity layer calls `record_health_result` with the workflow's result; a retried
activity of the same run rewrites its own row instead of adding one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from gaveurs.contracts.system import HealthCheckResult
from gaveurs.db.models import HealthCheckRecord
from gaveurs.db.session import session_scope
from gaveurs.maintenance._sql import utc


@dataclass(frozen=True)
class StoredHealthResult:
    workflow_id: str
    run_id: str
    result: HealthCheckResult


def record_health_result(engine: Engine, result: HealthCheckResult, *, workflow_id: str, run_id: str) -> int:
    """Store one run's result (insert, or overwrite the row an earlier attempt wrote); returns its id."""
    values = {
        "status": result.status,
        "checked_at": utc(result.checked_at),
        "result": result.model_dump(mode="json"),
    }
    with session_scope(engine) as session:
        row = session.scalars(
            select(HealthCheckRecord).where(
                HealthCheckRecord.workflow_id == workflow_id, HealthCheckRecord.run_id == run_id
            )
        ).one_or_none()
        if row is None:
            row = HealthCheckRecord(workflow_id=workflow_id, run_id=run_id, **values)
            session.add(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
        session.flush()
        return row.id


def last_health_result(engine: Engine) -> StoredHealthResult | None:
    """The most recent check by `checked_at`, or None before the first one."""
    with session_scope(engine) as session:
        row = session.scalars(
            select(HealthCheckRecord).order_by(
                HealthCheckRecord.checked_at.desc(), HealthCheckRecord.id.desc()
            )
        ).first()
        if row is None:
            return None
        return StoredHealthResult(
            workflow_id=row.workflow_id,
            run_id=row.run_id,
            result=HealthCheckResult.model_validate(row.result),
        )
