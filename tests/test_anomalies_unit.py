"""Isolation Forest as a plain function: planted outliers are found and explained."""

from __future__ import annotations

import numpy as np

from gaveurs.contracts.ml import LotKpis
from gaveurs.ml.anomalies import detect_anomalies


def kpis(n: int = 300, outliers: tuple[int, ...] = (7, 42, 99, 180, 251, 290)) -> list[LotKpis]:
    rng = np.random.default_rng(5)
    lots = []
    for i in range(n):
        odd = i in outliers
        lots.append(
            LotKpis(
                lot_id=1000 + i,
                code_lot=f"LL2601{i:03d}",
                site_code="LL",
                itm=float(rng.normal(26 if odd else 16, 1.0)),
                mortalite_pct=float(rng.normal(18 if odd else 2.5, 0.6)),
                poids_foie_moyen_g=float(rng.normal(330 if odd else 550, 25)),
                sqal_score_moyen=None if i % 50 == 0 else float(rng.normal(0.7, 0.05)),
                sqal_reject_pct=None if i % 50 == 0 else float(rng.uniform(0, 5)),
            )
        )
    return lots


def test_planted_outliers_are_found_first_with_reasons() -> None:
    found = detect_anomalies(kpis(), contamination=0.02)
    ids = [a.lot_id for a in found]
    assert set(ids[:6]) == {1007, 1042, 1099, 1180, 1251, 1290}
    assert [a.anomaly_score for a in found] == sorted((a.anomaly_score for a in found), reverse=True)
    top = found[0]
    assert any(reason.startswith("mortalité") for reason in top.reasons)
    assert top.severity in {"high", "critical"}


def test_missing_sqal_values_do_not_break_scoring() -> None:
    lots = kpis(outliers=())
    for lot in lots:
        lot.sqal_score_moyen = None
        lot.sqal_reject_pct = None
    found = detect_anomalies(lots, contamination=0.02)
    assert all(a.severity in {"low", "medium"} for a in found)
