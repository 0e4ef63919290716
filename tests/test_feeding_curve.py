"""Feeding-curve optimiser on the small farm (SQLite and PostgreSQL): better curves, every bound, the truths."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.optimize import least_squares
from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError

from gaveurs.contracts.ml import DailyDose, FeedingBounds, FeedingCurveDataset, FeedingCurveResult
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm.generator import FarmData
from gaveurs.farm.truths import TODAY, PlantedTruths
from gaveurs.ml.feeding_curve import MIN_TRAINING_LOTS, optimize_feeding_curve
from gaveurs.ml.feeding_curve_data import load_feeding_curve_dataset
from gaveurs.ml.feeding_features import daily_totals, fit_ramp
from tests.fixtures_db import BACKENDS, LoadedFarms, postgres_or_skip
from tests.test_farm_generator import LotFacts, per_lot


@dataclass(frozen=True)
class Optimised:
    dataset: FeedingCurveDataset
    result: FeedingCurveResult


def exponent(daily: np.ndarray) -> float:
    """The curve's ramp exponent by plain nonlinear least squares (independent of the optimiser's grid fit)."""
    t = np.arange(len(daily)) / (len(daily) - 1)

    def residual(p: np.ndarray) -> np.ndarray:
        fitted: np.ndarray = p[0] + p[1] * t ** np.exp(p[2]) - daily
        return fitted

    fit = least_squares(residual, x0=[daily[0], daily[-1] - daily[0], 0.0])
    return float(np.exp(fit.x[2]))


def totals(days: list[DailyDose]) -> np.ndarray:
    return np.array([d.matin + d.soir for d in days])


@pytest.fixture(scope="module")
def facts(small_farm: FarmData) -> dict[int, LotFacts]:
    return per_lot(small_farm)


def chosen_lots(facts: dict[int, LotFacts]) -> list[int]:
    """The seed's lot, four slaughtered lots drawn at random, one waiting and one still being fed."""
    slaughtered = sorted(i for i, f in facts.items() if f.status == "abattu" and i != 3472)
    drawn = np.random.default_rng(5).choice(slaughtered, 4, replace=False).tolist()
    waiting = min(i for i, f in facts.items() if f.status == "termine")
    feeding = min(i for i, f in facts.items() if f.status == "en_gavage" and f.rows >= 6)
    return [3472, *sorted(drawn), waiting, feeding]


@pytest.fixture(scope="module", params=BACKENDS)
def optimised(
    request: pytest.FixtureRequest, loaded_farms: LoadedFarms, facts: dict[int, LotFacts]
) -> Iterator[dict[int, Optimised]]:
    """Each chosen lot optimised once per backend (models are refitted per call, as the task does)."""
    if request.param == "postgres":
        postgres_or_skip()
    engine = make_engine(loaded_farms.url(request.param))
    try:
        results = {}
        for lot_id in chosen_lots(facts):
            with session_scope(engine) as session:
                dataset = load_feeding_curve_dataset(session, lot_id)
            results[lot_id] = Optimised(dataset, optimize_feeding_curve(dataset))
        yield results
    finally:
        engine.dispose()


def test_the_dataset_is_the_farms_history(
    farm_engine: Engine, facts: dict[int, LotFacts], small_truths: PlantedTruths
) -> None:
    with session_scope(farm_engine) as session:
        dataset = load_feeding_curve_dataset(session, 3472)
        feeding_id = min(i for i, f in facts.items() if f.status == "en_gavage")
        feeding = load_feeding_curve_dataset(session, feeding_id).lot
    trained = {lot.lot_id: lot for lot in dataset.training}
    # Slaughtered lots with SQAL samples and ratings, minus the sanitary incidents (planted anomalies).
    expected = {
        i
        for i, f in facts.items()
        if f.status == "abattu" and f.feedbacks and f.sqal_samples and f.mortality <= 8
    }
    assert set(trained) == expected
    assert dataset.excluded_incident_lots == sum(
        1
        for f in facts.values()
        if f.status == "abattu" and f.feedbacks and f.sqal_samples and f.mortality > 8
    )
    assert not set(trained) & set(small_truths.anomalous_lot_ids)
    for lot in list(trained.values())[:40]:
        f = facts[lot.lot_id]
        assert len(lot.matin_g) == len(lot.soir_g) == f.duration
        assert daily_totals(lot).sum() / 1000 == pytest.approx(f.dose_kg, abs=1e-6)
        assert lot.sqal_score_moyen == pytest.approx(f.sqal_mean, abs=1e-9)
        assert lot.temperature_moyenne_c == pytest.approx(f.temperature, abs=1e-9)
    assert dataset.lot.lot_id == 3472 and dataset.lot.note_moyenne is None  # the reference carries no outcome
    assert feeding.statut == "en_gavage" and len(feeding.matin_g) == (TODAY - facts[feeding_id].start).days


def test_ramp_fit_recovers_planted_exponents(small_farm: FarmData, facts: dict[int, LotFacts]) -> None:
    rng = np.random.default_rng(0)
    planted = np.array([0.5, 0.8, 1.0, 1.3, 2.0])
    t = np.arange(12) / 11
    curves = 420 + 560 * t[None, :] ** planted[:, None] + rng.normal(0, 5, (5, 12))
    ramp = fit_ramp(curves)
    assert ramp.exponent == pytest.approx(planted, rel=0.06)
    assert ramp.start == pytest.approx(420, abs=12) and ramp.end == pytest.approx(980, abs=12)
    assert np.all(ramp.rms < 8)
    # On the generated rows the fitted exponent is the generator's hidden per-lot shape.
    lot = np.asarray(small_farm.table("gavage_data_lots").column("lot_id"))
    dose = np.asarray(small_farm.table("gavage_data_lots").column("dose_moyenne_g"))
    finished = [i for i, f in facts.items() if f.status == "abattu"][:120]
    fitted = [fit_ramp(dose[lot == i].reshape(-1, 2).sum(axis=1)).exponent[0] for i in finished]
    truth = [small_farm.curve_shape(i) for i in finished]
    assert np.corrcoef(fitted, truth)[0, 1] > 0.98


def test_optimised_curves_score_better_within_every_bound(optimised: dict[int, Optimised]) -> None:
    for lot_id, run in optimised.items():
        result, lot = run.result, run.dataset.lot
        assert result.lot_id == lot_id and result.code_lot == lot.code_lot
        assert result.expected_improvement > 0, lot_id
        assert result.predicted_optimized.quality_score > result.predicted_actual.quality_score
        assert result.expected_improvement == pytest.approx(
            result.predicted_optimized.quality_score - result.predicted_actual.quality_score, abs=0.011
        )
        bounds, curve = result.bounds, result.optimized_curve
        assert [d.jour for d in curve] == list(range(1, lot.duree_gavage + 1))
        daily = totals(curve)
        fixed = result.days_fixed
        if lot.statut == "en_gavage":
            assert fixed == len(lot.matin_g) > 0
            assert [(d.matin, d.soir) for d in curve[:fixed]] == [
                (round(m, 1), round(s, 1)) for m, s in zip(lot.matin_g, lot.soir_g, strict=True)
            ]
            assert all(d.fixed for d in curve[:fixed])
        else:
            assert (
                fixed == 0
                and bounds.min_first_dose_g <= daily[0] + 0.2
                and daily[0] <= bounds.max_first_dose_g + 0.2
            )
        assert not any(d.fixed for d in curve[fixed:])
        planned = daily[max(fixed - 1, 0) :]  # from the last fed day on
        steps = np.diff(planned)
        assert np.all(steps >= -0.2), f"lot {lot_id}: ramp not monotone {planned}"
        assert steps.max() <= bounds.max_daily_increase_g + 0.2
        assert daily[fixed:].max() <= bounds.max_daily_dose_g + 0.2
        assert bounds.min_total_corn_kg - 0.002 <= daily.sum() / 1000 <= bounds.max_total_corn_kg + 0.002
        assert bounds.max_daily_dose_g == 1000 and bounds.max_daily_increase_g == 160
        assert 5 < bounds.min_total_corn_kg < bounds.max_total_corn_kg < 12
        # The evening meal keeps the lot's own share of the day.
        share = np.median(np.array(lot.soir_g) / daily_totals(lot))
        assert all(abs(d.soir / (d.matin + d.soir) - share) < 0.002 for d in curve[fixed:])
        assert 0 < result.confidence <= 1 and set(result.cv_r2) == {"sqal_score", "sqal_premium", "note"}
        assert result.n_training_lots >= MIN_TRAINING_LOTS and len(result.actual_curve) == lot.duree_gavage


def test_the_optimiser_moves_toward_the_planted_rules(
    optimised: dict[int, Optimised], small_truths: PlantedTruths
) -> None:
    """FeedbackRule rewards a straight ramp (exponent 1), SqalRule a liver near 550 g (LiverFormula)."""
    runs = list(optimised.values())
    typical = np.median([abs(exponent(daily_totals(t)) - 1) for t in runs[0].dataset.training])
    optimised_off = [abs(exponent(totals(r.result.optimized_curve)) - 1) for r in runs]
    assert np.mean(optimised_off) < 0.5 * typical, (optimised_off, typical)
    assert max(optimised_off) < typical + 0.1
    rule = small_truths.feedback
    actual_regularity = [rule.regularity(exponent(totals(r.result.actual_curve))) for r in runs]
    assert np.mean([rule.regularity(1 + off) for off in optimised_off]) > np.mean(actual_regularity)

    def liver_gap(r: Optimised, days: list[DailyDose]) -> float:
        lot = r.dataset.lot
        weight = small_truths.liver_weight(
            totals(days).sum() / 1000, lot.poids_initial_kg, lot.temperature_moyenne_c or 21.0
        )
        return abs(weight - small_truths.sqal.target_liver_g)

    assert np.mean([liver_gap(r, r.result.optimized_curve) for r in runs]) < np.mean(
        [liver_gap(r, r.result.actual_curve) for r in runs]
    )
    # The models name the planted drivers: corn total (→ liver → SQAL) and the ramp's shape (→ rating).
    for r in runs:
        top = [f.feature for f in r.result.feature_importances[:4]]
        assert "mais_total_kg" in top and "exposant_rampe" in top, top
        assert r.result.key_factors[0].startswith(r.result.feature_importances[0].label[0].upper())
        assert any("rampe" in words for words in r.result.key_factors)


def test_both_backends_load_the_same_dataset(loaded_farms: LoadedFarms, facts: dict[int, LotFacts]) -> None:
    postgres_or_skip()
    answers = []
    for backend in ("sqlite", "postgres"):
        engine = make_engine(loaded_farms.url(backend))
        with session_scope(engine) as session:
            dataset = load_feeding_curve_dataset(session, 3472)
        engine.dispose()
        answers.append(dataset)
    sqlite, postgres = answers
    assert [t.lot_id for t in sqlite.training] == [t.lot_id for t in postgres.training]
    for a, b in zip(sqlite.training, postgres.training, strict=True):
        assert a.matin_g == pytest.approx(b.matin_g) and a.note_moyenne == pytest.approx(b.note_moyenne)
        assert a.sqal_premium_share == pytest.approx(b.sqal_premium_share)


@pytest.fixture(scope="module")
def dataset_3472(loaded_farms: LoadedFarms) -> FeedingCurveDataset:
    engine = make_engine(loaded_farms.url("sqlite"))
    try:
        with session_scope(engine) as session:
            return load_feeding_curve_dataset(session, 3472)
    finally:
        engine.dispose()


def test_tighter_welfare_bounds_hold_and_progress_is_reported(dataset_3472: FeedingCurveDataset) -> None:
    stages: list[tuple[int, str]] = []
    bounds = FeedingBounds(
        max_daily_dose_g=900, max_daily_increase_g=55, min_first_dose_g=380, max_first_dose_g=420
    )
    result = optimize_feeding_curve(dataset_3472, bounds, on_progress=lambda p, s: stages.append((p, s)))
    daily = totals(result.optimized_curve)
    assert daily.max() <= 900.2 and np.diff(daily).max() <= 55.2 and np.diff(daily).min() >= -0.2
    assert 379.8 <= daily[0] <= 420.2
    assert result.bounds.max_daily_dose_g == 900 and result.bounds.max_daily_increase_g == 55
    # The lot's own curve breaks these bounds, so the best curve within them may score below it: reported
    # as it is, never hidden by stepping outside the bounds.
    actual = totals(result.actual_curve)
    assert actual.max() > 900 or np.diff(actual).max() > 55
    percents = [p for p, _ in stages]
    assert percents[0] == 0 and percents[-1] == 100 and percents == sorted(percents)
    assert stages[-1][1] == "terminé" and any("optimisation" in s for _, s in stages)


def error_of(call: object) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.non_retryable
    return caught.value


def test_unknown_lot(farm_engine: Engine) -> None:
    with session_scope(farm_engine) as session:
        error = error_of(lambda: load_feeding_curve_dataset(session, 999_999))
    assert error.type == "LotNotFound" and "999999" in error.message


def test_too_few_finished_lots(dataset_3472: FeedingCurveDataset) -> None:
    few = dataset_3472.model_copy(update={"training": dataset_3472.training[: MIN_TRAINING_LOTS - 1]})
    error = error_of(lambda: optimize_feeding_curve(few))
    assert error.type == "InsufficientData" and f"at least {MIN_TRAINING_LOTS}" in error.message


def test_impossible_bounds(dataset_3472: FeedingCurveDataset) -> None:
    error = error_of(lambda: optimize_feeding_curve(dataset_3472, FeedingBounds(min_total_corn_kg=20)))
    assert error.type == "InvalidFeedingBounds" and "maïs total" in error.message
    error = error_of(
        lambda: optimize_feeding_curve(
            dataset_3472, FeedingBounds(min_first_dose_g=500, max_daily_dose_g=450)
        )
    )
    assert error.type == "InvalidFeedingBounds" and "jour 1" in error.message
