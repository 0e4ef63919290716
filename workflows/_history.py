"""Recording a trained model in the ML history table, keyed by this workflow run (so retries update it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.shared.ml_history import MlResultRecord, record_ml_result
    from workflows._options import DB_WRITE, execute


async def record_history(
    task_name: str,
    *,
    engine: str,
    summary: str,
    metrics: dict[str, Any],
    payload: dict[str, Any],
    created_at: datetime,
    lot_id: int | None = None,
    site_code: str | None = None,
) -> None:
    info = workflow.info()
    record = MlResultRecord(
        task_name=task_name,
        workflow_id=info.workflow_id,
        run_id=info.run_id,
        lot_id=lot_id,
        site_code=site_code,
        engine=engine,
        summary=summary,
        metrics=metrics,
        payload=payload,
        created_at=created_at,
    )
    await execute(record_ml_result, record, DB_WRITE)
