"""The generator is deterministic and plants what the models must find."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from gaveurs.farm.generator import FarmData, generate_farm


def per_lot(farm: FarmData) -> dict[int, dict[str, float]]:
    lots = farm.table("lots_gavage")
    gavage = farm.table("gavage_data_lots")
    lot_ids = np.asarray(gavage.column("lot_id"))
    facts = {}
    for index, lot_id in enumerate(lots.column("id")):
        rows = lot_ids == lot_id
        facts[int(lot_id)] = {
            "dose_kg": float(np.asarray(gavage.column("dose_moyenne_g"))[rows].sum() / 1000),
            "temperature": float(np.asarray(gavage.column("temperature_stabule_c"))[rows].mean()),
            "initial_kg": float(lots.column("poids_moyen_initial_g")[index]) / 1000,
            "liver": lots.column("poids_foie_moyen_g")[index],
            "mortality": 100
            * lots.column("nb_canards_morts")[index]
            / lots.column("nb_canards_places")[index],
            "status": lots.column("statut")[index],
        }
    return facts


def test_same_seed_same_farm_other_seed_other_farm(small_farm: FarmData) -> None:
    again = generate_farm("small")
    assert again.truths == small_farm.truths
    for mine, theirs in zip(small_farm.tables, again.tables, strict=True):
        assert list(mine.rows()) == list(theirs.rows()), mine.name
    other = generate_farm("small", seed=7)
    assert list(other.table("gavage_data_lots").column("dose_moyenne_g")) != list(
        small_farm.table("gavage_data_lots").column("dose_moyenne_g")
    )


def test_the_seed_example_lot_is_an_ordinary_slaughtered_lot(small_farm: FarmData) -> None:
    facts = per_lot(small_farm)
    assert facts[3472]["status"] == "abattu"
    assert 3472 not in small_farm.truths.anomalous_lot_ids


def test_lot_codes_and_volumes(small_farm: FarmData) -> None:
    lots = small_farm.table("lots_gavage")
    codes = list(lots.column("code_lot"))
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"(LL|LS|MT)\d{4}\d{3}", code) for code in codes)
    assert Counter(lots.column("statut").tolist())["abattu"] >= 250
    counts = small_farm.truths.counts
    assert counts["gavage_data_lots"] > 20 * 400 and counts["sensor_samples"] > 10_000


def test_demo_volume_matches_the_domain_brief() -> None:
    counts = generate_farm("demo").truths.counts
    assert counts["lots_gavage"] == 2000 and counts["gaveurs"] == 60
    assert 45_000 <= counts["gavage_data_lots"] <= 55_000
    assert 450_000 <= counts["sensor_samples"] <= 550_000


def test_planted_formula_holds_on_the_generated_rows(small_farm: FarmData) -> None:
    truths = small_farm.truths
    facts = per_lot(small_farm)
    finished = {i: f for i, f in facts.items() if f["liver"] is not None}
    normal = [f for i, f in finished.items() if i not in truths.anomalous_lot_ids]
    residuals = np.array(
        [f["liver"] - truths.liver_weight(f["dose_kg"], f["initial_kg"], f["temperature"]) for f in normal]
    )
    assert abs(residuals.mean()) < 1.5
    assert abs(residuals.std() - truths.liver.noise_sigma_g) < 1.0
    assert 400 < np.median([f["liver"] for f in normal]) < 700


def test_planted_anomalies_stand_out(small_farm: FarmData) -> None:
    truths = small_farm.truths
    facts = per_lot(small_farm)
    finished = [i for i, f in facts.items() if f["liver"] is not None]
    assert 0.01 <= len(truths.anomalous_lot_ids) / len(finished) <= 0.03
    for lot_id in truths.anomalous_lot_ids:
        f = facts[lot_id]
        assert f["mortality"] >= 10
        assert f["liver"] < 0.7 * truths.liver_weight(f["dose_kg"], f["initial_kg"], f["temperature"])
