"""The loader and the queries the tasks run, on SQLite and PostgreSQL alike (real SQL, no mocks)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from gaveurs.db.models import (
    Abattoir,
    AbattoirRoute,
    ConsumerFeedback,
    GavageData,
    Gaveur,
    Lot,
    SensorSample,
    Site,
)
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm import queries
from gaveurs.farm.generator import FarmData
from gaveurs.farm.loader import FarmNotEmpty, farm_is_empty, load_farm
from gaveurs.farm.truths import TODAY, PlantedTruths
from tests.fixtures_db import LoadedFarms, postgres_or_skip
from tests.test_farm_generator import LotFacts, per_lot

MODELS = {
    "sites": Site, "gaveurs": Gaveur, "abattoirs": Abattoir, "abattoir_routes": AbattoirRoute, "lots_gavage": Lot,
    "gavage_data_lots": GavageData, "sensor_samples": SensorSample, "consumer_feedbacks": ConsumerFeedback,
}  # fmt: skip


@pytest.fixture(scope="module")
def facts(small_farm: FarmData) -> dict[int, LotFacts]:
    return per_lot(small_farm)


def first_lot(facts: dict[int, LotFacts], status: str) -> LotFacts:
    return next(f for f in facts.values() if f.status == status)


def test_load_round_trips_every_row_and_refuses_a_second_load(
    database_url: str, small_farm: FarmData
) -> None:
    engine = make_engine(database_url)
    try:
        assert farm_is_empty(engine)
        report = load_farm(engine, small_farm)
        assert report.rows == small_farm.truths.counts and report.seconds > 0
        assert not farm_is_empty(engine)
        with session_scope(engine) as session:
            for table, model in MODELS.items():
                assert session.scalar(select(func.count()).select_from(model)) == report.rows[table], table
            sample = session.get(SensorSample, 1)
            assert sample is not None
            lot = session.get(Lot, sample.lot_id)
            assert lot is not None and lot.date_abattage is not None
            # Stamps are UTC on both backends (SQLite hands them back naive, PostgreSQL aware).
            stamp = (
                sample.horodatage if sample.horodatage.tzinfo is None else sample.horodatage.astimezone(UTC)
            )
            assert stamp.date() == lot.date_abattage and 6 <= stamp.hour < 14
            # The loader moved the id sequences on: the ORM can add rows after a bulk load.
            added = ConsumerFeedback(
                lot_id=3472, rating=5, comment="Très bon", email=None, created_at=datetime.now(UTC)
            )
            session.add(added)
            session.flush()
            assert added.id == report.rows["consumer_feedbacks"] + 1
        with pytest.raises(FarmNotEmpty):
            load_farm(engine, small_farm)
    finally:
        engine.dispose()


def test_lookups(farm_engine: Engine, facts: dict[int, LotFacts]) -> None:
    with session_scope(farm_engine) as session:
        assert queries.site_codes(session) == ["LL", "LS", "MT"]
        assert queries.lot_exists(session, 3472) and not queries.lot_exists(session, 999_999)
        lot = queries.get_lot(session, 3472)
        assert lot is not None and lot.statut == "abattu" and lot.code_lot == facts[3472].code
        assert queries.get_lot(session, 3300) is None


def test_feature_rows_equal_the_generators_own_numbers(
    farm_engine: Engine, facts: dict[int, LotFacts]
) -> None:
    with session_scope(farm_engine) as session:
        rows = queries.lot_feature_rows(session, genetique=None, site_codes=None)
        mulard = queries.lot_feature_rows(session, genetique="mulard", site_codes=["LL", "MT"])
    finished = {i for i, f in facts.items() if f.status in {"termine", "abattu"}}
    assert [r.lot_id for r in rows] == sorted(finished)
    for row in rows:
        f = facts[row.lot_id]
        assert (row.code_lot, row.site_code, row.duree_gavage) == (f.code, f.site, f.duration)
        assert row.dose_totale_kg == pytest.approx(f.dose_kg, abs=1e-9)
        assert row.temperature_moyenne_c == pytest.approx(f.temperature, abs=1e-9)
        assert row.humidite_moyenne_pct == pytest.approx(f.humidity, abs=1e-9)
        assert row.poids_initial_kg == pytest.approx(f.initial_kg)
        assert row.poids_foie_moyen_g == pytest.approx(f.liver)
        assert row.mortalite_pct == pytest.approx(f.mortality)
    assert list(queries.FEATURE_NAMES) == [
        "dose_totale_kg", "poids_initial_kg", "temperature_moyenne_c", "humidite_moyenne_pct", "duree_gavage",
    ]  # fmt: skip
    expected = [r.lot_id for r in rows if r.genetique == "mulard" and r.site_code in {"LL", "MT"}]
    assert expected and [r.lot_id for r in mulard] == expected


def test_the_planted_formula_is_recoverable_from_the_database(
    farm_engine: Engine, small_truths: PlantedTruths
) -> None:
    with session_scope(farm_engine) as session:
        rows = queries.lot_feature_rows(session, genetique=None, site_codes=None)
    normal = [r for r in rows if r.lot_id not in small_truths.anomalous_lot_ids]
    design = np.array([[1, r.dose_totale_kg, r.poids_initial_kg, r.temperature_moyenne_c] for r in normal])
    target = np.array([r.poids_foie_moyen_g for r in normal])
    fitted, *_ = np.linalg.lstsq(design, target, rcond=None)
    planted = small_truths.liver
    assert fitted[1:] == pytest.approx(
        [planted.dose_totale_kg, planted.poids_initial_kg, planted.temperature_moyenne_c], abs=2.0
    )
    assert np.std(target - design @ fitted) == pytest.approx(planted.noise_sigma_g, abs=1.0)


def test_features_of_one_lot(farm_engine: Engine, facts: dict[int, LotFacts]) -> None:
    feeding = first_lot(facts, "en_gavage")
    with session_scope(farm_engine) as session:
        row = queries.lot_features_for(session, 3472)
        assert row is not None and row.lot_id == 3472
        assert row.dose_totale_kg == pytest.approx(facts[3472].dose_kg)
        assert queries.lot_features_for(session, feeding.lot_id) is None
        assert queries.lot_features_for(session, 999_999) is None


def test_kpis_separate_planted_anomalies(
    farm_engine: Engine, small_truths: PlantedTruths, facts: dict[int, LotFacts]
) -> None:
    anomalous = set(small_truths.anomalous_lot_ids)
    with session_scope(farm_engine) as session:
        kpis = queries.lot_kpis(session, None)
        ll = queries.lot_kpis(session, "LL")
    assert [k.lot_id for k in kpis] == sorted(i for i, f in facts.items() if f.liver is not None)
    odd = [k for k in kpis if k.lot_id in anomalous]
    normal = [k for k in kpis if k.lot_id not in anomalous]
    assert len(odd) == len(anomalous)
    assert min(k.mortalite_pct for k in odd) > 2.5 * max(k.mortalite_pct for k in normal)
    assert min(k.itm for k in odd) > np.percentile([k.itm for k in normal], 99)
    for k in kpis:
        f = facts[k.lot_id]
        assert f.liver is not None and k.itm == pytest.approx(f.dose_kg / (f.liver / 1000))
        if f.status == "abattu":
            assert k.sqal_score_moyen == pytest.approx(f.sqal_mean)
            assert k.sqal_reject_pct == pytest.approx(f.reject_pct)
        else:
            assert k.sqal_score_moyen is None and k.sqal_reject_pct is None
    assert [k.lot_id for k in ll] == [k.lot_id for k in kpis if k.site_code == "LL"]


def test_report_data_of_the_seed_lot(
    farm_engine: Engine, small_farm: FarmData, facts: dict[int, LotFacts]
) -> None:
    feeding = first_lot(facts, "en_gavage")
    with session_scope(farm_engine) as session:
        report = queries.lot_report_data(session, 3472)
        ongoing = queries.lot_report_data(session, feeding.lot_id)
        assert queries.lot_report_data(session, 999_999) is None
        lot = session.get(Lot, 3472)
        assert lot is not None
        gaveur = session.get(Gaveur, lot.gaveur_id)
        assert gaveur is not None
        site = session.get(Site, lot.site_code)
        assert site is not None
    f = facts[3472]
    assert report is not None and report.statut == "abattu" and report.code_lot == f.code
    assert report.gaveur == f"{gaveur.prenom} {gaveur.nom}" and report.site_nom == site.nom
    assert [(r.jour_gavage, r.repas) for r in report.feeding] == [
        (day, meal) for day in range(1, f.duration + 1) for meal in ("matin", "soir")
    ]
    assert sum(report.sqal_grades.values()) == f.sqal_samples
    assert report.sqal_score_moyen == pytest.approx(f.sqal_mean, abs=1e-4)
    assert report.feedback_count == f.feedbacks and report.feedback_rating_moyen is not None
    assert f.liver is not None and report.itm == pytest.approx(f.dose_kg / (f.liver / 1000), abs=0.01)
    assert ongoing is not None and ongoing.itm is None and ongoing.poids_foie_moyen_g is None
    assert len(ongoing.feeding) == 2 * (TODAY - feeding.start).days < 2 * ongoing.duree_gavage
    assert ongoing.sqal_grades == {} and ongoing.sqal_score_moyen is None and ongoing.feedback_count == 0


def test_sqlite_and_postgres_agree(loaded_farms: LoadedFarms) -> None:
    postgres_or_skip()
    results = []
    for backend in ("sqlite", "postgres"):
        engine = make_engine(loaded_farms.url(backend))
        with session_scope(engine) as session:
            results.append(
                (
                    queries.lot_feature_rows(session, genetique=None, site_codes=None),
                    queries.lot_kpis(session, None),
                    queries.lot_report_data(session, 3472),
                )
            )
        engine.dispose()
    (sqlite_rows, sqlite_kpis, sqlite_report), (pg_rows, pg_kpis, pg_report) = results
    assert len(sqlite_rows) == len(pg_rows) > 250
    for a, b in zip(sqlite_rows, pg_rows, strict=True):
        # Same lots, same facts; float sums may differ in the last bits with the summation order.
        assert (a.lot_id, a.code_lot, a.site_code, a.genetique, a.duree_gavage) == (
            b.lot_id, b.code_lot, b.site_code, b.genetique, b.duree_gavage,
        )  # fmt: skip
        for name in (*queries.FEATURE_NAMES, "mortalite_pct", "poids_foie_moyen_g"):
            assert getattr(a, name) == pytest.approx(getattr(b, name), rel=1e-12), name
    for ka, kb in zip(sqlite_kpis, pg_kpis, strict=True):
        assert (ka.lot_id, ka.code_lot, ka.site_code) == (kb.lot_id, kb.code_lot, kb.site_code)
        for name in ("itm", "mortalite_pct", "poids_foie_moyen_g", "sqal_score_moyen", "sqal_reject_pct"):
            mine, theirs = getattr(ka, name), getattr(kb, name)
            assert mine == theirs if mine is None else mine == pytest.approx(theirs, rel=1e-12), name
    assert sqlite_report == pg_report


def test_cli_loads_only_into_an_empty_database(database_url: str, small_farm: FarmData) -> None:
    command = [sys.executable, "-m", "gaveurs", "demo", "load", "--size", "small", "--if-empty",
               "--database-url", database_url]  # fmt: skip
    first = subprocess.run(command, capture_output=True, text=True, check=True)
    second = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "loaded the small farm" in first.stdout and "nothing loaded" in second.stdout
    without_flag = subprocess.run(command[:-3] + command[-2:], capture_output=True, text=True)
    assert without_flag.returncode != 0 and "already holds lots" in without_flag.stderr
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            assert session.scalar(select(func.count()).select_from(Lot)) == 400
            assert (
                session.scalar(select(func.count()).select_from(SensorSample))
                == (small_farm.truths.counts["sensor_samples"])
            )
    finally:
        engine.dispose()
