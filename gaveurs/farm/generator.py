"""Deterministic synthetic farm: sites, gaveurs, lots and their feeding curves, slaughterhouses.

Everything derives from one seed and a fixed "today" (truths.TODAY), so demo, tests and benchmarks see the
same farm. Quality samples and consumer feedback are in quality.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

import numpy as np

from gaveurs.farm.quality import feedback_table, sensor_table
from gaveurs.farm.tables import Table
from gaveurs.farm.truths import FIRST_DAY, FIRST_LOT_ID, TODAY, PlantedTruths

Size = Literal["demo", "small"]

SITES = (
    ("LL", "Lanne-Lasseube", "Pyrénées-Atlantiques"),
    ("LS", "Lassay-sur-Croisne", "Loir-et-Cher"),
    ("MT", "Montfort-en-Chalosse", "Landes"),
)
PRENOMS = ("Jean", "Marie", "Pierre", "Anne", "Michel", "Sophie", "Alain", "Claire", "Bernard", "Isabelle",
           "Philippe", "Nathalie", "Daniel", "Sylvie", "Laurent", "Céline", "Patrick", "Julie", "Éric", "Hélène")  # fmt: skip
NOMS = ("Lafitte", "Dubos", "Larrieu", "Castaing", "Labat", "Darrigade", "Pédebas", "Lamarque", "Duprat",
        "Bordes", "Lacoste", "Barrère", "Cazenave", "Dufau", "Laborde", "Lalanne", "Sarraute", "Tauzin")  # fmt: skip
ABATTOIRS = (("Abattoir de Chalosse", 5000), ("Abattoir du Béarn", 3500), ("Abattoir de Sologne", 2500),
             ("Abattoir des Landes", 6000))  # fmt: skip


@dataclass(frozen=True)
class SizeSpec:
    lots: int
    gaveurs_per_site: int
    sensor_samples_per_lot: int
    feedback_per_lot: float


SIZES: dict[str, SizeSpec] = {
    "demo": SizeSpec(lots=2000, gaveurs_per_site=20, sensor_samples_per_lot=270, feedback_per_lot=5.0),
    "small": SizeSpec(lots=400, gaveurs_per_site=6, sensor_samples_per_lot=40, feedback_per_lot=3.0),
}
ANOMALY_SHARE = 0.02
PROTECTED_LOT_ID = 3472  # the seed's example lot stays an ordinary, slaughtered lot


@dataclass(frozen=True)
class FarmData:
    truths: PlantedTruths
    tables: tuple[Table, ...]  # in foreign-key order

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)


@dataclass(frozen=True)
class Lots:
    """Per-lot arrays, index i ↔ lot id FIRST_LOT_ID + i."""

    ids: np.ndarray
    site: np.ndarray
    start: np.ndarray  # datetime64[D]
    duration: np.ndarray
    shape: np.ndarray  # feeding-curve exponent: 1 = linear
    liver: np.ndarray  # NaN while still being fed
    status: np.ndarray
    slaughter: np.ndarray  # datetime64[D], NaT unless slaughtered


def _start_days(rng: np.random.Generator, truths: PlantedTruths, n: int) -> np.ndarray:
    days = np.arange(np.datetime64(FIRST_DAY), np.datetime64(TODAY))
    rates = np.array([truths.seasonality.rate(d) for d in days.astype(date)])
    picked = rng.choice(len(days), size=n, p=rates / rates.sum())
    return np.sort(days[picked])


def _site_tables(rng: np.random.Generator, spec: SizeSpec) -> tuple[Table, Table, np.ndarray]:
    sites = Table("sites", ("code", "nom", "region"), tuple(list(col) for col in zip(*SITES, strict=True)))
    n = spec.gaveurs_per_site * len(SITES)
    site_of = np.repeat([code for code, _, _ in SITES], spec.gaveurs_per_site)
    prenoms = rng.choice(PRENOMS, n)
    noms = rng.choice(NOMS, n)
    phones = [f"+336{number:08d}" for number in rng.integers(10_000_000, 99_999_999, n)]
    emails = [
        f"{p.lower()}.{m.lower()}{i}@example.fr".replace("é", "e").replace("è", "e").replace("É", "e")
        for i, (p, m) in enumerate(zip(prenoms, noms, strict=True))
    ]
    gaveurs = Table(
        "gaveurs",
        ("id", "site_code", "nom", "prenom", "telephone", "email"),
        (list(range(1, n + 1)), site_of.tolist(), noms.tolist(), prenoms.tolist(), phones, emails),
    )
    return sites, gaveurs, site_of


def _abattoir_tables(rng: np.random.Generator) -> tuple[Table, Table]:
    abattoirs = Table(
        "abattoirs",
        ("id", "nom", "capacite_journaliere"),
        (list(range(1, len(ABATTOIRS) + 1)), [a for a, _ in ABATTOIRS], [c for _, c in ABATTOIRS]),
    )
    pairs = [(a, s) for a in range(1, len(ABATTOIRS) + 1) for s, _, _ in SITES]
    distance = rng.uniform(15, 320, len(pairs)).round(1)
    routes = Table(
        "abattoir_routes",
        ("id", "abattoir_id", "site_code", "distance_km", "cout_par_canard_eur"),
        (
            list(range(1, len(pairs) + 1)),
            [a for a, _ in pairs],
            [s for _, s in pairs],
            distance.tolist(),
            (0.35 + distance * 0.004).round(3).tolist(),
        ),
    )
    return abattoirs, routes


def _feeding(
    rng: np.random.Generator, n: int, duration: np.ndarray, shape: np.ndarray
) -> dict[str, np.ndarray]:
    """One row per lot × day × meal; doses rise along a per-lot curve dose(t) = a + (b - a)·t^shape."""
    lot_index = np.repeat(np.arange(n), duration * 2)
    offsets = np.concatenate([np.arange(d * 2) for d in duration])
    day = offsets // 2 + 1
    evening = offsets % 2 == 1
    t = (day - 1) / (duration[lot_index] - 1)
    first = rng.normal(210, 15, n)
    last = rng.uniform(360, 520, n)
    curve = first[lot_index] + (last - first)[lot_index] * t ** shape[lot_index]
    dose = curve * np.where(evening, 0.96, 1.0) + rng.normal(0, 5, len(lot_index))
    initial = rng.normal(4500, 250, n).clip(3800, 5300)
    weight = initial[lot_index] * (1 + 0.38 * t) + rng.normal(0, 25, len(lot_index))
    temperature = rng.normal(21, 2.5, n)[lot_index] + rng.normal(0, 0.8, len(lot_index))
    humidity = rng.uniform(55, 80, n)[lot_index] + rng.normal(0, 2, len(lot_index))
    return {
        "lot_index": lot_index, "day": day, "evening": evening, "dose": dose.round(1),
        "weight": weight.round(0), "temperature": temperature.round(2), "humidity": humidity.round(2),
        "initial": initial.round(0),
    }  # fmt: skip


def generate_farm(size: Size = "demo", seed: int = 2026) -> FarmData:
    spec = SIZES[size]
    rng = np.random.default_rng(seed)
    truths = PlantedTruths(size=size, seed=seed)
    sites, gaveurs, gaveur_site = _site_tables(rng, spec)
    abattoirs, routes = _abattoir_tables(rng)

    n = spec.lots
    ids = np.arange(FIRST_LOT_ID, FIRST_LOT_ID + n)
    start = _start_days(rng, truths, n)
    gaveur = rng.integers(1, len(gaveur_site) + 1, n)
    site = gaveur_site[gaveur - 1]
    duration = rng.integers(10, 15, n)
    shape = rng.uniform(0.6, 1.6, n)
    feed = _feeding(rng, n, duration, shape)

    # Feeding rows exist only up to today; the lot is finished when its last day is behind us.
    row_time = start[feed["lot_index"]] + (feed["day"] - 1).astype("timedelta64[D]")
    stamps = row_time.astype("datetime64[s]") + np.where(feed["evening"], 18, 6).astype("timedelta64[h]")
    kept = row_time < np.datetime64(TODAY)
    end = start + duration.astype("timedelta64[D]")
    finished = end <= np.datetime64(TODAY)
    recently = finished & (end > np.datetime64(TODAY) - np.timedelta64(7, "D"))
    status = np.where(~finished, "en_gavage", np.where(recently, "termine", "abattu"))
    slaughter = np.where(
        status == "abattu", end + rng.integers(1, 4, n).astype("timedelta64[D]"), np.datetime64("NaT")
    )
    slaughter = np.where(slaughter > np.datetime64(TODAY), np.datetime64(TODAY), slaughter)

    dose_total_kg = np.bincount(feed["lot_index"], weights=feed["dose"], minlength=n) / 1000
    mean_temperature = np.bincount(feed["lot_index"], weights=feed["temperature"], minlength=n) / (
        duration * 2
    )
    liver = truths.liver(dose_total_kg, feed["initial"] / 1000, mean_temperature) + rng.normal(
        0, truths.liver.noise_sigma_g, n
    )

    candidates = ids[finished & (ids != PROTECTED_LOT_ID)]
    anomalous = np.sort(
        rng.choice(candidates, size=max(1, round(ANOMALY_SHARE * len(candidates))), replace=False)
    )
    is_anomalous = np.isin(ids, anomalous)
    liver = np.where(is_anomalous, liver * rng.uniform(*truths.anomalous_liver_factor, n), liver)
    liver = np.where(finished, liver.round(1), np.nan)
    mortality = np.where(
        is_anomalous,
        rng.uniform(*truths.anomalous_mortality_pct, n),
        rng.uniform(*truths.normal_mortality_pct, n),
    )
    placed = rng.integers(800, 1201, n)
    dead = np.round(placed * mortality / 100).astype(int)

    codes = _lot_codes(site, start)
    lots = Table(
        "lots_gavage",
        ("id", "code_lot", "site_code", "gaveur_id", "genetique", "debut_gavage", "duree_gavage", "statut",
         "nb_canards_places", "nb_canards_morts", "poids_moyen_initial_g", "poids_foie_moyen_g", "date_abattage"),
        (ids, codes, site, gaveur, np.where(rng.random(n) < 0.15, "barbarie", "mulard"), start.astype(date),
         duration, status, placed, dead, feed["initial"], [None if np.isnan(v) else float(v) for v in liver],
         slaughter.astype("datetime64[D]").astype(object).tolist()),
    )  # fmt: skip
    gavage = Table(
        "gavage_data_lots",
        ("id", "lot_id", "jour_gavage", "repas", "dose_moyenne_g", "poids_moyen_g", "temperature_stabule_c",
         "humidite_stabule_pct", "horodatage"),
        (np.arange(1, kept.sum() + 1), ids[feed["lot_index"]][kept], feed["day"][kept],
         np.where(feed["evening"], "soir", "matin")[kept], feed["dose"][kept], feed["weight"][kept],
         feed["temperature"][kept], feed["humidity"][kept], stamps[kept]),
    )  # fmt: skip
    lot_facts = Lots(ids, site, start, duration, shape, liver, status, slaughter.astype("datetime64[D]"))
    sensors, sqal_score = sensor_table(rng, lot_facts, spec.sensor_samples_per_lot)
    feedback = feedback_table(rng, lot_facts, sqal_score, truths.feedback, spec.feedback_per_lot)

    tables = (sites, gaveurs, abattoirs, routes, lots, gavage, sensors, feedback)
    truths = replace(
        truths, anomalous_lot_ids=tuple(int(i) for i in anomalous), counts={t.name: len(t) for t in tables}
    )
    return FarmData(truths=truths, tables=tables)


def _lot_codes(site: np.ndarray, start: np.ndarray) -> list[str]:
    """`LL2601001`: site, yymm of the start, then a sequence per site and month."""
    sequence: dict[tuple[str, str], int] = {}
    codes = []
    for code, day in zip(site.tolist(), start.astype(date).tolist(), strict=True):
        month = day.strftime("%y%m")
        sequence[code, month] = sequence.get((code, month), 0) + 1
        codes.append(f"{code}{month}{sequence[code, month]:03d}")
    return codes
