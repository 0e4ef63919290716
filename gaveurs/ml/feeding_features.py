"""Features of a daily dose curve, computed the same way for recorded lots and for candidate curves.

A gaveur's ramp is described by where it starts and ends, how much corn it gives in all, how it bends (the
exponent s of the best fit dose(t) = start + (end − start)·tˢ, t = 0…1 over the days: s = 1 is a straight
ramp, s < 1 front-loaded, s > 1 back-loaded), how far the doses stray from that smooth ramp, and its largest
single-day step. Everything is vectorised over many curves at once: the optimiser scores whole populations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gaveurs.contracts.ml import LotCurve

Array = np.ndarray[Any, np.dtype[np.float64]]

# Exponents tried when fitting a ramp: log-spaced, so front- and back-loaded curves are resolved alike.
EXPONENT_GRID = np.geomspace(0.25, 4.0, 241)

CURVE_FEATURES = (
    "mais_total_kg",
    "dose_debut_g",
    "dose_fin_g",
    "exposant_rampe",
    "ecart_rampe_g",
    "hausse_max_g",
)
CONTEXT_FEATURES = ("duree_gavage", "poids_initial_kg", "temperature_moyenne_c", "barbarie")
FEATURES = CURVE_FEATURES + CONTEXT_FEATURES
LABELS = {
    "mais_total_kg": "maïs total distribué (kg)",
    "dose_debut_g": "dose journalière en début de gavage (g)",
    "dose_fin_g": "dose journalière en fin de gavage (g)",
    "exposant_rampe": "forme de la rampe (exposant ajusté, 1 = rampe droite)",
    "ecart_rampe_g": "irrégularité des doses autour de la rampe (g)",
    "hausse_max_g": "plus forte hausse d'un jour au suivant (g)",
    "duree_gavage": "durée du gavage (jours)",
    "poids_initial_kg": "poids initial des canards (kg)",
    "temperature_moyenne_c": "température moyenne de la stabulation (°C)",
    "barbarie": "génétique barbarie",
}


@dataclass(frozen=True)
class RampFit:
    """Per curve: the fitted ramp's first and last daily dose, its exponent, and the RMS residual (g)."""

    start: Array
    end: Array
    exponent: Array
    rms: Array


def fit_ramp(daily: Array) -> RampFit:
    """Least-squares fit of start + (end − start)·tˢ to each row of `daily` (curves × days, grams per day).

    For each exponent on the grid the best start/end is a closed-form linear fit, so the whole grid costs one
    matrix product: residual(s) = Σ(d − d̄)² − (Σ(d − d̄)(u − ū))² / Σ(u − ū)², u = tˢ.
    """
    curves = np.atleast_2d(np.asarray(daily, dtype=float))
    days = curves.shape[1]
    if days < 3:
        raise ValueError(f"a ramp needs at least 3 days, got {days}")
    t = np.arange(days) / (days - 1)
    basis = t[:, None] ** EXPONENT_GRID[None, :]  # days × grid
    centred_basis = basis - basis.mean(axis=0)
    spread = np.sum(centred_basis**2, axis=0)
    centred = curves - curves.mean(axis=1, keepdims=True)
    projection = centred @ centred_basis  # curves × grid
    residual = np.sum(centred**2, axis=1, keepdims=True) - projection**2 / spread
    best = np.argmin(residual, axis=1)
    rows = np.arange(len(curves))
    slope = projection[rows, best] / spread[best]
    start = curves.mean(axis=1) - slope * basis[:, best].mean(axis=0)
    return RampFit(
        start=start,
        end=start + slope,
        exponent=EXPONENT_GRID[best],
        rms=np.sqrt(np.maximum(residual[rows, best], 0.0) / days),
    )


def curve_features(daily: Array) -> Array:
    """CURVE_FEATURES for each row of `daily` (curves × days, grams per day): curves × 6."""
    curves = np.atleast_2d(np.asarray(daily, dtype=float))
    ramp = fit_ramp(curves)
    return np.column_stack(
        [
            curves.sum(axis=1) / 1000.0,
            ramp.start,
            ramp.end,
            ramp.exponent,
            ramp.rms,
            np.diff(curves, axis=1).max(axis=1),
        ]
    )


def context_features(lot: LotCurve, temperature_c: float) -> Array:
    """CONTEXT_FEATURES of one lot (what the gaveur does not choose when drawing the curve)."""
    return np.array([lot.duree_gavage, lot.poids_initial_kg, temperature_c, float(lot.barbarie)])


def daily_totals(lot: LotCurve) -> Array:
    totals: Array = np.asarray(lot.matin_g, dtype=float) + np.asarray(lot.soir_g, dtype=float)
    return totals


def feature_matrix(lots: Sequence[LotCurve]) -> Array:
    """FEATURES for complete recorded curves; curves of the same length are fitted together."""
    matrix = np.empty((len(lots), len(FEATURES)))
    by_length: dict[int, list[int]] = {}
    for index, lot in enumerate(lots):
        by_length.setdefault(len(lot.matin_g), []).append(index)
    for indices in by_length.values():
        matrix[indices, : len(CURVE_FEATURES)] = curve_features(
            np.stack([daily_totals(lots[i]) for i in indices])
        )
    for index, lot in enumerate(lots):
        temperature = lot.temperature_moyenne_c if lot.temperature_moyenne_c is not None else np.nan
        matrix[index, len(CURVE_FEATURES) :] = context_features(lot, temperature)
    return matrix
