"""The generator is deterministic and plants what the models must find (no database here)."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import phonenumbers
import pytest

from gaveurs.farm.generator import FarmData, generate_farm
from gaveurs.farm.truths import FIRST_LOT_ID, TODAY, PlantedTruths


@dataclass(frozen=True)
class LotFacts:
    """What one lot looks like in the generated tables, aggregated the way the SQL does."""

    lot_id: int
    code: str
    site: str
    status: str
    start: date
    duration: int
    slaughter: date | None
    rows: int
    dose_kg: float
    temperature: float
    humidity: float
    initial_kg: float
    liver: float | None
    mortality: float
    sqal_samples: int
    sqal_mean: float | None
    reject_pct: float | None
    feedbacks: int


def as_array(farm: FarmData, table: str, column: str) -> np.ndarray:
    return np.asarray(farm.table(table).column(column))


def per_lot(farm: FarmData) -> dict[int, LotFacts]:
    lots = farm.table("lots_gavage")
    n = len(lots)

    def sums(table: str, column: str | None = None) -> np.ndarray:
        index = as_array(farm, table, "lot_id") - FIRST_LOT_ID
        weights = None if column is None else as_array(farm, table, column).astype(float)
        return np.bincount(index, weights=weights, minlength=n)

    rows = sums("gavage_data_lots")
    samples = sums("sensor_samples")
    rejects = np.bincount(
        as_array(farm, "sensor_samples", "lot_id") - FIRST_LOT_ID,
        weights=(as_array(farm, "sensor_samples", "fusion_final_grade") == "REJECT").astype(float),
        minlength=n,
    )
    score = sums("sensor_samples", "fusion_final_score")
    dose, temperature = (
        sums("gavage_data_lots", "dose_moyenne_g"),
        sums("gavage_data_lots", "temperature_stabule_c"),
    )
    humidity, feedbacks = sums("gavage_data_lots", "humidite_stabule_pct"), sums("consumer_feedbacks")
    slaughter = as_array(farm, "lots_gavage", "date_abattage")
    facts = {}
    for i, lot_id in enumerate(as_array(farm, "lots_gavage", "id").tolist()):
        liver = lots.column("poids_foie_moyen_g")[i]
        facts[lot_id] = LotFacts(
            lot_id=lot_id,
            code=str(lots.column("code_lot")[i]),
            site=str(lots.column("site_code")[i]),
            status=str(lots.column("statut")[i]),
            start=as_array(farm, "lots_gavage", "debut_gavage")[i].astype(date),
            duration=int(lots.column("duree_gavage")[i]),
            slaughter=None if np.isnat(slaughter[i]) else slaughter[i].astype(date),
            rows=int(rows[i]),
            dose_kg=dose[i] / 1000,
            temperature=temperature[i] / rows[i],
            humidity=humidity[i] / rows[i],
            initial_kg=float(lots.column("poids_moyen_initial_g")[i]) / 1000,
            liver=liver,
            mortality=100
            * int(lots.column("nb_canards_morts")[i])
            / int(lots.column("nb_canards_places")[i]),
            sqal_samples=int(samples[i]),
            sqal_mean=score[i] / samples[i] if samples[i] else None,
            reject_pct=100 * rejects[i] / samples[i] if samples[i] else None,
            feedbacks=int(feedbacks[i]),
        )
    return facts


@pytest.fixture(scope="module")
def demo_farm() -> FarmData:
    return generate_farm("demo")


@pytest.fixture(scope="module")
def small_facts(small_farm: FarmData) -> dict[int, LotFacts]:
    return per_lot(small_farm)


def test_same_seed_same_farm_other_seed_other_farm(small_farm: FarmData) -> None:
    again = generate_farm("small")
    assert again.truths == small_farm.truths
    for mine, theirs in zip(small_farm.tables, again.tables, strict=True):
        assert list(mine.rows()) == list(theirs.rows()), mine.name
    other = generate_farm("small", seed=7)
    assert other.truths.anomalous_lot_ids != small_farm.truths.anomalous_lot_ids
    assert list(other.table("gavage_data_lots").column("dose_moyenne_g")) != list(
        small_farm.table("gavage_data_lots").column("dose_moyenne_g")
    )


@pytest.mark.parametrize("size", ["small", "demo"])
def test_the_seed_example_lot_is_an_ordinary_slaughtered_lot(size: str, demo_farm: FarmData) -> None:
    farm = demo_farm if size == "demo" else generate_farm("small")
    facts = per_lot(farm)[3472]
    assert facts.status == "abattu" and facts.slaughter is not None and facts.liver is not None
    assert 3472 not in farm.truths.anomalous_lot_ids
    assert facts.rows == 2 * facts.duration and facts.sqal_samples > 0


def test_small_volumes(small_farm: FarmData, small_facts: dict[int, LotFacts]) -> None:
    counts = small_farm.truths.counts
    assert counts["lots_gavage"] == 400 and counts["sites"] == 3
    assert sum(f.liver is not None for f in small_facts.values()) >= 250
    assert 30 <= counts["sensor_samples"] / sum(f.status == "abattu" for f in small_facts.values()) <= 50
    assert counts["gavage_data_lots"] == sum(f.rows for f in small_facts.values())


def test_demo_volumes_match_the_domain_brief(demo_farm: FarmData) -> None:
    counts = demo_farm.truths.counts
    assert counts["lots_gavage"] == 2000 and counts["gaveurs"] == 60 and counts["abattoirs"] == 4
    assert 47_500 <= counts["gavage_data_lots"] <= 50_000
    assert 475_000 <= counts["sensor_samples"] <= 525_000
    assert 8_500 <= counts["consumer_feedbacks"] <= 11_500
    assert Counter(demo_farm.table("gaveurs").column("site_code")) == {"LL": 20, "LS": 20, "MT": 20}


def test_lot_ids_and_codes(small_facts: dict[int, LotFacts]) -> None:
    ordered = sorted(small_facts.values(), key=lambda f: f.lot_id)
    assert ordered[0].lot_id == FIRST_LOT_ID and [f.lot_id for f in ordered] == list(range(3301, 3701))
    assert all(a.start <= b.start for a, b in itertools.pairwise(ordered))
    codes = [f.code for f in ordered]
    assert len(set(codes)) == len(codes)
    for f in ordered:
        assert re.fullmatch(r"(LL|LS|MT)\d{7}", f.code) and f.code[:2] == f.site
        assert f.code[2:6] == f.start.strftime("%y%m")
    sequences: dict[str, list[int]] = {}
    for f in ordered:
        sequences.setdefault(f.code[:6], []).append(int(f.code[6:]))
    assert all(seq == list(range(1, len(seq) + 1)) for seq in sequences.values())


def test_timeline_against_the_fixed_today(small_facts: dict[int, LotFacts]) -> None:
    statuses = Counter(f.status for f in small_facts.values())
    assert statuses["en_gavage"] > 0 and statuses["termine"] > 0 and statuses["abattu"] >= 250
    for f in small_facts.values():
        end = f.start + timedelta(days=f.duration)  # the day after the last meal
        assert date(2024, 1, 1) <= f.start < TODAY and f.start.weekday() != 6  # no starts on Sundays
        assert 10 <= f.duration <= 14
        if f.status == "en_gavage":
            assert end > TODAY and f.liver is None and f.slaughter is None
            assert f.rows == 2 * (TODAY - f.start).days and f.sqal_samples == 0 and f.feedbacks == 0
        elif f.status == "termine":
            assert TODAY - timedelta(days=7) < end <= TODAY and f.liver is not None and f.slaughter is None
            assert f.rows == 2 * f.duration and f.sqal_samples == 0 and f.feedbacks == 0
        else:
            assert f.slaughter is not None and end <= f.slaughter < TODAY and f.liver is not None
            assert f.rows == 2 * f.duration and f.sqal_samples > 0


def test_feeding_rows_follow_a_rising_curve(small_farm: FarmData) -> None:
    lot = as_array(small_farm, "gavage_data_lots", "lot_id")
    day = as_array(small_farm, "gavage_data_lots", "jour_gavage")
    dose = as_array(small_farm, "gavage_data_lots", "dose_moyenne_g")
    meal = as_array(small_farm, "gavage_data_lots", "repas")
    assert set(meal.tolist()) == {"matin", "soir"}
    first = dose[day == 1]
    last_day = np.zeros(lot.max() + 1, dtype=int)
    np.maximum.at(last_day, lot, day)
    last = dose[day == last_day[lot]]
    assert 180 < np.median(first) < 240 and 420 < np.median(last) < 520
    humidity = as_array(small_farm, "gavage_data_lots", "humidite_stabule_pct")
    assert humidity.min() >= 55 and humidity.max() <= 80
    stamps = as_array(small_farm, "gavage_data_lots", "horodatage")
    assert stamps.max() < np.datetime64(TODAY)
    genetics = Counter(small_farm.table("lots_gavage").values("genetique"))
    assert set(genetics) == {"mulard", "barbarie"} and 0.08 < genetics["barbarie"] / 400 < 0.25


def test_planted_formula_holds_on_the_generated_rows(
    small_truths: PlantedTruths, small_facts: dict[int, LotFacts]
) -> None:
    normal = [
        f
        for f in small_facts.values()
        if f.liver is not None and f.lot_id not in small_truths.anomalous_lot_ids
    ]
    residuals = np.array(
        [
            (f.liver or np.nan) - small_truths.liver_weight(f.dose_kg, f.initial_kg, f.temperature)
            for f in normal
        ]
    )
    assert abs(residuals.mean()) < 1.5
    assert abs(residuals.std() - small_truths.noise_sigma_g) < 1.0
    doses = [f.dose_kg for f in normal]
    assert np.percentile(doses, 5) > 6.2 and np.percentile(doses, 95) < 10.5
    livers = [f.liver for f in normal if f.liver is not None]
    assert np.percentile(livers, 2) > 400 and np.percentile(livers, 98) < 700
    # The dataset carries the formula: least squares on the stored aggregates finds the planted coefficients.
    design = np.array([[1, f.dose_kg, f.initial_kg, f.temperature] for f in normal])
    fitted, *_ = np.linalg.lstsq(design, np.array(livers), rcond=None)
    planted = small_truths.liver
    expected = [
        planted.intercept,
        planted.dose_totale_kg,
        planted.poids_initial_kg,
        planted.temperature_moyenne_c,
    ]
    assert fitted[1:] == pytest.approx(expected[1:], abs=2.0)


def test_planted_anomalies_stand_out(small_truths: PlantedTruths, small_facts: dict[int, LotFacts]) -> None:
    anomalous = small_truths.anomalous_lot_ids
    finished = [f for f in small_facts.values() if f.liver is not None]
    assert list(anomalous) == sorted(anomalous) and 3472 not in anomalous
    assert 0.015 <= len(anomalous) / len(finished) <= 0.025
    normal = [f for f in finished if f.lot_id not in anomalous]
    assert all(1.4 <= f.mortality <= 4.1 for f in normal)
    for lot_id in anomalous:
        f = small_facts[lot_id]
        assert f.liver is not None and 11.5 <= f.mortality <= 25.5
        assert f.liver < 0.7 * small_truths.liver_weight(f.dose_kg, f.initial_kg, f.temperature)


def test_seasonality_has_a_weekly_pattern_a_pre_christmas_peak_and_a_trend(demo_farm: FarmData) -> None:
    truths = demo_farm.truths
    starts = as_array(demo_farm, "lots_gavage", "debut_gavage").astype(date).tolist()
    by_month = Counter(d.month for d in starts)
    peak = (by_month[10] + by_month[11]) / 2
    quiet = sum(by_month[m] for m in range(2, 7)) / 5
    assert peak > 1.6 * quiet
    assert not any(d.weekday() == 6 for d in starts)
    assert Counter(d.year for d in starts)[2025] > Counter(d.year for d in starts)[2024]
    # The exposed rate is a true mean: summed over the period it gives the number of lots.
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range((TODAY - date(2024, 1, 1)).days)]
    assert sum(truths.seasonality.expected_starts(d) for d in days) == pytest.approx(2000, rel=1e-3)
    sites = Counter(demo_farm.table("lots_gavage").values("site_code"))
    for code, share in truths.seasonality.site_shares:
        assert sites[code] / 2000 == pytest.approx(share, abs=0.04)


def test_sqal_samples_reward_livers_near_the_target(
    small_farm: FarmData, small_facts: dict[int, LotFacts]
) -> None:
    score = as_array(small_farm, "sensor_samples", "fusion_final_score")
    grades = as_array(small_farm, "sensor_samples", "fusion_final_grade")
    expected = np.select(
        [score >= 0.85, score >= 0.70, score >= 0.55, score >= 0.40], ["A+", "A", "B", "C"], "REJECT"
    )
    assert (grades == expected).all() and score.min() >= 0 and score.max() <= 1
    volume = as_array(small_farm, "sensor_samples", "tof_volume_mm3")
    spectral = as_array(small_farm, "sensor_samples", "spectral_ratio")
    assert np.corrcoef(volume, spectral)[0, 1] > 0.3 and 300_000 < np.median(volume) < 700_000
    devices = set(small_farm.table("sensor_samples").values("device_id"))
    assert devices <= {f"SQAL-{s}-0{i}" for s in ("LL", "LS", "MT") for i in (1, 2)}
    slaughtered = [f for f in small_facts.values() if f.sqal_mean is not None]
    distance = np.array([abs(f.liver - 550) for f in slaughtered if f.liver is not None])
    assert np.corrcoef(distance, [f.sqal_mean for f in slaughtered])[0, 1] < -0.5
    stamps = as_array(small_farm, "sensor_samples", "horodatage")
    lot = as_array(small_farm, "sensor_samples", "lot_id")
    days = {f.lot_id: np.datetime64(f.slaughter) for f in slaughtered if f.slaughter is not None}
    assert all(stamps.astype("datetime64[D]") == np.array([days[i] for i in lot.tolist()]))


def test_feedback_follows_the_planted_rule(small_farm: FarmData, small_facts: dict[int, LotFacts]) -> None:
    rule = small_farm.truths.feedback
    lot = as_array(small_farm, "consumer_feedbacks", "lot_id")
    rating = as_array(small_farm, "consumer_feedbacks", "rating")
    assert set(rating.tolist()) <= {1, 2, 3, 4, 5}
    emails = [e for e in small_farm.table("consumer_feedbacks").column("email") if e is not None]
    assert 0.33 < len(emails) / len(rating) < 0.47 and all(e.endswith("@example.fr") for e in emails)
    sqal = np.array([small_facts[i].sqal_mean for i in lot.tolist()], dtype=float)
    regularity = rule.regularity(np.array([small_farm.curve_shape(i) for i in lot.tolist()]))
    # Both inputs matter, with about the planted weights (rounding and clipping to 1–5 shrink them a little).
    design = np.column_stack([np.ones(len(rating)), sqal, regularity])
    fitted, *_ = np.linalg.lstsq(design, rating.astype(float), rcond=None)
    assert fitted[1] == pytest.approx(4 * rule.weight_sqal, abs=0.8)
    assert fitted[2] == pytest.approx(4 * rule.weight_curve, abs=0.5)
    assert 4 < len(rating) / sum(f.status == "abattu" for f in small_facts.values()) < 6


def test_people_sites_and_slaughterhouses(demo_farm: FarmData) -> None:
    gaveurs = demo_farm.table("gaveurs")
    phones = list(gaveurs.column("telephone"))
    assert len(set(phones)) == len(phones)
    for phone in phones:
        parsed = phonenumbers.parse(phone)
        assert phone.startswith(("+336", "+337")) and phonenumbers.is_valid_number(parsed), phone
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == phone
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.fr", e) for e in gaveurs.column("email"))
    capacities = list(demo_farm.table("abattoirs").column("capacite_journaliere"))
    assert len(capacities) == 4 and all(2000 <= c <= 6000 for c in capacities)
    routes = demo_farm.table("abattoir_routes")
    pairs = set(zip(routes.column("abattoir_id"), routes.column("site_code"), strict=True))
    assert pairs == {(a, s) for a in range(1, 5) for s in ("LL", "LS", "MT")}
    assert all(c > 0 for c in routes.column("cout_par_canard_eur"))


def test_truths_are_json_ready(small_truths: PlantedTruths) -> None:
    raw = small_truths.as_json()
    assert raw["today"] == "2026-11-01" and raw["first_lot_id"] == 3301
    assert raw["anomalous_lot_ids"] == list(small_truths.anomalous_lot_ids)
    assert raw["liver"]["dose_totale_kg"] == 38.5 and raw["counts"]["lots_gavage"] == 400
    assert small_truths.liver_weight(8.0, 4.5, 21.0) == pytest.approx(50 + 38.5 * 8 + 56 * 4.5 - 4.3 * 21)
