"""Deterministic synthetic farm: sites, gaveurs and their skill, lots and their feeding curves, slaughterhouses,
the sites' production log.

Everything derives from one seed and a fixed "today" (truths.TODAY), so demo, tests and benchmarks see the
same farm. SQAL samples and consumer feedback are drawn in quality.py, the columnar Table in tables.py.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np

from gaveurs.contracts.ml import SkillLevel
from gaveurs.farm.managers import site_managers
from gaveurs.farm.quality import feedback_table, sensor_table
from gaveurs.farm.tables import Table
from gaveurs.farm.truths import (
    FIRST_DAY,
    FIRST_LOT_ID,
    PROTECTED_LOT_ID,
    TODAY,
    FeedingCurve,
    GaveurSkill,
    PlantedTruths,
    Seasonality,
)

Size = Literal["demo", "small"]
Array = np.ndarray[Any, Any]

SITES = (
    ("LL", "Lanne-Lasseube", "Pyrénées-Atlantiques"),
    ("LS", "Lalandusse", "Lot-et-Garonne"),
    ("MT", "Montfort-en-Chalosse", "Landes"),
)
PRENOMS = ("Jean", "Marie", "Pierre", "Anne", "Michel", "Sophie", "Alain", "Claire", "Bernard", "Isabelle",
           "Philippe", "Nathalie", "Daniel", "Sylvie", "Laurent", "Céline", "Patrick", "Julie", "Éric", "Hélène")  # fmt: skip
NOMS = ("Lafitte", "Dubos", "Larrieu", "Castaing", "Labat", "Darrigade", "Pédebas", "Lamarque", "Duprat",
        "Bordes", "Lacoste", "Barrère", "Cazenave", "Dufau", "Laborde", "Lalanne", "Sarraute", "Tauzin")  # fmt: skip
ABATTOIRS = (("Abattoir de Chalosse", 5000), ("Abattoir du Béarn", 3500), ("Abattoir de l'Agenais", 2500),
             ("Abattoir des Landes", 6000))  # fmt: skip
STARTS_AT = np.datetime64(FIRST_DAY, "D")
NOW = np.datetime64(TODAY, "D")
RECENT_DAYS = 7  # a lot whose feeding ended less than this ago waits for the slaughterhouse ("termine")
# Skill levels and the production log draw from side streams of the seed: the main stream's draws stay put.
SKILL_STREAM, PRODUCTION_STREAM = 1, 2


@dataclass(frozen=True)
class SizeSpec:
    lots: int
    gaveurs_per_site: int
    sqal_sampled_share: float  # share of the surviving ducks the SQAL line measures


SIZES: dict[str, SizeSpec] = {
    "demo": SizeSpec(lots=2000, gaveurs_per_site=20, sqal_sampled_share=0.27),
    "small": SizeSpec(lots=400, gaveurs_per_site=6, sqal_sampled_share=0.04),
}


@dataclass(frozen=True)
class FarmData:
    truths: PlantedTruths
    tables: tuple[Table, ...]  # in foreign-key order
    # Per-lot feeding-curve exponent (index = lot id − FIRST_LOT_ID): the hidden input of the feedback rule.
    curve_shapes: Array = field(compare=False, repr=False)

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)

    def curve_shape(self, lot_id: int) -> float:
        return float(self.curve_shapes[lot_id - self.truths.first_lot_id])


@dataclass(frozen=True)
class Lots:
    """Per-lot arrays, index i ↔ lot id FIRST_LOT_ID + i (ids ascend with the start day)."""

    ids: Array
    site: Array
    start: Array  # datetime64[D]
    duration: Array
    shape: Array  # feeding-curve exponent: 1 = straight ramp
    placed: Array
    dead: Array
    liver: Array  # NaN while still being fed
    status: Array
    slaughter: Array  # datetime64[D], NaT unless slaughtered
    sqal_offset: Array  # the gaveur's skill, added to the lot's SQAL quality


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _site_tables(rng: np.random.Generator, spec: SizeSpec) -> tuple[Table, Table]:
    sites = Table("sites", ("code", "nom", "region"), tuple(list(col) for col in zip(*SITES, strict=True)))
    n = spec.gaveurs_per_site * len(SITES)
    site_of = np.repeat([code for code, _, _ in SITES], spec.gaveurs_per_site)
    prenoms = rng.choice(PRENOMS, n)
    noms = rng.choice(NOMS, n)
    # French mobiles: 06 xx or 07 3x–7x (07 0x–2x are not allocated); unique subscriber numbers.
    subscribers = rng.choice(40_000_000, n, replace=False)
    phones = [
        f"+336{s:08d}" if s < 20_000_000 else f"+337{3 + (s - 20_000_000) // 4_000_000}{s % 4_000_000:07d}"
        for s in subscribers.tolist()
    ]
    emails = [
        f"{_ascii(p)}.{_ascii(m)}{i}@example.fr".replace(" ", "")
        for i, (p, m) in enumerate(zip(prenoms.tolist(), noms.tolist(), strict=True), start=1)
    ]
    gaveurs = Table(
        "gaveurs",
        ("id", "site_code", "nom", "prenom", "telephone", "email"),
        (list(range(1, n + 1)), site_of.tolist(), noms.tolist(), prenoms.tolist(), phones, emails),
    )
    return sites, gaveurs


def _abattoir_tables(rng: np.random.Generator) -> tuple[Table, Table]:
    abattoirs = Table(
        "abattoirs",
        ("id", "nom", "capacite_journaliere"),
        (list(range(1, len(ABATTOIRS) + 1)), [a for a, _ in ABATTOIRS], [c for _, c in ABATTOIRS]),
    )
    pairs = [(a, s) for a in range(1, len(ABATTOIRS) + 1) for s, _, _ in SITES]
    distance = rng.uniform(15, 320, len(pairs)).round(1)
    # Transport dominates the cost per duck beyond a fixed handling fee.
    cost = 0.35 + distance * 0.004 + rng.normal(0, 0.03, len(pairs))
    routes = Table(
        "abattoir_routes",
        ("id", "abattoir_id", "site_code", "distance_km", "cout_par_canard_eur"),
        (
            list(range(1, len(pairs) + 1)),
            [a for a, _ in pairs],
            [s for _, s in pairs],
            distance.tolist(),
            cost.round(3).tolist(),
        ),
    )
    return abattoirs, routes


def _skill_levels(seed: int, skill: GaveurSkill, gaveurs: int) -> list[SkillLevel]:
    """Each gaveur's planted level (index i ↔ gaveur id i + 1): the level counts, shuffled."""
    levels = [level for (level, _), count in zip(skill.effects, skill.counts(gaveurs), strict=True)
              for _ in range(count)]  # fmt: skip
    order = np.random.default_rng([seed, SKILL_STREAM]).permutation(gaveurs)
    return [levels[i] for i in order.tolist()]


def _production_table(seed: int, seasonality: Seasonality) -> Table:
    """The sites' production log: livers out of each processing line per open day, around the planted mean."""
    rng = np.random.default_rng([seed, PRODUCTION_STREAM])
    days = [FIRST_DAY + timedelta(days=i) for i in range((TODAY - FIRST_DAY).days)]
    site, day, livers = [], [], []
    for code, _, _ in SITES:
        expected = np.array([seasonality.expected_production(d, code) for d in days])
        noisy = expected * rng.lognormal(0.0, seasonality.production_noise_sigma, len(days))
        open_days = expected > 0  # the line is closed on Sundays: no row
        site += [code] * int(open_days.sum())
        day += [d for d, kept in zip(days, open_days.tolist(), strict=True) if kept]
        livers += np.rint(noisy[open_days]).astype(int).tolist()
    return Table(
        "site_daily_production",
        ("id", "site_code", "jour", "foies_produits"),
        (list(range(1, len(site) + 1)), site, np.array(day, dtype="datetime64[D]"), livers),
    )


def _start_days(rng: np.random.Generator, truths: PlantedTruths, n: int) -> tuple[Array, float]:
    """n start days drawn with the seasonal weights; also the level that makes them expected counts."""
    days = np.arange(STARTS_AT, NOW)
    weights = np.array([truths.seasonality.shape(d) for d in days.astype(date).tolist()])
    picked = rng.choice(len(days), size=n, p=weights / weights.sum())
    return np.sort(days[picked]), n / float(weights.sum())


def _feeding(
    rng: np.random.Generator, curve: FeedingCurve, duration: Array, shape: Array, temperature_shift: Array
) -> dict[str, Array]:
    """One row per lot × day × meal along the lot's curve; later filtered to the rows before today."""
    n = len(duration)
    lot_index = np.repeat(np.arange(n), duration * 2)
    offsets = np.arange(len(lot_index)) - np.repeat(np.cumsum(duration * 2) - duration * 2, duration * 2)
    day = offsets // 2 + 1
    evening = offsets % 2 == 1
    t = (day - 1) / (duration[lot_index] - 1)
    first = rng.normal(curve.first_dose_mean_g, curve.first_dose_sigma_g, n)
    last = rng.uniform(*curve.last_dose_g, n)
    ramp = first[lot_index] + (last - first)[lot_index] * t ** shape[lot_index]
    rows = len(lot_index)
    dose = ramp * np.where(evening, curve.evening_factor, 1.0) + rng.normal(0, curve.row_noise_sigma_g, rows)
    initial = rng.normal(curve.initial_weight_mean_g, curve.initial_weight_sigma_g, n).clip(3800, 5300)
    weight = initial[lot_index] * (1 + 0.38 * t) + rng.normal(0, 25, rows)
    barn = rng.normal(curve.temperature_mean_c, curve.temperature_lot_sigma_c, n) + temperature_shift
    temperature = barn[lot_index] + rng.normal(0, curve.temperature_row_sigma_c, rows)
    low, high = curve.humidity_pct
    humidity = (rng.uniform(low + 3, high - 3, n)[lot_index] + rng.normal(0, 2, rows)).clip(low, high)
    return {
        "lot_index": lot_index, "day": day, "evening": evening, "dose": dose.round(1),
        "weight": weight.round(0), "temperature": temperature.round(2), "humidity": humidity.round(2),
        "initial": initial.round(0),
    }  # fmt: skip


def _lot_codes(site: Array, start: Array) -> list[str]:
    """`LL2601001`: site, yymm of the start, then a sequence per site and month (starts are sorted)."""
    sequence: dict[tuple[str, str], int] = {}
    codes = []
    for code, day in zip(site.tolist(), start.tolist(), strict=True):
        month = day.strftime("%y%m")
        sequence[code, month] = sequence.get((code, month), 0) + 1
        codes.append(f"{code}{month}{sequence[code, month]:03d}")
    return codes


def generate_farm(size: Size = "demo", seed: int = 2026) -> FarmData:
    """The whole farm as columnar tables in foreign-key order, and what it plants. Pure: no I/O."""
    spec = SIZES[size]
    rng = np.random.default_rng(seed)
    truths = PlantedTruths(size=size, seed=seed)
    sites, gaveurs = _site_tables(rng, spec)
    abattoirs, routes = _abattoir_tables(rng)

    n = spec.lots
    ids = np.arange(FIRST_LOT_ID, FIRST_LOT_ID + n)
    start, level = _start_days(rng, truths, n)
    truths = replace(truths, seasonality=replace(truths.seasonality, level=round(level, 6)))
    codes_and_shares = truths.seasonality.site_shares
    site = np.array([c for c, _ in codes_and_shares])[
        rng.choice(len(codes_and_shares), n, p=[s for _, s in codes_and_shares])
    ]
    # Each lot goes to one of its site's gaveurs (ids are grouped by site, in SITES order).
    site_rank = np.searchsorted([code for code, _, _ in SITES], site)
    gaveur = site_rank * spec.gaveurs_per_site + rng.integers(0, spec.gaveurs_per_site, n) + 1
    levels = _skill_levels(seed, truths.skill, len(gaveurs))
    effect = [truths.skill.effect(levels[g - 1]) for g in gaveur.tolist()]  # per lot, its gaveur's level
    curve = truths.feeding
    duration = rng.choice(curve.duration_days, n, p=curve.duration_weights)
    shape = rng.uniform(*curve.shape, n)
    feed = _feeding(rng, curve, duration, shape, np.array([e.temperature_shift_c for e in effect]))

    # Meals happen at 06:00 and 18:00 UTC; rows exist only for days before today.
    row_day = start[feed["lot_index"]] + (feed["day"] - 1).astype("timedelta64[D]")
    stamps = row_day.astype("datetime64[s]") + np.where(feed["evening"], 18, 6).astype("timedelta64[h]")
    kept = row_day < NOW
    end = start + duration.astype("timedelta64[D]")  # the day after the last meal
    finished = end <= NOW
    recent = finished & (end > NOW - np.timedelta64(RECENT_DAYS, "D"))
    status = np.where(~finished, "en_gavage", np.where(recent, "termine", "abattu"))
    slaughter = np.where(
        status == "abattu", end + rng.integers(0, 3, n).astype("timedelta64[D]"), np.datetime64("NaT", "D")
    )

    # The planted formula runs on the stored (rounded) rows, so SQL aggregates reproduce it exactly.
    dose_total_kg = np.bincount(feed["lot_index"], weights=feed["dose"], minlength=n) / 1000
    mean_temperature = np.bincount(feed["lot_index"], weights=feed["temperature"], minlength=n) / (
        2 * duration
    )
    liver = truths.liver(dose_total_kg, feed["initial"] / 1000, mean_temperature)
    liver = liver + rng.normal(0, truths.liver.noise_sigma_g, n)

    candidates = ids[finished & (ids != PROTECTED_LOT_ID)]
    n_anomalous = max(1, round(truths.anomaly_share * len(candidates)))
    anomalous = np.sort(rng.choice(candidates, size=n_anomalous, replace=False))
    is_anomalous = np.isin(ids, anomalous)
    liver = np.where(is_anomalous, liver * rng.uniform(*truths.anomalous_liver_factor, n), liver)
    liver = np.where(finished, liver.round(1), np.nan)
    mortality = np.where(
        is_anomalous,
        rng.uniform(*truths.anomalous_mortality_pct, n),
        rng.uniform([e.mortality_pct[0] for e in effect], [e.mortality_pct[1] for e in effect]),
    )
    placed = rng.integers(800, 1201, n)
    dead = np.round(placed * mortality / 100).astype(int)
    genetique = np.where(rng.random(n) < truths.barbarie_share, "barbarie", "mulard")

    lots = Table(
        "lots_gavage",
        ("id", "code_lot", "site_code", "gaveur_id", "genetique", "debut_gavage", "duree_gavage", "statut",
         "nb_canards_places", "nb_canards_morts", "poids_moyen_initial_g", "poids_foie_moyen_g", "date_abattage"),
        (ids, _lot_codes(site, start), site, gaveur, genetique, start, duration, status, placed, dead,
         feed["initial"], [None if np.isnan(v) else v for v in liver.tolist()], slaughter),
    )  # fmt: skip
    gavage = Table(
        "gavage_data_lots",
        ("id", "lot_id", "jour_gavage", "repas", "dose_moyenne_g", "poids_moyen_g", "temperature_stabule_c",
         "humidite_stabule_pct", "horodatage"),
        (np.arange(1, kept.sum() + 1), ids[feed["lot_index"]][kept], feed["day"][kept],
         np.where(feed["evening"], "soir", "matin")[kept], feed["dose"][kept], feed["weight"][kept],
         feed["temperature"][kept], feed["humidity"][kept], stamps[kept]),
    )  # fmt: skip
    sqal_offset = np.array([e.sqal_offset for e in effect])
    facts = Lots(ids, site, start, duration, shape, placed, dead, liver, status, slaughter, sqal_offset)
    sensors, sqal_mean = sensor_table(rng, facts, truths.sqal, spec.sqal_sampled_share)
    feedback = feedback_table(rng, facts, sqal_mean, truths.feedback)

    production = _production_table(seed, truths.seasonality)
    managers, manager_faults = site_managers(seed)  # their own random stream: nothing above changes
    tables = (sites, managers, gaveurs, production, abattoirs, routes, lots, gavage, sensors, feedback)
    truths = replace(
        truths,
        anomalous_lot_ids=tuple(int(i) for i in anomalous),
        gaveur_levels=tuple(enumerate(levels, start=1)),
        counts={t.name: len(t) for t in tables},
    )
    truths = replace(truths, manager_contact_faults=manager_faults)
    return FarmData(truths=truths, tables=tables, curve_shapes=shape)
