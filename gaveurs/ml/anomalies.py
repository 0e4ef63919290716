"""Isolation Forest over lot KPIs, with reasons a person can check against the site's typical lot."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.ensemble import IsolationForest

from gaveurs.contracts.ml import LotAnomaly, LotKpis, Severity

KPI_LABELS = {
    "itm": ("ITM", ""),
    "mortalite_pct": ("mortalité", " %"),
    "poids_foie_moyen_g": ("poids de foie moyen", " g"),
    "sqal_score_moyen": ("score SQAL moyen", ""),
    "sqal_reject_pct": ("rejets SQAL", " %"),
}
# Robust z-score beyond which a KPI is named as a reason, and the bands of severity.
REASON_Z = 3.0
SEVERITY_Z: tuple[tuple[float, Severity], ...] = ((12.0, "critical"), (7.0, "high"), (4.0, "medium"))


def _matrix(kpis: Sequence[LotKpis]) -> np.ndarray:
    columns = []
    for name in KPI_LABELS:
        values = np.array([getattr(k, name) if getattr(k, name) is not None else np.nan for k in kpis], float)
        # Lots without SQAL samples are neither good nor bad on that axis: give them the median.
        median = np.nanmedian(values) if np.isfinite(values).any() else 0.0
        columns.append(np.where(np.isnan(values), median, values))
    return np.column_stack(columns)


def robust_z(matrix: np.ndarray) -> np.ndarray:
    median = np.median(matrix, axis=0)
    mad = np.median(np.abs(matrix - median), axis=0) * 1.4826
    scale = np.where(mad > 1e-9, mad, np.std(matrix, axis=0) + 1e-9)
    z: np.ndarray = (matrix - median) / scale
    return z


def detect_anomalies(kpis: Sequence[LotKpis], *, contamination: float, seed: int = 0) -> list[LotAnomaly]:
    """Flag about `contamination` of the lots; most anomalous first."""
    matrix = _matrix(kpis)
    z = robust_z(matrix)
    forest = IsolationForest(n_estimators=300, contamination=contamination, random_state=seed)
    flagged = forest.fit_predict(z) == -1
    scores = -forest.score_samples(z)
    medians = np.median(matrix, axis=0)

    anomalies = []
    for index in np.flatnonzero(flagged):
        lot = kpis[int(index)]
        strongest = float(np.max(np.abs(z[index])))
        reasons = [
            f"{label} {matrix[index, col]:.1f}{unit} (médiane {medians[col]:.1f}{unit})"
            for col, (label, unit) in enumerate(KPI_LABELS.values())
            if abs(z[index, col]) >= REASON_Z
        ]
        severity: Severity = next((level for bound, level in SEVERITY_Z if strongest >= bound), "low")
        anomalies.append(
            LotAnomaly(
                lot_id=lot.lot_id,
                code_lot=lot.code_lot,
                site_code=lot.site_code,
                anomaly_score=round(float(scores[index]), 4),
                severity=severity,
                reasons=reasons or ["combinaison inhabituelle d'indicateurs"],
                itm=round(lot.itm, 2),
                mortalite_pct=round(lot.mortalite_pct, 2),
            )
        )
    return sorted(anomalies, key=lambda a: -a.anomaly_score)
