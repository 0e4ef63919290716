"""Activities of train_pysr_async: check the cohort, then load it and fit a formula in a child process.

The training set is loaded inside the fitting activity rather than passed from a loading step: it grows with
the farm, and whatever one activity hands another is written into the workflow's history (twice).
"""

from __future__ import annotations

import asyncio

from temporalio import activity

from activities.shared.child_process import run_in_child_process
from activities.shared.progress import last_checkpoint
from gaveurs.contracts.ml import (
    SymbolicCheckpoint,
    SymbolicFit,
    SymbolicFitRequest,
    TrainingSet,
    TrainingSetSummary,
    TrainSymbolicRegressionInput,
)
from gaveurs.db.session import session_scope
from gaveurs.errors import EngineUnavailable, InsufficientData, LotNotFound, SiteNotFound
from gaveurs.farm import queries
from gaveurs.ml.symbolic import EngineNotAvailable, choose_engine, fit_training_set

TARGET = "poids_foie_moyen_g"
# Lots with a sanitary incident do not tell how feeding drives liver weight: leave them out of training.
INCIDENT_MORTALITY_PCT = 8.0
MIN_TRAINING_LOTS = 30


def load_training_set(params: TrainSymbolicRegressionInput) -> TrainingSet:
    with session_scope() as session:
        lot = queries.get_lot(session, params.lot_id)
        if lot is None:
            raise LotNotFound.error(f"lot {params.lot_id} not found", lot_id=params.lot_id)
        if params.site_codes:
            unknown = sorted(set(params.site_codes) - set(queries.site_codes(session)))
            if unknown:
                raise SiteNotFound.error(f"unknown site code(s): {', '.join(unknown)}")
        genetique = params.genetique or lot.genetique
        rows = queries.lot_feature_rows(session, genetique=genetique, site_codes=params.site_codes)
        reference = queries.lot_features_for(session, params.lot_id)
        site_code = lot.site_code

    usable = [row for row in rows if row.mortalite_pct <= INCIDENT_MORTALITY_PCT]
    if len(usable) < MIN_TRAINING_LOTS:
        raise InsufficientData.error(
            f"only {len(usable)} finished lots of genetics {genetique!r} to learn from; "
            f"at least {MIN_TRAINING_LOTS} are needed"
        )
    names = list(queries.FEATURE_NAMES)
    return TrainingSet(
        lot_id=params.lot_id,
        site_code=site_code,
        genetique=genetique,
        target=TARGET,
        feature_names=names,
        rows=[[float(getattr(row, name)) for name in names] for row in usable],
        targets=[float(row.poids_foie_moyen_g) for row in usable],
        reference_features=[float(getattr(reference, name)) for name in names] if reference else None,
        excluded_incident_lots=len(rows) - len(usable),
    )


@activity.defn(name="check_training_set")
def check_training_set(params: TrainSymbolicRegressionInput) -> TrainingSetSummary:
    """Fails fast (LotNotFound, SiteNotFound, InsufficientData) before any search starts."""
    data = load_training_set(params)
    return TrainingSetSummary(
        site_code=data.site_code,
        genetique=data.genetique,
        target=data.target,
        n_lots=len(data.rows),
        excluded_incident_lots=data.excluded_incident_lots,
    )


@activity.defn(name="fit_symbolic_regression")
async def fit_symbolic_regression(params: TrainSymbolicRegressionInput) -> SymbolicFit:
    try:
        engine = choose_engine()
    except EngineNotAvailable as error:
        raise EngineUnavailable.error(str(error)) from error
    training_set = await asyncio.to_thread(load_training_set, params)
    resume = last_checkpoint(SymbolicCheckpoint)
    request = SymbolicFitRequest(
        training_set=training_set, engine=engine, restarts=params.restarts, generations=params.generations
    )
    return await run_in_child_process(
        fit_training_set,
        request,
        stage=f"recherche {engine} : démarrage",
        resume=resume.model_dump() if resume else None,
    )
