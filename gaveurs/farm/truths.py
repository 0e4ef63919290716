"""What the demo-data generator plants, so tests and benchmarks can check the models recover it."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import numpy as np

from gaveurs.contracts.ml import SkillLevel

Number = TypeVar("Number", float, "np.ndarray[tuple[int], np.dtype[np.float64]]")

# The generator's clock: data is reproducible whatever day it runs.
TODAY = date(2026, 11, 1)
FIRST_DAY = date(2024, 1, 1)
# Our lot ids continue the original system's numbering (the seed guide's examples use lot 3472).
FIRST_LOT_ID = 3301
PROTECTED_LOT_ID = 3472  # the seed's example lot: always an ordinary, slaughtered lot
TARGET_LIVER_G = 550.0


@dataclass(frozen=True)
class LiverFormula:
    """poids_foie_moyen_g = intercept + a·dose_totale_kg + b·poids_initial_kg + c·temperature_moyenne_c + ε.

    The features are aggregates of the stored rows (sum of doses / 1000, initial weight / 1000, mean barn
    temperature), so a model fitted on the database sees exactly this relation.
    """

    intercept: float = 50.0
    dose_totale_kg: float = 38.5
    poids_initial_kg: float = 56.0
    temperature_moyenne_c: float = -4.3
    noise_sigma_g: float = 6.0

    def __call__(
        self, dose_totale_kg: Number, poids_initial_kg: Number, temperature_moyenne_c: Number
    ) -> Number:
        return (
            self.intercept
            + self.dose_totale_kg * dose_totale_kg
            + self.poids_initial_kg * poids_initial_kg
            + self.temperature_moyenne_c * temperature_moyenne_c
        )


@dataclass(frozen=True)
class Seasonality:
    """One seasonal shape, trend × weekday × (1 + pre-Christmas bump), drives two planted series.

    - Lot starts: expected starts per day = level × site share × shape. The generator draws exactly the size's
      number of lots over FIRST_DAY..TODAY with these daily weights, so `level` is derived from the size (lots /
      sum of the daily shape) and `expected_starts` is a true mean.
    - Site production (`site_daily_production.foies_produits`, livers out of the site's processing line): expected
      = livers_per_day × site share × shape with the bump `production_lag_days` later (livers come out about two
      weeks after the lots start), times log-normal day-to-day noise. The line is closed when the weekday factor
      is 0 (Sunday): no row that day. It does not depend on the size: the plant's log is the same in both.
    """

    level: float = 1.0
    trend_per_year: float = 0.15
    weekday_factors: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.0)  # Monday … Sunday
    # Lots started around All Saints' day finish mid-November: foie gras for the December sales.
    christmas_peak_day_of_year: int = 305
    christmas_peak_width_days: float = 22.0
    christmas_peak_amplitude: float = 1.5
    site_shares: tuple[tuple[str, float], ...] = (("LL", 0.40), ("LS", 0.25), ("MT", 0.35))
    livers_per_day: float = 3000.0  # farm-wide, a full weekday outside the season, at FIRST_DAY
    production_lag_days: int = 14
    production_noise_sigma: float = 0.05

    def shape(self, day: date, lag_days: int = 0) -> float:
        """The unscaled daily weight (trend × weekday × season), the bump `lag_days` later."""
        years = (day - FIRST_DAY).days / 365.25
        offset = abs(day.timetuple().tm_yday - lag_days - self.christmas_peak_day_of_year)
        offset = min(offset, 365 - offset)  # the bump wraps round the new year
        bump = self.christmas_peak_amplitude * math.exp(-((offset / self.christmas_peak_width_days) ** 2))
        return (1 + self.trend_per_year * years) * self.weekday_factors[day.weekday()] * (1 + bump)

    def expected_starts(self, day: date, site_code: str | None = None) -> float:
        """Mean number of lots starting on `day`, farm-wide or at one site."""
        share = 1.0 if site_code is None else dict(self.site_shares)[site_code]
        return self.level * share * self.shape(day)

    def expected_production(self, day: date, site_code: str) -> float:
        """The planted series without noise: mean livers out of the site's line on `day` (0 when closed)."""
        share = dict(self.site_shares)[site_code]
        return self.livers_per_day * share * self.shape(day, self.production_lag_days)


@dataclass(frozen=True)
class FeedingCurve:
    """dose(day) = first + (last − first)·t^shape, t = (day − 1)/(duree − 1); the evening meal is a bit lighter.

    `shape` is drawn per lot: 1 is a straight ramp, < 1 front-loaded, > 1 back-loaded. It is not stored, but
    a fit of the stored doses against t recovers it.
    """

    duration_days: tuple[int, ...] = (10, 11, 12, 13, 14)
    duration_weights: tuple[float, ...] = (0.10, 0.20, 0.30, 0.25, 0.15)
    first_dose_mean_g: float = 210.0
    first_dose_sigma_g: float = 12.0
    last_dose_g: tuple[float, float] = (440.0, 510.0)
    shape: tuple[float, float] = (0.6, 1.6)
    evening_factor: float = 0.97
    row_noise_sigma_g: float = 5.0
    initial_weight_mean_g: float = 4500.0
    initial_weight_sigma_g: float = 250.0
    temperature_mean_c: float = 21.0
    temperature_lot_sigma_c: float = 2.5
    temperature_row_sigma_c: float = 0.8
    humidity_pct: tuple[float, float] = (55.0, 80.0)


@dataclass(frozen=True)
class FeedbackRule:
    """rating = round(clip(1 + 4·(w_sqal·sqal_score_moyen + w_curve·regularity(shape)) + ε, 1, 5)).

    sqal_score_moyen is the mean of the lot's stored SQAL scores; regularity is 1 for a straight feeding ramp
    and falls linearly to 0 as the curve's exponent moves `shape_tolerance` away from 1.
    """

    weight_sqal: float = 0.6
    weight_curve: float = 0.4
    shape_tolerance: float = 0.6
    noise_sigma: float = 0.45
    mean_per_lot: float = 5.0
    comment_share: float = 0.5
    email_share: float = 0.4

    def regularity(self, shape: Number) -> Number:
        return np.clip(1 - np.abs(shape - 1) / self.shape_tolerance, 0.0, 1.0)  # type: ignore[no-any-return]

    def expected_rating(self, sqal_score_moyen: Number, shape: Number) -> Number:
        """The noise-free rating before rounding and clipping."""
        return 1 + 4 * (self.weight_sqal * sqal_score_moyen + self.weight_curve * self.regularity(shape))


@dataclass(frozen=True)
class SqalRule:
    """A lot's quality is best when its liver is near the target: score = top − |liver − target|/scale + ε."""

    target_liver_g: float = TARGET_LIVER_G
    top_score: float = 0.92
    scale_g: float = 400.0
    lot_sigma: float = 0.05
    sample_sigma: float = 0.06
    grade_bounds: tuple[tuple[float, str], ...] = ((0.85, "A+"), (0.70, "A"), (0.55, "B"), (0.40, "C"))


@dataclass(frozen=True)
class SkillEffect:
    """What one performance level does to a gaveur's lots: the formula's inputs and stored values only."""

    share: float  # of the gaveurs
    mortality_pct: tuple[float, float]  # uniform range of a normal lot's mortality (inside 1.5–4 %)
    sqal_offset: float  # added to the lot's SQAL quality (samples and so consumer ratings follow)
    temperature_shift_c: float  # barn kept cooler or warmer: liver weight and ITM follow through the formula


@dataclass(frozen=True)
class GaveurSkill:
    """Each gaveur has one performance level, drawn from the seed (shuffled counts from `share`).

    The levels are a gradient on three axes at once, so a clustering of gaveurs on their lots' KPIs (median
    mortality, mean SQAL score, ITM) recovers them; a single lot overlaps its neighbours' ranges.
    """

    effects: tuple[tuple[SkillLevel, SkillEffect], ...] = (
        (SkillLevel.EXCELLENCE, SkillEffect(0.15, (1.5, 2.3), 0.05, -1.5)),
        (SkillLevel.HIGH, SkillEffect(0.25, (1.8, 2.8), 0.025, -0.75)),
        (SkillLevel.AVERAGE, SkillEffect(0.30, (2.2, 3.2), 0.0, 0.0)),
        (SkillLevel.STRUGGLING, SkillEffect(0.20, (2.7, 3.7), -0.03, 0.75)),
        (SkillLevel.CRITICAL, SkillEffect(0.10, (3.2, 4.0), -0.06, 1.5)),
    )

    def effect(self, level: SkillLevel) -> SkillEffect:
        return dict(self.effects)[level]

    def counts(self, gaveurs: int) -> list[int]:
        """Gaveurs per level by largest remainder (every level present from 10 gaveurs on)."""
        exact = [effect.share * gaveurs for _, effect in self.effects]
        counts = [math.floor(x) for x in exact]
        by_remainder = sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])
        for i in by_remainder[: gaveurs - sum(counts)]:
            counts[i] += 1
        return counts


@dataclass(frozen=True)
class SlaughterRule:
    """When lots reach the slaughterhouse (the generator's timeline; slaughter planning relies on it).

    A lot's feeding ends the day after its last meal; it is slaughtered `delay_days` later (both ends
    drawn); a lot whose feeding ended less than `waiting_days` ago still waits (statut "termine").
    """

    delay_days: tuple[int, int] = (0, 2)
    waiting_days: int = 7


@dataclass(frozen=True)
class ManagerContactFaults:
    """Site managers (ids) whose stored contact cannot work: an SMS or an e-mail to them must fail alone."""

    landline_ids: tuple[int, ...] = ()  # a fixed line where a mobile should be: Twilio answers 21614
    invalid_email_ids: tuple[int, ...] = ()  # not an e-mail address at all


@dataclass(frozen=True)
class PlantedTruths:
    size: str
    seed: int
    liver: LiverFormula = field(default_factory=LiverFormula)
    seasonality: Seasonality = field(default_factory=Seasonality)
    feeding: FeedingCurve = field(default_factory=FeedingCurve)
    sqal: SqalRule = field(default_factory=SqalRule)
    feedback: FeedbackRule = field(default_factory=FeedbackRule)
    skill: GaveurSkill = field(default_factory=GaveurSkill)
    gaveur_levels: tuple[tuple[int, SkillLevel], ...] = ()  # (gaveur id, planted level), by id
    normal_mortality_pct: tuple[float, float] = (1.5, 4.0)  # holds every skill level's range
    slaughter: SlaughterRule = field(default_factory=SlaughterRule)
    anomalous_mortality_pct: tuple[float, float] = (12.0, 25.0)
    anomalous_liver_factor: tuple[float, float] = (0.55, 0.65)  # of the formula's weight
    anomaly_share: float = 0.02  # of the finished lots
    anomalous_lot_ids: tuple[int, ...] = ()  # sorted
    barbarie_share: float = 0.15
    today: date = TODAY
    first_lot_id: int = FIRST_LOT_ID
    counts: dict[str, int] = field(default_factory=dict)  # rows per table
    manager_contact_faults: ManagerContactFaults = field(default_factory=ManagerContactFaults)

    @property
    def noise_sigma_g(self) -> float:
        return self.liver.noise_sigma_g

    def liver_weight(
        self, dose_totale_kg: float, poids_initial_kg: float, temperature_moyenne_c: float
    ) -> float:
        """The planted formula without noise."""
        return float(self.liver(dose_totale_kg, poids_initial_kg, temperature_moyenne_c))

    def level_of(self, gaveur_id: int) -> SkillLevel:
        return dict(self.gaveur_levels)[gaveur_id]

    def as_json(self) -> dict[str, Any]:
        """Plain JSON types (dates as ISO text), e.g. for `python -m gaveurs demo truths`."""
        raw = dataclasses.asdict(self)
        raw["today"] = self.today.isoformat()
        raw["anomalous_lot_ids"] = list(self.anomalous_lot_ids)
        raw["seasonality"]["site_shares"] = dict(self.seasonality.site_shares)
        raw["skill"]["effects"] = {
            str(level): {**dataclasses.asdict(effect), "label": level.label}
            for level, effect in self.skill.effects
        }
        raw["gaveur_levels"] = {str(gaveur): str(level) for gaveur, level in self.gaveur_levels}
        return raw
