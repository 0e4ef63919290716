"""The ML history listing on SQLite and PostgreSQL: filters, newest first, limit, payload on request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from gaveurs.contracts.ml import MlHistoryQuery
from gaveurs.db.models import MlResult
from gaveurs.db.session import make_engine, session_scope
from gaveurs.ml.history import list_ml_results

START = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
RUNS = [  # (task, site, days after START)
    ("train_prophet_async", "LL", 0), ("train_prophet_async", "LS", 1), ("detect_anomalies_async", "LL", 2),
    ("train_prophet_async", "LL", 30), ("cluster_gaveurs_async", None, 31), ("train_prophet_async", "LL", 61),
]  # fmt: skip


def test_listing(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            for number, (task, site, days) in enumerate(RUNS):
                session.add(
                    MlResult(
                        task_name=task, workflow_id=f"{task}-{number}", run_id=f"run-{number}", lot_id=None,
                        site_code=site, engine="prophet", summary=f"run {number}", metrics={"mape_pct": number},
                        payload={"forecast": [number] * 3}, created_at=START + timedelta(days=days),
                    )
                )  # fmt: skip
        with session_scope(engine) as session:
            prophet_ll = list_ml_results(
                session, MlHistoryQuery(task_name="train_prophet_async", site_code="LL")
            )
            everything = list_ml_results(session, MlHistoryQuery())
            two = list_ml_results(session, MlHistoryQuery(limit=2, include_payload=True))
            none = list_ml_results(session, MlHistoryQuery(task_name="train_pysr_async"))
    finally:
        engine.dispose()
    assert [r.summary for r in prophet_ll] == ["run 5", "run 3", "run 0"]
    assert [r.metrics["mape_pct"] for r in prophet_ll] == [5, 3, 0]
    assert (
        prophet_ll[0].created_at == START + timedelta(days=61) and prophet_ll[0].created_at.tzinfo is not None
    )
    assert all(r.payload is None for r in everything) and len(everything) == 6
    assert [r.summary for r in everything] == [f"run {n}" for n in (5, 4, 3, 2, 1, 0)]
    assert [r.workflow_id for r in two] == ["train_prophet_async-5", "cluster_gaveurs_async-4"]
    assert two[0].payload == {"forecast": [5, 5, 5]} and two[1].site_code is None
    assert none == []


def test_limit_is_bounded() -> None:
    for limit in (0, 501):
        with pytest.raises(ValidationError):
            MlHistoryQuery(limit=limit)
