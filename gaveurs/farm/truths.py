"""What the demo-data generator plants, so tests and benchmarks can check the models recover it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

import numpy as np

Number = TypeVar("Number", float, "np.ndarray[tuple[int], np.dtype[np.float64]]")

# The generator's clock: data is reproducible whatever day it runs.
TODAY = date(2026, 11, 1)
FIRST_DAY = date(2024, 1, 1)
# Our lot ids continue the original system's numbering (the seed guide's examples use lot 3472).
FIRST_LOT_ID = 3301


@dataclass(frozen=True)
class LiverFormula:
    """poids_foie_moyen_g = intercept + a·dose_totale_kg + b·poids_initial_kg + c·temperature_moyenne_c + ε."""

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
    """Expected lot starts per day and site: base × trend × weekday × pre-Christmas bump."""

    base_per_day: float = 1.0
    trend_per_year: float = 0.15
    weekday_factors: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.0)  # Monday … Sunday
    christmas_peak_day_of_year: int = 300  # lots started late October are foie gras for Christmas
    christmas_peak_width_days: float = 25.0
    christmas_peak_amplitude: float = 1.2

    def rate(self, day: date) -> float:
        years = (day - FIRST_DAY).days / 365.25
        bump = self.christmas_peak_amplitude * math.exp(
            -(
                ((day.timetuple().tm_yday - self.christmas_peak_day_of_year) / self.christmas_peak_width_days)
                ** 2
            )
        )
        return (
            self.base_per_day
            * (1 + self.trend_per_year * years)
            * self.weekday_factors[day.weekday()]
            * (1 + bump)
        )


@dataclass(frozen=True)
class FeedbackRule:
    """rating = round(clip(1 + 4·(w_sqal·sqal_lot_score + w_curve·curve_regularity) + ε, 1, 5)).

    curve_regularity is 1 for a linear feeding curve and falls as the curve bends (shape exponent ≠ 1).
    """

    weight_sqal: float = 0.6
    weight_curve: float = 0.4
    noise_sigma: float = 0.45


@dataclass(frozen=True)
class PlantedTruths:
    size: str
    seed: int
    liver: LiverFormula = field(default_factory=LiverFormula)
    seasonality: Seasonality = field(default_factory=Seasonality)
    feedback: FeedbackRule = field(default_factory=FeedbackRule)
    normal_mortality_pct: tuple[float, float] = (1.5, 4.0)
    anomalous_mortality_pct: tuple[float, float] = (12.0, 25.0)
    anomalous_liver_factor: tuple[float, float] = (0.55, 0.65)  # of the formula's weight
    anomalous_lot_ids: tuple[int, ...] = ()
    today: date = TODAY
    first_lot_id: int = FIRST_LOT_ID
    counts: dict[str, int] = field(default_factory=dict)

    def liver_weight(
        self, dose_totale_kg: float, poids_initial_kg: float, temperature_moyenne_c: float
    ) -> float:
        """The planted formula without noise."""
        return self.liver(dose_totale_kg, poids_initial_kg, temperature_moyenne_c)
