"""Anomalous lots: an Isolation Forest over lot KPIs, graded and explained against the site's own norm.

Every KPI is first expressed as a robust z-score within the lot's site (median and MAD of that site's finished
lots), so a site with a warmer climate or a different genetic mix is judged against itself. The forest, fitted
on those scores, ranks how unusual each lot's combination is. A lot is reported when

- one KPI is at least CRITICAL_Z robust deviations off on its bad side (mortality up, ITM up, SQAL score down,
  liver weight either way): `critical`, whatever the forest says (a quota must not hide a dying lot), or
- the forest puts it in its `contamination` share of outliers and a KPI is at least WARNING_Z off: `warning`.

Outliers of the forest without any KPI clearly off are not reported: they could not be explained to anyone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import IsolationForest

from gaveurs.contracts.ml import KpiDeviation, LotAnomaly, LotKpis, Severity, SiteAnomalySummary
from gaveurs.ml.progress import ProgressCallback, no_progress


@dataclass(frozen=True)
class Kpi:
    label: str
    unit: str
    decimals: int
    bad_side: int  # +1: too high is bad, −1: too low is bad, 0: both
    graded: bool  # counts for severity and reasons (reject shares are too skewed to have a "norm")


KPIS: dict[str, Kpi] = {
    "mortalite_pct": Kpi("mortalité", " %", 1, +1, True),
    "itm": Kpi("ITM", "", 1, +1, True),
    "poids_foie_moyen_g": Kpi("poids de foie moyen", " g", 0, 0, True),
    "sqal_score_moyen": Kpi("score SQAL moyen", "", 2, -1, True),
    "sqal_reject_pct": Kpi("rejets SQAL", " %", 1, +1, False),
}
CRITICAL_Z = 8.0
WARNING_Z = 4.0
REASON_Z = 3.0
MAD_TO_SD = 1.4826


def _matrix(kpis: Sequence[LotKpis]) -> np.ndarray:
    """One row per lot, one column per KPI; NaN where a lot has no SQAL samples yet."""
    rows = [[np.nan if getattr(k, name) is None else getattr(k, name) for name in KPIS] for k in kpis]
    return np.array(rows, dtype=float).reshape(len(kpis), len(KPIS))


def _norm_and_scale(values: np.ndarray) -> tuple[float, float]:
    """Median and robust spread of one KPI at one site (NaN, 1 when no lot has it, e.g. no SQAL yet).

    The spread is MAD × 1.4826; where most lots share one value (a reject share of 0), the spread of the
    upper decile; failing that the standard deviation.
    """
    known = values[np.isfinite(values)]
    if len(known) == 0:
        return float("nan"), 1.0
    median = float(np.median(known))
    for spread in (
        MAD_TO_SD * float(np.median(np.abs(known - median))),
        (float(np.percentile(known, 90)) - median) / 1.2816,
        float(np.std(known)),
    ):
        if spread > 1e-9:
            return median, spread
    return median, 1.0


def site_norms(kpis: Sequence[LotKpis]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per lot: its site's median and robust spread of each KPI, and the lot's robust z-scores (0 if unknown)."""
    matrix = _matrix(kpis)
    sites = np.array([k.site_code for k in kpis])
    norm = np.zeros_like(matrix)
    scale = np.ones_like(matrix)
    for site in np.unique(sites):
        rows = sites == site
        for col in range(matrix.shape[1]):
            norm[rows, col], scale[rows, col] = _norm_and_scale(matrix[rows, col])
    z = np.nan_to_num((matrix - norm) / scale, nan=0.0)
    return norm, scale, z


def _format(value: float, kpi: Kpi) -> str:
    return f"{value:.{kpi.decimals}f}{kpi.unit}"


def _reason(deviation: KpiDeviation, kpi: Kpi) -> str:
    norm = f"norme du site {_format(deviation.site_norm, kpi)}"
    if deviation.ratio is not None:
        ratio = deviation.ratio
        norm += f", ×{ratio:.1f}" if ratio >= 2 else f", ×{ratio:.2f}"
    return f"{kpi.label} {_format(deviation.value, kpi)} ({norm})"


def _bad_z(z: np.ndarray) -> np.ndarray:
    """How far each KPI is on its bad side (0 on the good side), graded KPIs only."""
    sides = np.array([kpi.bad_side for kpi in KPIS.values()], dtype=float)
    graded = np.array([kpi.graded for kpi in KPIS.values()])
    bad = np.where(sides == 0, np.abs(z), np.clip(z * sides, 0, None))
    return np.where(graded, bad, 0.0)


def detect_anomalies(
    kpis: Sequence[LotKpis],
    *,
    contamination: float = 0.02,
    seed: int = 0,
    on_progress: ProgressCallback = no_progress,
) -> list[LotAnomaly]:
    """The anomalous lots among `kpis` (one site or several), critical first, then most anomalous first."""
    on_progress(5, "normes des sites")
    matrix = _matrix(kpis)
    norm, _, z = site_norms(kpis)
    bad = _bad_z(z)
    strongest = bad.max(axis=1) if len(kpis) else np.zeros(0)

    on_progress(20, "Isolation Forest")
    forest = IsolationForest(n_estimators=300, contamination=contamination, random_state=seed)
    outlier = forest.fit_predict(z) == -1
    scores = -forest.score_samples(z)

    on_progress(80, "gravité et raisons")
    reported = (strongest >= CRITICAL_Z) | (outlier & (strongest >= WARNING_Z))
    anomalies = []
    for index in np.flatnonzero(reported):
        lot = kpis[int(index)]
        deviations = []
        for col in np.argsort(-bad[index]):
            if bad[index, col] < REASON_Z:
                break
            name, kpi = list(KPIS.items())[col]
            site_norm = float(norm[index, col])
            deviations.append(
                KpiDeviation(
                    kpi=name,
                    label=kpi.label,
                    value=round(float(matrix[index, col]), 4),
                    site_norm=round(site_norm, 4),
                    ratio=round(float(matrix[index, col]) / site_norm, 3) if abs(site_norm) > 1e-9 else None,
                    robust_z=round(float(z[index, col]), 2),
                )
            )
        severity: Severity = "critical" if strongest[index] >= CRITICAL_Z else "warning"
        anomalies.append(
            LotAnomaly(
                lot_id=lot.lot_id,
                code_lot=lot.code_lot,
                site_code=lot.site_code,
                gaveur_id=lot.gaveur_id,
                anomaly_score=round(float(scores[index]), 4),
                severity=severity,
                reasons=[_reason(d, KPIS[d.kpi]) for d in deviations],
                deviations=deviations,
                itm=round(lot.itm, 2),
                mortalite_pct=round(lot.mortalite_pct, 2),
            )
        )
    on_progress(100, "terminé")
    return sorted(anomalies, key=lambda a: (a.severity != "critical", -a.anomaly_score))


def summarize_by_site(kpis: Iterable[LotKpis], anomalies: Iterable[LotAnomaly]) -> list[SiteAnomalySummary]:
    """Counts by severity for every site that has finished lots (sites without anomalies included)."""
    n_lots: dict[str, int] = {}
    for lot in kpis:
        n_lots[lot.site_code] = n_lots.get(lot.site_code, 0) + 1
    found: dict[str, list[LotAnomaly]] = {site: [] for site in n_lots}
    for anomaly in anomalies:
        found.setdefault(anomaly.site_code, []).append(anomaly)
    return [
        SiteAnomalySummary(
            site_code=site,
            n_lots=n_lots.get(site, 0),
            n_anomalies=len(found[site]),
            n_critical=sum(a.severity == "critical" for a in found[site]),
            n_warning=sum(a.severity == "warning" for a in found[site]),
            critical_lot_ids=sorted(a.lot_id for a in found[site] if a.severity == "critical"),
        )
        for site in sorted(found)
    ]


def critical_by_site(anomalies: Iterable[LotAnomaly]) -> dict[str, list[LotAnomaly]]:
    """The critical anomalies to alert on, per site (sites without any are absent)."""
    alerts: dict[str, list[LotAnomaly]] = {}
    for anomaly in anomalies:
        if anomaly.severity == "critical":
            alerts.setdefault(anomaly.site_code, []).append(anomaly)
    return {site: alerts[site] for site in sorted(alerts)}


def alert_key(site_code: str, anomalies: Iterable[LotAnomaly]) -> str:
    """A stable name for the alert about these lots: the same critical lots give the same key on a re-run."""
    lots = ",".join(str(i) for i in sorted({a.lot_id for a in anomalies}))
    return f"anomaly-alert-{site_code}-{hashlib.sha256(lots.encode()).hexdigest()[:12]}"
