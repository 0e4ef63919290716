"""Anomaly detection on the generated farms: the planted anomalous lots come back, critical and explained."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError

from gaveurs.contracts.ml import LotAnomaly
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm import queries
from gaveurs.farm.truths import PlantedTruths
from gaveurs.ml.anomalies import critical_by_site, detect_anomalies, summarize_by_site
from gaveurs.ml.anomalies_data import load_lot_kpis

REASON = re.compile(
    r"^[a-zA-Zéè ]+ -?\d+(\.\d+)?( %| g)? \(norme du site -?\d+(\.\d+)?( %| g)?(, ×\d+\.\d+)?\)$"
)


def recall_precision(found: list[LotAnomaly], planted: tuple[int, ...]) -> tuple[float, float]:
    ids = {a.lot_id for a in found}
    hits = len(ids & set(planted))
    return hits / len(planted), hits / max(len(ids), 1)


def check(engine: Engine, planted: tuple[int, ...]) -> None:
    with session_scope(engine) as session:
        everything = load_lot_kpis(session, None)
        per_site = {site: load_lot_kpis(session, site) for site in queries.site_codes(session)}
    together = detect_anomalies(everything)
    one_by_one = [a for kpis in per_site.values() for a in detect_anomalies(kpis)]
    for found in (together, one_by_one):
        recall, precision = recall_precision(found, planted)
        assert recall >= 0.9 and precision >= 0.8, (recall, precision)
        # The planted lots are several times the site's norm: they are the critical ones.
        assert {a.lot_id for a in found if a.severity == "critical"} == set(planted)
        for anomaly in found:
            assert anomaly.reasons and all(REASON.match(r) for r in anomaly.reasons), anomaly.reasons
            assert all(
                r.startswith(d.label) for r, d in zip(anomaly.reasons, anomaly.deviations, strict=True)
            )
    summary = summarize_by_site(everything, together)
    assert sum(s.n_lots for s in summary) == len(everything)
    assert sorted(i for s in summary for i in s.critical_lot_ids) == sorted(planted)
    alerts = critical_by_site(together)
    assert sorted(a.lot_id for lots in alerts.values() for a in lots) == sorted(planted)


def test_small_farm_on_both_backends(farm_engine: Engine, small_truths: PlantedTruths) -> None:
    check(farm_engine, small_truths.anomalous_lot_ids)


def test_demo_farm(demo_engine: Engine) -> None:
    with session_scope(demo_engine) as session:
        truths = queries.planted_truths(session)
    assert truths is not None
    check(demo_engine, tuple(truths["anomalous_lot_ids"]))


def test_a_reason_names_the_kpi_and_its_distance_to_the_site_norm(
    farm_engine: Engine, small_truths: PlantedTruths
) -> None:
    with session_scope(farm_engine) as session:
        kpis = load_lot_kpis(session, "LL")
    found = detect_anomalies(kpis)
    lot = next(a for a in found if a.lot_id in small_truths.anomalous_lot_ids)
    mortality = next(d for d in lot.deviations if d.kpi == "mortalite_pct")
    site = [k.mortalite_pct for k in kpis]
    assert mortality.site_norm == pytest.approx(sorted(site)[len(site) // 2], abs=0.1)
    assert mortality.ratio == pytest.approx(lot.mortalite_pct / mortality.site_norm, rel=0.01)
    assert f"mortalité {lot.mortalite_pct:.1f} % (norme du site {mortality.site_norm:.1f} %, ×" in " ".join(
        lot.reasons
    )


def test_unknown_site(farm_engine: Engine) -> None:
    with session_scope(farm_engine) as session, pytest.raises(ApplicationError) as unknown:
        load_lot_kpis(session, "ZZ")
    assert unknown.value.type == "SiteNotFound" and unknown.value.non_retryable
    assert "site ZZ not found" in str(unknown.value)


def test_too_few_lots(database_url: str) -> None:
    empty = make_engine(database_url)
    try:
        with session_scope(empty) as session, pytest.raises(ApplicationError) as few:
            load_lot_kpis(session, None)
    finally:
        empty.dispose()
    assert few.value.type == "InsufficientData" and "only 0 finished lots" in str(few.value)
