"""Activities of optimize_feeding_curve_async: check the lot, then load the farm's curves and fit in one child.

The training curves (≈800 KB on the demo farm) are loaded inside the child process that fits on them: they
never cross the workflow's history, and a cancel that kills the process stops the loading as well.
"""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from activities.shared.child_process import run_in_child_process
from gaveurs.child_process import Reporter
from gaveurs.contracts.ml import FeedingCurveResult, OptimizeFeedingCurveInput
from gaveurs.db.models import Lot
from gaveurs.db.session import session_scope
from gaveurs.errors import LotNotFound
from gaveurs.faults import pause_point
from gaveurs.ml.feeding_curve import optimize_feeding_curve
from gaveurs.ml.feeding_curve_data import load_feeding_curve_dataset

LOADED = 5  # percent of the activity spent loading the curves


class FeedingLot(BaseModel):
    lot_id: int
    code_lot: str
    site_code: str


@activity.defn(name="check_feeding_lot")
def check_feeding_lot(params: OptimizeFeedingCurveInput) -> FeedingLot:
    """Fails fast (LotNotFound) before any model is fitted; gives the lot's site for the search attribute."""
    with session_scope() as session:
        lot = session.get(Lot, params.lot_id)
        if lot is None:
            raise LotNotFound.error(f"lot {params.lot_id} not found", lot_id=params.lot_id)
        return FeedingLot(lot_id=lot.id, code_lot=lot.code_lot, site_code=lot.site_code)


def optimize_in_child(params: OptimizeFeedingCurveInput, reporter: Reporter) -> FeedingCurveResult:
    """Child-process target: load the lot and the finished lots' curves, learn, optimise."""
    reporter(1, "chargement des courbes des lots")
    with session_scope() as session:
        dataset = load_feeding_curve_dataset(session, params.lot_id)
    pause_point(
        "optimize_feeding_curve.fit", lambda: reporter(LOADED, "apprentissage des modèles de qualité")
    )

    def progress(percent: int, stage: str) -> None:
        reporter(LOADED + (100 - LOADED) * percent // 100, stage)

    return optimize_feeding_curve(dataset, params.bounds, seed=params.seed, on_progress=progress)


@activity.defn(name="fit_feeding_curve")
async def fit_feeding_curve(params: OptimizeFeedingCurveInput) -> FeedingCurveResult:
    return await run_in_child_process(optimize_in_child, params, stage="chargement des courbes des lots")
