"""`GET /api/ml/history`: past ML runs and their metrics, so this month's model can be compared with last's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from api.deps import SessionDep
from gaveurs.catalogue import UnknownTask, find_task
from gaveurs.contracts.ml import MlHistoryQuery
from gaveurs.contracts.ml_runs import MlHistoryAnswer
from gaveurs.ml.history import list_ml_results

router = APIRouter()


@router.get("/history", response_model=MlHistoryAnswer)
def ml_history(
    session: SessionDep,
    task: Annotated[
        str | None,
        Query(
            max_length=200, description="the seed's task name (or its Celery name), e.g. train_prophet_async"
        ),
    ] = None,
    site_code: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$", description="LL, LS, MT")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    include_payload: Annotated[
        bool, Query(description="each run's whole stored result (can be large)")
    ] = False,
) -> MlHistoryAnswer:
    """Runs newest first; `metrics` holds each run's figures (R², MAPE, silhouette, cost ratio…)."""
    task_name = None
    if task is not None:
        try:
            task_name = find_task(task).name
        except UnknownTask as error:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=[{"loc": ["query", "task"], "msg": str(error), "type": "unknown_task"}],
            ) from error
    query = MlHistoryQuery(
        task_name=task_name, site_code=site_code, limit=limit, include_payload=include_payload
    )
    runs = list_ml_results(session, query)
    return MlHistoryAnswer(task=task_name, site_code=site_code, limit=limit, count=len(runs), runs=runs)
