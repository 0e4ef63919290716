"""Catalogue rows of the ML tasks (queues `ml_heavy` and `ml_light`)."""

from __future__ import annotations

from datetime import timedelta

from gaveurs.catalogue.spec import TaskSpec, options_suffix
from gaveurs.contracts.ml import (
    AnomalyDetectionResult,
    DetectAnomaliesInput,
    SymbolicRegressionResult,
    TrainSymbolicRegressionInput,
)
from gaveurs.queues import TaskQueue
from gaveurs.search_attributes import lot_and_site

TRAIN_PYSR = TaskSpec(
    name="train_pysr_async",
    queue=TaskQueue.ML_HEAVY,
    input=TrainSymbolicRegressionInput,
    result=SymbolicRegressionResult,
    started_message="PySR training started",
    execution_timeout=timedelta(hours=3),
    example=TrainSymbolicRegressionInput(lot_id=3472),
    id_prefix="train-pysr",
    work_id=lambda p: f"train-pysr-lot-{p.lot_id}{options_suffix(p, exclude={'lot_id'})}",
    attributes=lambda p: lot_and_site(lot_id=p.lot_id),
    echo=("lot_id",),
)

DETECT_ANOMALIES = TaskSpec(
    name="detect_anomalies_async",
    queue=TaskQueue.ML_LIGHT,
    input=DetectAnomaliesInput,
    result=AnomalyDetectionResult,
    started_message="Anomaly detection started",
    execution_timeout=timedelta(minutes=30),
    example=DetectAnomaliesInput(site_code="LL"),
    id_prefix="detect-anomalies",
    work_id=lambda p: f"detect-anomalies-{p.site_code or 'all'}{options_suffix(p, exclude={'site_code'})}",
    attributes=lambda p: lot_and_site(site_code=p.site_code),
    echo=("site_code",),
)
