"""Activity of detect_anomalies_async: KPIs straight from SQL, the forest in a child process, anomalies back."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel
from temporalio import activity

from activities.shared.child_process import run_in_child_process
from gaveurs.child_process import Reporter
from gaveurs.contracts.ml import DetectAnomaliesInput, LotAnomaly, LotKpis
from gaveurs.db.session import session_scope
from gaveurs.faults import pause_point
from gaveurs.ml.anomalies import detect_anomalies
from gaveurs.ml.anomalies_data import load_lot_kpis


class ScoredLots(BaseModel):
    n_lots: int
    anomalies: list[LotAnomaly]


class ForestRequest(BaseModel):
    kpis: list[LotKpis]
    contamination: float


def score_in_child(request: ForestRequest, reporter: Reporter) -> ScoredLots:
    """Child-process target: the Isolation Forest over already loaded KPIs."""
    reporter(10, "Isolation Forest")
    pause_point("score_lot_anomalies.forest", lambda: reporter(10, "Isolation Forest"))

    def progress(percent: int, stage: str) -> None:
        reporter(10 + 90 * percent // 100, stage)

    anomalies = detect_anomalies(request.kpis, contamination=request.contamination, on_progress=progress)
    return ScoredLots(n_lots=len(request.kpis), anomalies=anomalies)


def load_kpis(params: DetectAnomaliesInput) -> list[LotKpis]:
    """SiteNotFound for an unknown site, InsufficientData below the lots a site norm needs."""
    with session_scope() as session:
        return load_lot_kpis(session, params.site_code)


@activity.defn(name="score_lot_anomalies")
async def score_lot_anomalies(params: DetectAnomaliesInput) -> ScoredLots:
    kpis = await asyncio.to_thread(load_kpis, params)
    return await run_in_child_process(
        score_in_child,
        ForestRequest(kpis=kpis, contamination=params.contamination),
        stage="indicateurs chargés",
    )
