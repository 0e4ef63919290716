"""The ML rows of the catalogue: readable ids, search attributes, inputs that refuse what no task can run."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from gaveurs.catalogue import find_task
from gaveurs.catalogue.ml import (
    ABATTAGE_PLANNING,
    ANOMALIES_PERIODIC,
    CLUSTERING,
    FEEDING_CURVE,
    PROPHET,
    RETRAIN_ALL,
)
from gaveurs.contracts.ml import (
    AbattagePlanningInput,
    ClusterGaveursInput,
    OptimizeFeedingCurveInput,
    TrainProphetInput,
)
from gaveurs.contracts.ml_runs import DetectAnomaliesPeriodicInput, RetrainAllInput
from gaveurs.queues import TaskQueue
from gaveurs.search_attributes import LOT_ID, QUEUE, SITE_CODE, TASK_NAME
from gaveurs.task_ids import parse_task_id


def test_ids_read_like_the_work() -> None:
    assert (
        FEEDING_CURVE.workflow_id(OptimizeFeedingCurveInput(lot_id=3472)) == "optimize-feeding-curve-lot-3472"
    )
    assert PROPHET.workflow_id(TrainProphetInput(site_code="LS", horizon_days=90)) == "train-prophet-LS-90d"
    assert CLUSTERING.workflow_id(ClusterGaveursInput()) == "cluster-gaveurs"
    assert ANOMALIES_PERIODIC.workflow_id(DetectAnomaliesPeriodicInput()) == "detect-anomalies-periodic"
    assert RETRAIN_ALL.workflow_id(RetrainAllInput()) == "retrain-all-ml-models"
    window = AbattagePlanningInput(date_debut=date(2026, 11, 2), date_fin=date(2026, 11, 20))
    assert ABATTAGE_PLANNING.workflow_id(window) == "abattage-planning-2026-11-02-2026-11-20"
    other = window.model_copy(update={"capacity_share": 0.5})
    assert ABATTAGE_PLANNING.workflow_id(other).startswith("abattage-planning-2026-11-02-2026-11-20-")
    # A readable id never ends like a task_id's run tag, so a bare id is never mistaken for one run.
    for readable in (PROPHET.workflow_id(TrainProphetInput(site_code="LL")), "cluster-gaveurs"):
        assert parse_task_id(f"{readable}-retrain-0123abcd").run_tag is None


def test_queues_and_search_attributes() -> None:
    assert {spec.queue for spec in (FEEDING_CURVE, ABATTAGE_PLANNING, RETRAIN_ALL)} == {TaskQueue.ML_HEAVY}
    assert {spec.queue for spec in (PROPHET, CLUSTERING, ANOMALIES_PERIODIC)} == {TaskQueue.ML_LIGHT}
    curve = FEEDING_CURVE.search_attributes(OptimizeFeedingCurveInput(lot_id=3472))
    assert (curve.get(TASK_NAME), curve.get(QUEUE), curve.get(LOT_ID)) == (
        "optimize_feeding_curve_async",
        "ml_heavy",
        3472,
    )
    prophet = PROPHET.search_attributes(TrainProphetInput(site_code="MT", horizon_days=7))
    assert prophet.get(SITE_CODE) == "MT" and prophet.get(LOT_ID) is None
    assert find_task("app.tasks.ml_tasks.retrain_all_ml_models_async") is RETRAIN_ALL


def test_retrain_all_starts_with_no_input_at_all() -> None:
    """The monthly schedule starts it as a child with nothing: every field has a default."""
    assert all(not field.is_required() for field in RetrainAllInput.model_fields.values())
    assert RetrainAllInput.model_validate({}) == RETRAIN_ALL.example
    with pytest.raises(ValidationError, match="each value at most once"):
        RetrainAllInput(site_codes=["LL", "LL"])
    with pytest.raises(ValidationError):
        RetrainAllInput(site_codes=["lille"])
    with pytest.raises(ValidationError):
        RetrainAllInput.model_validate({"horizons": [14]})


def test_planning_window_is_checked_by_the_input_model() -> None:
    with pytest.raises(ValidationError, match="date_debut 2026-11-10 est après date_fin 2026-11-01"):
        AbattagePlanningInput(date_debut=date(2026, 11, 10), date_fin=date(2026, 11, 1))
    with pytest.raises(ValidationError, match="au plus 92 jours par plan"):
        AbattagePlanningInput(date_debut=date(2026, 11, 1), date_fin=date(2027, 2, 1))
    assert AbattagePlanningInput(date_debut=date(2026, 11, 1), date_fin=date(2027, 1, 31)).date_fin.month == 1
