"""The ML tasks through the API on the running stack (SQLite and PostgreSQL): the issue's quality bars.

Each task runs on the small generated farm the stack loaded and is judged against what the generator planted:
Prophet MAPE ≤ 10 % at 30 days, anomaly recall ≥ 0.9 at precision ≥ 0.8, clustering ARI ≥ 0.6, a feeding
curve that scores better and keeps every bound, a slaughter plan no dearer than the greedy one that keeps
every capacity. (The symbolic regression's R² ≥ 0.95 is tests/test_seed_examples.py's first example.)
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import select

from gaveurs.db.models import AbattagePlan, AbattagePlanItem, Abattoir, Gaveur, Lot
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm.truths import PlantedTruths
from gaveurs.search_attributes import LOT_ID, QUEUE, SITE_CODE, TASK_NAME
from tests.fixtures_stack import Stack
from tests.waiting import status_of, wait_for_end

TIMEOUT = 240.0


def run_task(api: httpx.Client, url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Start through a named route, wait for the end; (the submit answer, the final status)."""
    submitted = api.post(url)
    assert submitted.status_code == 200, submitted.text
    body: dict[str, Any] = submitted.json()
    assert body["status"] == "submitted" and body["task_id"].startswith(body["workflow_id"] + ".")
    done = wait_for_end(api, body["task_id"], timeout=TIMEOUT)
    assert done["status"] == "SUCCESS", f"{done['status']}: {done['error']}"
    assert done["progress"] == 100 and done["result"]["status"] == "success"
    return body, done


def attributes(stack: Stack, done: dict[str, Any]) -> dict[str, Any]:
    async def describe() -> dict[str, Any]:
        client = await stack.client()
        handle = client.get_workflow_handle(done["workflow_id"], run_id=done["run_id"])
        found = (await handle.describe()).typed_search_attributes
        return {key.name: found.get(key) for key in (TASK_NAME, QUEUE, LOT_ID, SITE_CODE)}

    return asyncio.run(describe())


def lot_site(stack: Stack, lot_id: int) -> str:
    engine = make_engine(stack.database_url)
    try:
        with session_scope(engine) as session:
            lot = session.get(Lot, lot_id)
            assert lot is not None
            return lot.site_code
    finally:
        engine.dispose()


def test_feeding_curve_scores_better_within_every_bound(api: httpx.Client, stack: Stack) -> None:
    body, done = run_task(api, "/api/tasks/ml/feeding-curve/optimize?lot_id=3472")
    assert body["lot_id"] == 3472 and body["workflow_id"] == "optimize-feeding-curve-lot-3472"
    assert body["message"] == "Feeding curve optimization started"
    assert attributes(stack, done) == {
        "TaskName": "optimize_feeding_curve_async",
        "Queue": "ml_heavy",
        "LotId": 3472,
        "SiteCode": lot_site(stack, 3472),
    }
    result = done["result"]
    assert result["lot_id"] == 3472 and result["expected_improvement"] > 0
    predicted = result["predicted_optimized"]["quality_score"] - result["predicted_actual"]["quality_score"]
    assert result["expected_improvement"] == pytest.approx(predicted, abs=0.011)
    assert 0 < result["confidence"] <= 1 and result["key_factors"]

    bounds, curve = result["bounds"], result["optimized_curve"]
    daily = np.array([d["matin"] + d["soir"] for d in curve])
    assert [d["jour"] for d in curve] == list(range(1, len(curve) + 1)) and len(curve) >= 10
    assert np.all(np.diff(daily) >= -0.2), f"not a monotone ramp: {daily}"
    assert np.diff(daily).max() <= bounds["max_daily_increase_g"] + 0.2
    assert daily.max() <= bounds["max_daily_dose_g"] + 0.2
    assert bounds["min_first_dose_g"] - 0.2 <= daily[0] <= bounds["max_first_dose_g"] + 0.2
    assert bounds["min_total_corn_kg"] - 0.002 <= daily.sum() / 1000 <= bounds["max_total_corn_kg"] + 0.002
    # The run is stamped with the workflow's time, not the child process's clock.
    assert datetime.fromisoformat(result["optimized_at"]) <= datetime.fromisoformat(done["completed_at"])


def test_unknown_lot_fails_fast_without_fitting(api: httpx.Client) -> None:
    body = api.post("/api/tasks/ml/feeding-curve/optimize?lot_id=999999").json()
    done = wait_for_end(api, body["task_id"], timeout=60)
    assert done["status"] == "FAILURE" and done["error"] == "LotNotFound: lot 999999 not found"


@pytest.mark.parametrize("site", ["LL", "LS", "MT"])
def test_prophet_within_ten_percent_at_thirty_days(
    api: httpx.Client, stack: Stack, small_truths: PlantedTruths, site: str
) -> None:
    body, done = run_task(api, f"/api/tasks/ml/prophet/train?site_code={site}&horizon_days=30")
    assert (body["site_code"], body["horizon_days"]) == (site, 30)
    assert attributes(stack, done) == {
        "TaskName": "train_prophet_async",
        "Queue": "ml_light",
        "LotId": None,
        "SiteCode": site,
    }
    result = done["result"]
    assert result["site_code"] == site and result["horizon_days"] == 30 and len(result["forecast"]) == 30
    assert result["mape_pct"] <= 10  # back-test on the held-out last 30 days
    open_days = [f for f in result["forecast"] if not f["closed"]]
    planted = np.array(
        [small_truths.seasonality.expected_production(date.fromisoformat(f["date"]), site) for f in open_days]
    )
    forecast = np.array([f["forecast"] for f in open_days])
    assert float(np.mean(np.abs(forecast - planted) / planted)) * 100 <= 10  # against the planted series
    assert result["confidence_lower"] == [f["confidence_lower"] for f in result["forecast"]]
    assert result["trend"]["direction"] in {"hausse", "stable", "baisse"}


def test_anomalies_recall_and_precision_on_the_planted_lots(
    api: httpx.Client, small_truths: PlantedTruths
) -> None:
    _, done = run_task(api, "/api/tasks/ml/anomalies/detect")
    found = {a["lot_id"] for a in done["result"]["anomalies"]}
    planted = set(small_truths.anomalous_lot_ids)
    recall, precision = len(found & planted) / len(planted), len(found & planted) / len(found)
    assert recall >= 0.9 and precision >= 0.8, (recall, precision)
    critical = {a["lot_id"] for a in done["result"]["anomalies"] if a["severity"] == "critical"}
    assert critical == planted
    assert all(a["reasons"] for a in done["result"]["anomalies"])


def test_clustering_recovers_the_planted_skill_and_writes_the_segments_back(
    api: httpx.Client, stack: Stack
) -> None:
    body, done = run_task(api, "/api/tasks/ml/clustering/run")
    assert body["workflow_id"] == "cluster-gaveurs"
    result = done["result"]
    assert result["adjusted_rand_index"] >= 0.6 and result["silhouette_score"] > 0.3
    assert [c["label"] for c in result["clusters"]] == [
        "Excellence",
        "Performant",
        "Moyen",
        "En difficulté",
        "Critique",
    ]
    trained_at = datetime.fromisoformat(result["trained_at"])
    engine = make_engine(stack.database_url)
    try:
        with session_scope(engine) as session:
            stored = {g.id: (g.segment, g.segment_updated_at) for g in session.scalars(select(Gaveur))}
    finally:
        engine.dispose()
    assert len(stored) == len(result["gaveurs"])
    for gaveur in result["gaveurs"]:
        segment, updated = stored[gaveur["gaveur_id"]]
        assert segment == gaveur["segment"]
        assert updated is not None
        assert (updated if updated.tzinfo else updated.replace(tzinfo=UTC)) == trained_at


def planning_window(stack: Stack, truths: PlantedTruths) -> tuple[date, date]:
    engine = make_engine(stack.database_url)
    try:
        with session_scope(engine) as session:
            last_end = max(
                lot.debut_gavage + timedelta(days=lot.duree_gavage)
                for lot in session.scalars(select(Lot).where(Lot.statut == "en_gavage"))
            )
    finally:
        engine.dispose()
    return truths.today, last_end + timedelta(days=truths.slaughter.delay_days[1])


def test_planning_is_no_dearer_than_greedy_keeps_capacities_and_is_stored(
    api: httpx.Client, stack: Stack, small_truths: PlantedTruths
) -> None:
    start, end = planning_window(stack, small_truths)
    today = small_truths.today.isoformat()
    body, done = run_task(
        api,
        f"/api/tasks/ml/abattage/optimize?date_debut={start}&date_fin={end}&today={today}&capacity_share=0.3",
    )
    assert (body["date_debut"], body["date_fin"]) == (start.isoformat(), end.isoformat())
    result = done["result"]
    assert result["greedy_cost"] is not None and result["total_cost"] <= result["greedy_cost"] + 0.01
    assert result["optimization_ratio"] >= 1.0 and result["n_lots"] == len(result["planning"]) > 0

    engine = make_engine(stack.database_url)
    try:
        with session_scope(engine) as session:
            capacity = {a.id: int(a.capacite_journaliere * 0.3) for a in session.scalars(select(Abattoir))}
            plan = session.scalars(select(AbattagePlan).where(AbattagePlan.plan_key == done["task_id"])).one()
            items = session.scalars(select(AbattagePlanItem).where(AbattagePlanItem.plan_id == plan.id)).all()
            plan_id, plan_cost = plan.id, plan.total_cost
            stored = sorted((i.lot_id, i.abattoir_id, i.date_abattage) for i in items)
    finally:
        engine.dispose()
    load: Counter[tuple[int, str]] = Counter()
    for item in result["planning"]:
        load[item["abattoir_id"], item["date_abattage"]] += item["nb_canards"]
        assert start.isoformat() <= item["date_abattage"] <= end.isoformat()
    assert all(ducks <= capacity[abattoir] for (abattoir, _), ducks in load.items()), load
    assert len({item["lot_id"] for item in result["planning"]}) == result["n_lots"]
    # Stored under this run's task_id, as returned.
    assert result["plan_key"] == done["task_id"] and result["plan_id"] == plan_id
    assert plan_cost == result["total_cost"]
    assert stored == sorted(
        (i["lot_id"], i["abattoir_id"], date.fromisoformat(i["date_abattage"])) for i in result["planning"]
    )


def test_planning_refuses_impossible_input(api: httpx.Client, small_truths: PlantedTruths) -> None:
    reversed_dates = api.post("/api/tasks/ml/abattage/optimize?date_debut=2026-11-10&date_fin=2026-11-01")
    assert reversed_dates.status_code == 422
    assert reversed_dates.json()["message"] == "date_debut 2026-11-10 est après date_fin 2026-11-01"

    today = small_truths.today
    url = (
        f"/api/tasks/ml/abattage/optimize?date_debut={today}&date_fin={today + timedelta(days=20)}"
        f"&today={today}&capacity_share=0.01"
    )
    body = api.post(url).json()
    done = wait_for_end(api, body["task_id"], timeout=60)
    assert done["status"] == "FAILURE"
    assert done["error"].startswith("InsufficientCapacity: capacité insuffisante")


def test_bad_ml_parameters_are_422(api: httpx.Client) -> None:
    cases = {
        "/api/tasks/ml/prophet/train?site_code=LL&horizon_days=45": "horizon_days",
        "/api/tasks/ml/prophet/train?site_code=lille": "site_code",
        "/api/tasks/ml/feeding-curve/optimize?lot_id=0": "lot_id",
        "/api/tasks/ml/clustering/run?min_lots=0": "min_lots",
        "/api/tasks/ml/abattage/optimize?date_debut=2026-11-01": "date_fin",
        "/api/tasks/ml/abattage/optimize?date_debut=2026-01-01&date_fin=2026-12-31": "fenêtre de 365 jours",
        "/api/tasks/ml/retrain-all?site_codes=LL&site_codes=LL": "site_codes",
        "/api/tasks/ml/retrain-all?horizons=14": "horizons",
    }
    for url, words in cases.items():
        response = api.post(url)
        assert response.status_code == 422, url
        assert response.json()["message"].startswith(words), (url, response.json())


def test_the_generic_route_runs_an_ml_task_by_its_celery_name(api: httpx.Client) -> None:
    submitted = api.post(
        "/api/tasks/run/app.tasks.ml_tasks.train_prophet_async", json={"site_code": "MT", "horizon_days": 7}
    )
    assert submitted.status_code == 200, submitted.text
    done = wait_for_end(api, submitted.json()["task_id"], timeout=TIMEOUT)
    assert done["status"] == "SUCCESS" and len(done["result"]["forecast"]) == 7
    assert status_of(api, submitted.json()["workflow_id"])["task_name"] == "train_prophet_async"
