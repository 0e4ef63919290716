"""Activity of detect_anomalies_async: KPIs straight from SQL into the forest; only anomalies travel back."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from gaveurs.contracts.ml import DetectAnomaliesInput, LotAnomaly
from gaveurs.db.session import session_scope
from gaveurs.errors import InsufficientData, SiteNotFound
from gaveurs.farm import queries
from gaveurs.ml.anomalies import detect_anomalies

MIN_LOTS = 20


class ScoredLots(BaseModel):
    n_lots: int
    anomalies: list[LotAnomaly]


@activity.defn(name="score_lot_anomalies")
def score_lot_anomalies(params: DetectAnomaliesInput) -> ScoredLots:
    with session_scope() as session:
        if params.site_code is not None and params.site_code not in queries.site_codes(session):
            raise SiteNotFound.error(f"site {params.site_code} not found")
        kpis = queries.lot_kpis(session, params.site_code)
    activity.heartbeat("kpis loaded", len(kpis))
    if len(kpis) < MIN_LOTS:
        raise InsufficientData.error(
            f"only {len(kpis)} finished lots for site {params.site_code or 'all'}; at least {MIN_LOTS} are needed"
        )
    anomalies = detect_anomalies(kpis, contamination=params.contamination)
    return ScoredLots(n_lots=len(kpis), anomalies=anomalies)
