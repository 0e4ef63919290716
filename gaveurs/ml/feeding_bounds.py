"""The search space of the curve optimiser: which days are free, the variables, and the bounds they obey.

The optimiser draws a smooth ramp over the days still to feed, dose(t) = start + rise·tˢ, the form a
gaveur's plan takes. Variables: the first day's dose (only when no day is fixed), the rise to the last day,
and log s — any exponent from 0.25 to 4, so the learned model, not the parametrisation, decides how the
ramp bends. Then:
- a monotone, non-decreasing ramp ⇔ rise ≥ 0 (a variable bound);
- no day above `max_daily_dose_g` ⇔ the last day within it;
- each day's increase within `max_daily_increase_g`, the corn total within [min, max]: constraints computed
  from each candidate's daily doses (vectorised: a whole population is checked at once).
For a lot still being fed, the days already fed are kept and the ramp leaves the last of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gaveurs.contracts.ml import AppliedFeedingBounds, FeedingBounds, LotCurve
from gaveurs.errors import InvalidFeedingBounds
from gaveurs.ml.feeding_features import EXPONENT_GRID, FEATURES, Array, daily_totals, fit_ramp

# Practice = the central 95 % of the farm's finished lots; per duration when enough lots share it.
PRACTICE_PERCENTILES = (2.5, 97.5)
MIN_LOTS_PER_DURATION = 20
TOLERANCE_G = 1e-6
LOG_EXPONENT_BOUNDS = (float(np.log(EXPONENT_GRID[0])), float(np.log(EXPONENT_GRID[-1])))


@dataclass(frozen=True)
class CurvePlan:
    duration: int
    days_fixed: int  # already fed (lot still in feeding): kept as recorded
    fixed: Array  # their daily totals
    base: float  # the ramp leaves this dose (the last fed day, capped); unused when no day is fixed
    baseline: Array  # the lot's actual curve; for a lot in feeding, the fed days then its current trend
    recorded_matin: list[float]
    recorded_soir: list[float]
    evening_share: float  # soir / (matin + soir) for planned days
    temperature_c: float
    applied: AppliedFeedingBounds
    variable_bounds: Array  # variables × (low, high)

    @property
    def n_variables(self) -> int:
        return len(self.variable_bounds)

    def daily_of(self, variables: Array) -> Array:
        """candidates × variables → candidates × days (grams per day)."""
        v = np.atleast_2d(variables)
        free_days = self.duration - self.days_fixed
        if self.days_fixed:
            start, rise, log_exponent = np.full(len(v), self.base), v[:, 0], v[:, 1]
            t = np.arange(1, free_days + 1) / free_days  # t = 0 is the last fed day
        else:
            start, rise, log_exponent = v[:, 0], v[:, 1], v[:, 2]
            t = np.arange(free_days) / (free_days - 1)
        free = start[:, None] + rise[:, None] * t[None, :] ** np.exp(log_exponent)[:, None]
        return np.hstack([np.broadcast_to(self.fixed, (len(v), self.days_fixed)), free])

    def constraint_values(self, variables: Array) -> Array:
        """(last day's dose, largest daily increase, corn total in g) per candidate.

        Takes variables × candidates (or one vector) and answers 3 × candidates (or 3), as scipy's
        differential evolution calls a vectorised NonlinearConstraint.
        """
        daily = self.daily_of(np.asarray(variables).T)
        rising = np.hstack([np.full((len(daily), 1), self.base), daily[:, self.days_fixed :]])
        increases = np.diff(rising if self.days_fixed else daily, axis=1)
        values = np.vstack([daily[:, -1], increases.max(axis=1), daily.sum(axis=1)])
        return values if np.ndim(variables) > 1 else values[:, 0]

    @property
    def constraint_low(self) -> Array:
        return np.array([-np.inf, -np.inf, 1000.0 * self.applied.min_total_corn_kg])

    @property
    def constraint_high(self) -> Array:
        a = self.applied
        return np.array([a.max_daily_dose_g, a.max_daily_increase_g, 1000.0 * a.max_total_corn_kg])

    def variables_of(self, daily: Array) -> Array:
        """The ramp closest to `daily`'s free days, clipped to the variable bounds: a starting point."""
        curve = np.asarray(daily, dtype=float)
        free = np.concatenate([[self.base], curve[self.days_fixed :]]) if self.days_fixed else curve
        ramp = fit_ramp(free) if len(free) >= 3 else None
        end = float(curve[-1])
        exponent = float(np.log(ramp.exponent[0])) if ramp is not None else 0.0
        raw = [end - self.base, exponent] if self.days_fixed else [float(curve[0]), end - curve[0], exponent]
        return np.clip(raw, self.variable_bounds[:, 0], self.variable_bounds[:, 1])

    def violations(self, daily: Array) -> list[str]:
        """Every bound the curve breaks, in words (the days already fed are history and not judged)."""
        applied, curve = self.applied, np.asarray(daily, dtype=float)
        free = curve[self.days_fixed :]
        rising = np.concatenate([[self.base], free]) if self.days_fixed else free
        increases = np.diff(rising)
        total_kg = float(curve.sum()) / 1000.0
        broken = []
        if np.any(increases < -TOLERANCE_G):
            broken.append("rampe non monotone")
        if not self.days_fixed and not (
            applied.min_first_dose_g - TOLERANCE_G <= free[0] <= applied.max_first_dose_g + TOLERANCE_G
        ):
            broken.append(
                f"dose du jour 1 {free[0]:.1f} g hors de [{applied.min_first_dose_g:.0f}, {applied.max_first_dose_g:.0f}] g"
            )
        if free.max() > applied.max_daily_dose_g + TOLERANCE_G:
            broken.append(f"dose journalière {free.max():.1f} g > {applied.max_daily_dose_g:g} g")
        if increases.size and increases.max() > applied.max_daily_increase_g + TOLERANCE_G:
            broken.append(
                f"hausse de {increases.max():.1f} g en un jour > {applied.max_daily_increase_g:g} g"
            )
        if not applied.min_total_corn_kg - 1e-6 <= total_kg <= applied.max_total_corn_kg + 1e-6:
            broken.append(
                f"maïs total {total_kg:.3f} kg hors de [{applied.min_total_corn_kg:.3f}, {applied.max_total_corn_kg:.3f}] kg"
            )
        return broken


def _practice(lot: LotCurve, training: Sequence[LotCurve], X: Array) -> tuple[float, float, float, float]:
    """(min, max) corn total in kg for the lot's duration and (min, max) day-1 dose in g, from the farm."""
    low, high = PRACTICE_PERCENTILES
    durations = X[:, FEATURES.index("duree_gavage")]
    totals = X[:, FEATURES.index("mais_total_kg")]
    same = durations == lot.duree_gavage
    if same.sum() >= MIN_LOTS_PER_DURATION:
        total_low, total_high = np.percentile(totals[same], [low, high])
    else:  # too few lots of this duration: scale every lot's total to it
        total_low, total_high = np.percentile(totals / durations * lot.duree_gavage, [low, high])
    first = np.array([t.matin_g[0] + t.soir_g[0] for t in training])
    first_low, first_high = np.percentile(first, [low, high])
    return float(total_low), float(total_high), float(first_low), float(first_high)


def _trend(recorded: Array, duration: int, typical_increase: float, cap: float) -> Array:
    """The lot's curve carried on at its mean daily increase so far (the status quo), capped at the dose cap."""
    if len(recorded) >= duration:
        return recorded[:duration]
    increase = float(np.mean(np.diff(recorded))) if len(recorded) >= 2 else typical_increase
    last = recorded[-1]
    ahead = last + increase * np.arange(1, duration - len(recorded) + 1)
    return np.concatenate([recorded, np.minimum(ahead, max(cap, last))])


def plan_curve(lot: LotCurve, training: Sequence[LotCurve], X: Array, bounds: FeedingBounds) -> CurvePlan:
    """Resolve the bounds for this lot and lay out the optimiser's variables and constraints."""
    duration = lot.duree_gavage
    cap, step = bounds.max_daily_dose_g, bounds.max_daily_increase_g
    total_low, total_high, first_low, first_high = _practice(lot, training, X)
    explicit_total = bounds.min_total_corn_kg is not None or bounds.max_total_corn_kg is not None
    total_low = bounds.min_total_corn_kg if bounds.min_total_corn_kg is not None else total_low
    total_high = bounds.max_total_corn_kg if bounds.max_total_corn_kg is not None else total_high
    first_low = bounds.min_first_dose_g if bounds.min_first_dose_g is not None else first_low
    first_high = min(bounds.max_first_dose_g if bounds.max_first_dose_g is not None else first_high, cap)
    if first_low > first_high:
        raise InvalidFeedingBounds.error(
            f"dose du jour 1 : minimum {first_low:.0f} g au-dessus du maximum {first_high:.0f} g "
            f"(dose journalière maximale {cap:.0f} g)"
        )

    recorded = daily_totals(lot)
    in_feeding = lot.statut == "en_gavage" and len(recorded) < duration
    days_fixed = len(recorded) if in_feeding else 0
    fixed = recorded[:days_fixed]
    base = float(min(fixed[-1], cap)) if days_fixed else 0.0
    free_days = duration - days_fixed

    # The corn totals any non-decreasing curve within the caps can reach (a smooth ramp reaches nearly all).
    if days_fixed:
        variable_bounds = np.array([[0.0, max(cap - base, 0.0)], LOG_EXPONENT_BOUNDS])
        reach = np.minimum(base + step * np.arange(1, free_days + 1), cap)
        achievable = (float(fixed.sum() + free_days * base), float(fixed.sum() + reach.sum()))
    else:
        variable_bounds = np.array([[first_low, first_high], [0.0, cap - first_low], LOG_EXPONENT_BOUNDS])
        reach = np.minimum(first_high + step * np.arange(duration), cap)
        achievable = (duration * first_low, float(reach.sum()))
    low_g, high_g = 1000.0 * total_low, 1000.0 * total_high
    if low_g > high_g or low_g > achievable[1] or high_g < achievable[0]:
        if explicit_total or low_g > high_g:
            raise InvalidFeedingBounds.error(
                f"maïs total entre {total_low:.2f} et {total_high:.2f} kg impossible : sur {duration} jours, "
                f"les autres bornes permettent de {achievable[0] / 1000:.2f} à {achievable[1] / 1000:.2f} kg"
            )
        # The farm's usual range is out of reach (days already fed, tight welfare caps): take the nearest.
        low_g, high_g = (
            min(max(low_g, achievable[0]), achievable[1]),
            max(min(high_g, achievable[1]), achievable[0]),
        )

    typical_increase = float(np.median(np.diff(np.stack([daily_totals(t)[:3] for t in training]), axis=1)))
    baseline = (
        _trend(recorded, duration, typical_increase, cap)
        if len(recorded)
        else np.minimum(
            np.median([t.matin_g[0] + t.soir_g[0] for t in training])
            + typical_increase * np.arange(duration),
            cap,
        )
    )
    shares = [s / (m + s) for m, s in zip(lot.matin_g, lot.soir_g, strict=True) if m + s > 0]
    if not shares:
        shares = [t.soir_g[0] / (t.matin_g[0] + t.soir_g[0]) for t in training]
    temperatures = [t.temperature_moyenne_c for t in training if t.temperature_moyenne_c is not None]
    return CurvePlan(
        duration=duration,
        days_fixed=days_fixed,
        fixed=fixed,
        base=base,
        baseline=baseline,
        recorded_matin=list(lot.matin_g),
        recorded_soir=list(lot.soir_g),
        evening_share=float(np.median(shares)),
        temperature_c=float(
            lot.temperature_moyenne_c if lot.temperature_moyenne_c is not None else np.median(temperatures)
        ),
        applied=AppliedFeedingBounds(
            max_daily_dose_g=cap,
            max_daily_increase_g=step,
            min_total_corn_kg=low_g / 1000.0,
            max_total_corn_kg=high_g / 1000.0,
            min_first_dose_g=first_low,
            max_first_dose_g=first_high,
        ),
        variable_bounds=variable_bounds,
    )
