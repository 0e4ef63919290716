"""Feeding-curve optimiser: learn how quality follows the curve, then search the best curve within bounds.

Three gradient-boosting models learn, from finished lots, the mean SQAL score, the share of A+/A grades and
the mean consumer rating from the curve's features and the lot's context (feeding_features.py). Their mean,
each scaled to 0–1, is the quality score. Differential evolution (scipy) then searches a smooth ramp within
the welfare and practice bounds (feeding_bounds.py): trees are flat between their splits, so a
derivative-free, population-based search suits them, and three variables keep it to about a second. The
lot's own curve, as the closest ramp, is in the first population.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from scipy.optimize import NonlinearConstraint, differential_evolution
from scipy.stats import qmc
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold, cross_val_score
from threadpoolctl import threadpool_limits

from gaveurs.contracts.ml import (
    CurvePrediction,
    DailyDose,
    FeedingBounds,
    FeedingCurveDataset,
    FeedingCurveResult,
    LotCurve,
)
from gaveurs.errors import InsufficientData, InvalidFeedingBounds
from gaveurs.ml.feeding_bounds import CurvePlan, plan_curve
from gaveurs.ml.feeding_features import (
    FEATURES,
    Array,
    context_features,
    curve_features,
    feature_matrix,
)
from gaveurs.ml.feeding_words import describe_factors

Progress = Callable[[int, str], None]
MIN_TRAINING_LOTS = 40
TARGETS = ("sqal_score", "sqal_premium", "note")
TARGET_LABELS = {"sqal_score": "score SQAL", "sqal_premium": "part A+/A", "note": "note consommateur"}
POPULATION_PER_VARIABLE = 15
GENERATIONS = 300
IMPORTANCE_ROWS = 600
IMPORTANCE_REPEATS = 3


def _no_progress(percent: int, stage: str) -> None:
    pass


@dataclass(frozen=True)
class QualityModels:
    models: tuple[HistGradientBoostingRegressor, ...]
    cv_r2: dict[str, float]
    importances: Array  # each feature's share of the permutation importance on the quality score

    def predict(self, features: Array) -> Array:
        """curves × 3 predictions, each on a 0–1 scale."""
        return np.column_stack([np.clip(m.predict(features), 0.0, 1.0) for m in self.models])


def _with_outcomes(dataset: FeedingCurveDataset) -> list[LotCurve]:
    return [
        lot
        for lot in dataset.training
        if lot.sqal_score_moyen is not None
        and lot.sqal_premium_share is not None
        and lot.note_moyenne is not None
    ]


def _targets(lots: list[LotCurve]) -> Array:
    """lots × (SQAL score, A+/A share, rating rescaled from 1–5 to 0–1)."""
    raw = np.array(
        [(lot.sqal_score_moyen, lot.sqal_premium_share, (lot.note_moyenne or 1.0) - 1.0) for lot in lots],
        dtype=float,
    )
    scaled: Array = raw / np.array([1.0, 1.0, 4.0])
    return scaled


def fit_quality_models(X: Array, Y: Array, *, seed: int, on_progress: Progress) -> QualityModels:
    """One gradient-boosting model per target, with its 5-fold cross-validated R²."""
    models, cv_r2 = [], {}
    folds = KFold(n_splits=5, shuffle=True, random_state=seed)
    for index, name in enumerate(TARGETS):
        on_progress(10 + 12 * index, f"apprentissage du modèle « {TARGET_LABELS[name]} »")
        model = HistGradientBoostingRegressor(
            max_iter=200, learning_rate=0.05, max_depth=4, min_samples_leaf=20, random_state=seed
        )
        cv_r2[name] = round(float(np.mean(cross_val_score(model, X, Y[:, index], cv=folds, scoring="r2"))), 4)
        models.append(model.fit(X, Y[:, index]))
    fitted = QualityModels(tuple(models), cv_r2, np.zeros(X.shape[1]))
    return QualityModels(fitted.models, cv_r2, _importances(fitted, X, seed))


def _importances(models: QualityModels, X: Array, seed: int) -> Array:
    """Permutation importance on the quality score: how far scrambling one feature moves the prediction.

    Measured on up to IMPORTANCE_ROWS lots, shuffled IMPORTANCE_REPEATS times; shares of the total.
    """
    rng = np.random.default_rng(seed)
    rows = X[rng.permutation(len(X))[:IMPORTANCE_ROWS]]
    reference = models.predict(rows).mean(axis=1)
    moved = np.zeros(X.shape[1])
    for column in range(X.shape[1]):
        for _ in range(IMPORTANCE_REPEATS):
            scrambled = rows.copy()
            scrambled[:, column] = rng.permutation(scrambled[:, column])
            moved[column] += float(np.mean(np.abs(models.predict(scrambled).mean(axis=1) - reference)))
    total = moved.sum()
    return moved / total if total > 0 else moved


def _prediction(scores: Array) -> CurvePrediction:
    score, premium, note = (float(v) for v in scores)
    return CurvePrediction(
        sqal_score=round(score, 4),
        sqal_premium_pct=round(100 * premium, 1),
        note_consommateur=round(1 + 4 * note, 2),
        quality_score=round(100 * float(np.mean(scores)), 2),
    )


def _days(plan: CurvePlan, daily: Array, recorded: int) -> list[DailyDose]:
    """Per day, matin and soir: the first `recorded` days as fed, the others split like the lot's meals."""
    days = []
    for day, total in enumerate(daily):
        if day < recorded:
            morning, evening = plan.recorded_matin[day], plan.recorded_soir[day]
        else:
            morning, evening = total * (1 - plan.evening_share), total * plan.evening_share
        days.append(
            DailyDose(
                jour=day + 1,
                matin=round(float(morning), 1),
                soir=round(float(evening), 1),
                fixed=day < plan.days_fixed,
            )
        )
    return days


def _initial_population(plan: CurvePlan, size: int, seed: int) -> Array:
    """Latin hypercube over the variables' bounds, with the lot's own curve (made feasible) first."""
    low, high = plan.variable_bounds[:, 0], plan.variable_bounds[:, 1]
    sample = qmc.LatinHypercube(d=len(low), rng=np.random.default_rng(seed)).random(size)
    population: Array = low + sample * (high - low)
    population[0] = np.clip(plan.variables_of(plan.baseline), low, high)
    return population


def optimize_feeding_curve(
    dataset: FeedingCurveDataset,
    bounds: FeedingBounds | None = None,
    *,
    seed: int = 0,
    on_progress: Progress = _no_progress,
) -> FeedingCurveResult:
    """The best daily curve for `dataset.lot` under models learned on `dataset.training`.

    Raises InsufficientData (fewer than MIN_TRAINING_LOTS finished lots with SQAL samples and ratings) and
    InvalidFeedingBounds (bounds no curve can meet). Deterministic for a given seed.
    """
    # A few thousand lots: OpenMP threads cost more to start than they save, and workers share the cores.
    with threadpool_limits(limits=1):
        return _optimize(dataset, bounds or FeedingBounds(), seed=seed, on_progress=on_progress)


def _optimize(
    dataset: FeedingCurveDataset, bounds: FeedingBounds, *, seed: int, on_progress: Progress
) -> FeedingCurveResult:
    on_progress(0, "préparation des courbes")
    training = _with_outcomes(dataset)
    if len(training) < MIN_TRAINING_LOTS:
        raise InsufficientData.error(
            f"only {len(training)} finished lots with SQAL samples and consumer ratings to learn from; "
            f"at least {MIN_TRAINING_LOTS} are needed",
            lot_id=dataset.lot.lot_id,
        )
    X, Y = feature_matrix(training), _targets(training)
    models = fit_quality_models(X, Y, seed=seed, on_progress=on_progress)

    plan = plan_curve(dataset.lot, training, X, bounds)
    context = context_features(dataset.lot, plan.temperature_c)

    def features_of(daily: Array) -> Array:
        curves = np.atleast_2d(daily)
        return np.column_stack(
            [curve_features(curves), np.broadcast_to(context, (len(curves), len(context)))]
        )

    def objective(variables: Array) -> Array:
        daily = plan.daily_of(np.atleast_2d(variables.T))  # DE hands variables × candidates
        features = features_of(daily)
        return -models.predict(features).mean(axis=1)  # type: ignore[no-any-return]

    on_progress(45, "optimisation de la courbe")
    population = _initial_population(plan, POPULATION_PER_VARIABLE * plan.n_variables, seed)
    generation = 0

    def advance(*_: Any) -> None:
        nonlocal generation
        generation += 1
        on_progress(
            45 + 50 * generation // GENERATIONS, f"optimisation : génération {generation}/{GENERATIONS}"
        )

    search = differential_evolution(
        objective,
        plan.variable_bounds,
        constraints=NonlinearConstraint(plan.constraint_values, plan.constraint_low, plan.constraint_high),
        init=population,
        maxiter=GENERATIONS,
        tol=1e-7,
        mutation=(0.5, 1.0),
        recombination=0.7,
        polish=False,
        vectorized=True,
        updating="deferred",
        rng=np.random.default_rng(seed),
        callback=advance,
    )
    optimized = plan.daily_of(np.atleast_2d(search.x))[0]
    broken = plan.violations(optimized)
    if broken:  # no smooth ramp met every bound: never hand out a curve that breaks one
        raise InvalidFeedingBounds.error(
            f"aucune rampe régulière ne respecte toutes les bornes du lot {dataset.lot.lot_id} : {', '.join(broken)}",
            lot_id=dataset.lot.lot_id,
        )

    actual_features, optimized_features = features_of(plan.baseline)[0], features_of(optimized)[0]
    actual, best = models.predict(np.vstack([actual_features, optimized_features]))
    predicted_actual, predicted_optimized = _prediction(actual), _prediction(best)
    factors, words = describe_factors(models.importances, actual_features, optimized_features)
    on_progress(100, "terminé")
    return FeedingCurveResult(
        lot_id=dataset.lot.lot_id,
        code_lot=dataset.lot.code_lot,
        optimized_curve=_days(plan, optimized, plan.days_fixed),
        actual_curve=_days(plan, plan.baseline, min(len(plan.recorded_matin), plan.duration)),
        expected_improvement=round(predicted_optimized.quality_score - predicted_actual.quality_score, 2),
        predicted_actual=predicted_actual,
        predicted_optimized=predicted_optimized,
        confidence=round(float(np.clip(np.mean(list(models.cv_r2.values())), 0.0, 1.0)), 3),
        cv_r2=models.cv_r2,
        key_factors=words,
        feature_importances=factors,
        bounds=plan.applied,
        days_fixed=plan.days_fixed,
        n_training_lots=len(training),
        excluded_incident_lots=dataset.excluded_incident_lots,
        optimizer_generations=int(search.nit),
        optimized_at=datetime.now(UTC),
    )


__all__ = ["FEATURES", "MIN_TRAINING_LOTS", "QualityModels", "fit_quality_models", "optimize_feeding_curve"]
