"""Anomaly detection as a plain function: planted outliers are found, graded and explained."""

from __future__ import annotations

import numpy as np

from gaveurs.contracts.ml import LotKpis
from gaveurs.ml.anomalies import alert_key, critical_by_site, detect_anomalies, summarize_by_site


def kpis(
    n: int = 300,
    outliers: tuple[int, ...] = (7, 42, 99, 180, 251, 290),
    site: str = "LL",
    mortality: float = 2.5,
    first_id: int = 1000,
) -> list[LotKpis]:
    rng = np.random.default_rng(5)
    lots = []
    for i in range(n):
        odd = i in outliers
        lots.append(
            LotKpis(
                lot_id=first_id + i,
                code_lot=f"{site}2601{i:03d}",
                site_code=site,
                itm=float(rng.normal(26 if odd else 16, 1.0)),
                mortalite_pct=float(rng.normal(18 if odd else mortality, 0.6)),
                poids_foie_moyen_g=float(rng.normal(330 if odd else 550, 25)),
                sqal_score_moyen=None if i % 50 == 0 else float(rng.normal(0.7, 0.05)),
                sqal_reject_pct=None if i % 50 == 0 else float(rng.uniform(0, 5)),
            )
        )
    return lots


def test_planted_outliers_are_found_first_as_critical_with_reasons() -> None:
    progress: list[tuple[int, str]] = []
    found = detect_anomalies(kpis(), contamination=0.02, on_progress=lambda p, s: progress.append((p, s)))
    assert {a.lot_id for a in found} == {1007, 1042, 1099, 1180, 1251, 1290}
    assert all(a.severity == "critical" for a in found)
    assert [a.anomaly_score for a in found] == sorted((a.anomaly_score for a in found), reverse=True)
    top = found[0]
    assert top.reasons[0].startswith("mortalité") and "norme du site" in top.reasons[0]
    assert {d.kpi for d in top.deviations} >= {"mortalite_pct", "itm", "poids_foie_moyen_g"}
    mortality = next(d for d in top.deviations if d.kpi == "mortalite_pct")
    assert mortality.ratio is not None and 5 < mortality.ratio < 9 and mortality.robust_z > 8
    assert f"×{mortality.ratio:.1f}" in top.reasons[0]
    assert [p for p, _ in progress] == sorted(p for p, _ in progress) and progress[-1] == (100, "terminé")


def test_ordinary_lots_are_not_reported_whatever_the_quota() -> None:
    lots = kpis(outliers=())
    for lot in lots:
        lot.sqal_score_moyen = None
        lot.sqal_reject_pct = None
    assert detect_anomalies(lots, contamination=0.05) == []


def test_each_lot_is_judged_against_its_own_site() -> None:
    # MT's lots die more (6 %): 6 % is ordinary there, but six outliers at LL sit at 6 %.
    ll = kpis(outliers=(), site="LL", mortality=2.5)
    mt = kpis(outliers=(), site="MT", mortality=6.0, first_id=5000)
    for index in (3, 60, 120, 200, 240, 280):
        ll[index].mortalite_pct = 6.5
    found = detect_anomalies(ll + mt, contamination=0.02)
    assert {a.lot_id for a in found} == {1003, 1060, 1120, 1200, 1240, 1280}
    assert all("norme du site 2.5 %" in a.reasons[0] for a in found)
    summary = summarize_by_site(ll + mt, found)
    assert [(s.site_code, s.n_lots, s.n_anomalies) for s in summary] == [("LL", 300, 6), ("MT", 300, 0)]
    assert summary[0].n_critical + summary[0].n_warning == 6


def test_summary_alerts_and_their_stable_key() -> None:
    found = detect_anomalies(kpis() + kpis(site="MT", outliers=(5,), first_id=5000), contamination=0.02)
    summary = {s.site_code: s for s in summarize_by_site(kpis() + kpis(site="MT", first_id=5000), found)}
    assert summary["LL"].n_critical == 6 and summary["MT"].critical_lot_ids == [5005]
    alerts = critical_by_site(found)
    assert list(alerts) == ["LL", "MT"] and [a.lot_id for a in alerts["MT"]] == [5005]
    key = alert_key("LL", alerts["LL"])
    assert key == alert_key("LL", list(reversed(alerts["LL"]))) and key.startswith("anomaly-alert-LL-")
    assert key != alert_key("LL", alerts["LL"][:-1])
