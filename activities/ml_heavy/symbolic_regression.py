"""Activities of train_pysr_async: load the cohort's features, then fit a formula in a child process."""

from __future__ import annotations

import asyncio
import multiprocessing

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.shared.progress import ProgressReporter
from gaveurs.contracts.ml import SymbolicFit, SymbolicFitRequest, TrainingSet, TrainSymbolicRegressionInput
from gaveurs.db.session import session_scope
from gaveurs.errors import EngineUnavailable, InsufficientData, LotNotFound, SiteNotFound
from gaveurs.farm import queries
from gaveurs.ml.symbolic import EngineNotAvailable, choose_engine
from gaveurs.ml.symbolic_process import child_main

TARGET = "poids_foie_moyen_g"
# Lots with a sanitary incident do not tell how feeding drives liver weight: leave them out of training.
INCIDENT_MORTALITY_PCT = 8.0
MIN_TRAINING_LOTS = 30


@activity.defn(name="load_training_set")
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
        target=TARGET,
        feature_names=names,
        rows=[[float(getattr(row, name)) for name in names] for row in usable],
        targets=[float(row.poids_foie_moyen_g) for row in usable],
        reference_features=[float(getattr(reference, name)) for name in names] if reference else None,
        excluded_incident_lots=len(rows) - len(usable),
    )


@activity.defn(name="fit_symbolic_regression")
async def fit_symbolic_regression(request: SymbolicFitRequest) -> SymbolicFit:
    try:
        engine = choose_engine()
    except EngineNotAvailable as error:
        raise EngineUnavailable.error(str(error)) from error

    reporter = ProgressReporter()
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=child_main, args=(request.model_dump_json(), engine, sender), name="symbolic-fit", daemon=True
    )
    process.start()
    sender.close()
    try:
        await reporter.report(0, f"recherche {engine} : démarrage")
        while True:
            while receiver.poll():
                kind, *payload = receiver.recv()
                if kind == "progress":
                    done, total = payload
                    await reporter.report(
                        100 * done // total, f"recherche {engine} : {done}/{total} terminées", done
                    )
                elif kind == "result":
                    return SymbolicFit.model_validate_json(payload[0])
                else:
                    raise ApplicationError(payload[0], type="SymbolicFitFailed")
            if not process.is_alive() and not receiver.poll():
                raise ApplicationError(
                    f"fitting process exited with code {process.exitcode} before answering",
                    type="SymbolicFitCrashed",
                )
            activity.heartbeat()
            await asyncio.sleep(0.25)
    finally:
        # Reached on success, failure and cancellation alike: the search never outlives the activity.
        if process.is_alive():
            process.kill()
        process.join(timeout=5)
        receiver.close()
