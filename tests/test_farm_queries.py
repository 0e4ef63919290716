"""The loader and the queries the tasks run, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from gaveurs.db.models import ConsumerFeedback, GavageData, Lot, SensorSample
from gaveurs.db.session import session_scope
from gaveurs.farm import queries
from gaveurs.farm.generator import FarmData
from gaveurs.farm.loader import farm_is_empty
from tests.test_farm_generator import per_lot


def test_every_row_round_trips(farm_engine: Engine, small_farm: FarmData) -> None:
    counts = small_farm.truths.counts
    with session_scope(farm_engine) as session:
        for model, table in ((Lot, "lots_gavage"), (GavageData, "gavage_data_lots"),
                             (SensorSample, "sensor_samples"), (ConsumerFeedback, "consumer_feedbacks")):  # fmt: skip
            assert session.scalar(select(func.count()).select_from(model)) == counts[table]
        sample = session.get(SensorSample, 1)
        assert sample is not None and sample.horodatage.year >= 2024
        # The loader moved the id sequences on: the ORM can add rows after a bulk load.
        session.add(
            ConsumerFeedback(lot_id=3472, rating=5, comment=None, email=None, created_at=sample.horodatage)
        )
        session.flush()
    assert not farm_is_empty(farm_engine)


def test_feature_rows_equal_the_generators_own_numbers(farm_engine: Engine, small_farm: FarmData) -> None:
    facts = per_lot(small_farm)
    with session_scope(farm_engine) as session:
        rows = queries.lot_feature_rows(session)
        mulard = queries.lot_feature_rows(session, genetique="mulard", site_codes=["LL", "MT"])
    assert len(rows) == sum(1 for f in facts.values() if f["liver"] is not None)
    for row in rows:
        expected = facts[row.lot_id]
        assert row.dose_totale_kg == pytest.approx(expected["dose_kg"])
        assert row.temperature_moyenne_c == pytest.approx(expected["temperature"])
        assert row.poids_foie_moyen_g == pytest.approx(expected["liver"])
        assert row.mortalite_pct == pytest.approx(expected["mortality"])
    assert mulard and all(r.genetique == "mulard" and r.site_code in {"LL", "MT"} for r in mulard)


def test_kpis_separate_planted_anomalies(farm_engine: Engine, small_farm: FarmData) -> None:
    anomalous = set(small_farm.truths.anomalous_lot_ids)
    with session_scope(farm_engine) as session:
        kpis = queries.lot_kpis(session, None)
        ll = queries.lot_kpis(session, "LL")
    odd = [k for k in kpis if k.lot_id in anomalous]
    normal = [k for k in kpis if k.lot_id not in anomalous]
    assert len(odd) == len(anomalous)
    assert min(k.mortalite_pct for k in odd) > 2 * np.median([k.mortalite_pct for k in normal])
    assert np.median([k.itm for k in odd]) > 1.4 * np.median([k.itm for k in normal])
    assert all(k.sqal_score_moyen is None or 0 <= k.sqal_score_moyen <= 1 for k in kpis)
    assert ll and all(k.site_code == "LL" for k in ll)


def test_report_data_of_the_seed_lot(farm_engine: Engine) -> None:
    with session_scope(farm_engine) as session:
        report = queries.lot_report_data(session, 3472)
        assert queries.lot_report_data(session, 999_999) is None
        assert queries.lot_features_for(session, 3472) is not None
        assert queries.site_codes(session) == ["LL", "LS", "MT"]
    assert report is not None and report.statut == "abattu"
    assert len(report.feeding) == 2 * report.duree_gavage
    assert [(r.jour_gavage, r.repas) for r in report.feeding[:2]] == [(1, "matin"), (1, "soir")]
    assert sum(report.sqal_grades.values()) > 0 and report.itm is not None


def test_sqlite_and_postgres_agree(small_farm: FarmData, tmp_path: Path) -> None:
    from gaveurs.db.migrate import upgrade
    from gaveurs.db.session import make_engine
    from gaveurs.farm.loader import load_farm
    from tests.fixtures_db import drop_postgres_database, make_postgres_database, postgres_or_skip

    postgres_or_skip()
    results = []
    pg_url = make_postgres_database()
    try:
        for url in (f"sqlite:///{tmp_path / 'a.db'}", pg_url):
            upgrade(url)
            engine = make_engine(url)
            load_farm(engine, small_farm)
            with session_scope(engine) as session:
                results.append((queries.lot_feature_rows(session), queries.lot_kpis(session, None)))
            engine.dispose()
    finally:
        drop_postgres_database(pg_url)
    (sqlite_rows, sqlite_kpis), (pg_rows, pg_kpis) = results
    assert [r.lot_id for r in sqlite_rows] == [r.lot_id for r in pg_rows]
    for a, b in zip(sqlite_rows, pg_rows, strict=True):
        assert a.dose_totale_kg == pytest.approx(b.dose_totale_kg) and a.mortalite_pct == pytest.approx(
            b.mortalite_pct
        )
    for a, b in zip(sqlite_kpis, pg_kpis, strict=True):
        assert a.itm == pytest.approx(b.itm) and a.sqal_reject_pct == pytest.approx(b.sqal_reject_pct)


def test_cli_loads_only_into_an_empty_database(database_url: str) -> None:
    command = [
        sys.executable,
        "-m",
        "gaveurs",
        "demo",
        "load",
        "--size",
        "small",
        "--if-empty",
        "--database-url",
        database_url,
    ]
    first = subprocess.run(command, capture_output=True, text=True, check=True)
    second = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "loaded the small farm" in first.stdout
    assert "nothing loaded" in second.stdout
