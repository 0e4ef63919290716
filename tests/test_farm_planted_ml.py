"""Truths the generator plants for the ML tasks: gaveur skill levels and the sites' production log."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine

from gaveurs.contracts.ml import SkillLevel
from gaveurs.db.session import session_scope
from gaveurs.farm import queries
from gaveurs.farm.generator import FarmData, Size, generate_farm
from gaveurs.farm.truths import FIRST_DAY, TODAY, PlantedTruths
from tests.test_farm_generator import LotFacts, per_lot


@pytest.fixture(scope="module")
def facts(small_farm: FarmData) -> dict[int, LotFacts]:
    return per_lot(small_farm)


def lot_levels(farm: FarmData) -> dict[int, SkillLevel]:
    lots = farm.table("lots_gavage")
    return {
        int(lot): farm.truths.level_of(int(gaveur))
        for lot, gaveur in zip(lots.column("id"), lots.column("gaveur_id"), strict=True)
    }


@pytest.mark.parametrize(("size", "expected"), [("small", [3, 4, 5, 4, 2]), ("demo", [9, 15, 18, 12, 6])])
def test_every_gaveur_has_one_level_drawn_from_the_seed(size: Size, expected: list[int]) -> None:
    truths = generate_farm(size).truths
    ids = [gaveur for gaveur, _ in truths.gaveur_levels]
    assert ids == list(range(1, truths.counts["gaveurs"] + 1))
    counts = Counter(level for _, level in truths.gaveur_levels)
    assert [counts[level] for level in SkillLevel] == expected
    assert generate_farm(size).truths.gaveur_levels == truths.gaveur_levels
    assert generate_farm(size, seed=7).truths.gaveur_levels != truths.gaveur_levels


def test_levels_have_french_labels_and_an_order() -> None:
    assert [level.label for level in SkillLevel] == [
        "Excellence", "Performant", "Moyen", "En difficulté", "Critique",
    ]  # fmt: skip
    assert [level.rank for level in SkillLevel] == [0, 1, 2, 3, 4]
    assert SkillLevel("en_difficulte") is SkillLevel.STRUGGLING


def test_the_level_changes_the_outcomes_of_the_gaveurs_lots(
    small_farm: FarmData, small_truths: PlantedTruths, facts: dict[int, LotFacts]
) -> None:
    levels = lot_levels(small_farm)
    normal = [
        f for f in facts.values() if f.liver is not None and f.lot_id not in small_truths.anomalous_lot_ids
    ]
    mortality, sqal, temperature = [], [], []
    for level in SkillLevel:
        mine = [f for f in normal if levels[f.lot_id] is level]
        low, high = small_truths.skill.effect(level).mortality_pct
        assert all(low - 0.1 <= f.mortality <= high + 0.1 for f in mine), level
        mortality.append(np.mean([f.mortality for f in mine]))
        sqal.append(np.mean([f.sqal_mean for f in mine if f.sqal_mean is not None]))
        temperature.append(np.mean([f.temperature for f in mine]))
    # Better gaveurs: fewer deaths, better SQAL scores, a cooler barn (so more liver for the same corn).
    assert mortality == sorted(mortality) and mortality[-1] - mortality[0] > 1.2
    assert sqal == sorted(sqal, reverse=True) and sqal[0] - sqal[-1] > 0.06
    assert temperature[-1] - temperature[0] > 1.5


def test_skill_spares_the_planted_anomalies_and_the_seed_lot(
    small_farm: FarmData, small_truths: PlantedTruths, facts: dict[int, LotFacts]
) -> None:
    normal = [
        f for f in facts.values() if f.liver is not None and f.lot_id not in small_truths.anomalous_lot_ids
    ]
    assert max(f.mortality for f in normal) <= 4.1
    assert min(facts[i].mortality for i in small_truths.anomalous_lot_ids) >= 11.5
    assert facts[3472].status == "abattu" and 3472 not in small_truths.anomalous_lot_ids


def test_truths_list_the_levels_as_json(small_truths: PlantedTruths) -> None:
    raw = json.loads(json.dumps(small_truths.as_json()))
    assert raw["gaveur_levels"] == {str(g): level.value for g, level in small_truths.gaveur_levels}
    assert raw["skill"]["effects"]["en_difficulte"]["label"] == "En difficulté"
    assert raw["seasonality"]["livers_per_day"] == small_truths.seasonality.livers_per_day
    printed = subprocess.run(
        [sys.executable, "-m", "gaveurs", "demo", "truths", "--size", "small"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(printed.stdout)["gaveur_levels"] == raw["gaveur_levels"]


def production(farm: FarmData) -> dict[tuple[str, date], int]:
    table = farm.table("site_daily_production")
    days = np.asarray(table.column("jour")).astype(date).tolist()
    return {
        (site, day): int(value)
        for site, day, value in zip(
            table.column("site_code"), days, table.column("foies_produits"), strict=True
        )
    }


def test_the_production_log_follows_the_planted_series(
    small_farm: FarmData, small_truths: PlantedTruths
) -> None:
    rows = production(small_farm)
    season = small_truths.seasonality
    every_day = [FIRST_DAY + timedelta(days=i) for i in range((TODAY - FIRST_DAY).days)]
    assert (
        len(rows)
        == small_truths.counts["site_daily_production"]
        == 3 * sum(d.weekday() != 6 for d in every_day)
    )
    assert all(day.weekday() != 6 and FIRST_DAY <= day < TODAY for _, day in rows)  # closed on Sundays
    log_residual = np.array([np.log(v / season.expected_production(d, s)) for (s, d), v in rows.items()])
    assert abs(log_residual.mean()) < 0.01
    assert log_residual.std() == pytest.approx(season.production_noise_sigma, rel=0.1)
    # The season: mid-November (peak) against May, weekdays against Saturdays, and a trend year on year.
    ll = {d: v for (s, d), v in rows.items() if s == "LL"}

    def mean(days: list[date]) -> float:
        return float(np.mean([ll[d] for d in days if d in ll]))

    def month(year: int, number: int, weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)) -> list[date]:
        return [d for d in every_day if d.year == year and d.month == number and d.weekday() in weekdays]

    assert mean(month(2025, 11)) > 2.0 * mean(month(2025, 5))
    assert mean(month(2025, 5)) == pytest.approx(2 * mean(month(2025, 5, (5,))), rel=0.08)
    assert mean(month(2025, 5)) / mean(month(2024, 5)) == pytest.approx(1.13, abs=0.04)
    shares = {site: sum(v for (s, _), v in rows.items() if s == site) for site in ("LL", "LS", "MT")}
    total = sum(shares.values())
    for site, share in season.site_shares:
        assert shares[site] / total == pytest.approx(share, abs=0.005)


def test_the_production_log_does_not_depend_on_the_size(small_farm: FarmData) -> None:
    assert production(generate_farm("demo")) == production(small_farm)


def test_the_loader_stores_the_planted_truths(farm_engine: Engine, small_truths: PlantedTruths) -> None:
    with session_scope(farm_engine) as session:
        stored = queries.planted_truths(session)
    assert stored == json.loads(json.dumps(small_truths.as_json()))
