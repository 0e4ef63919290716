"""Symbolic regression as a plain function: planted formulas come back, readable and short."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from gaveurs.ml.symbolic import (
    Candidate,
    EngineNotAvailable,
    choose,
    choose_engine,
    fit_symbolic,
    pysr_available,
    tidy,
)

NAMES = ["dose", "weight", "temp", "humidity"]


def planted_data(n: int = 300, noise: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = np.column_stack(
        [rng.uniform(6, 11, n), rng.normal(4.5, 0.3, n), rng.normal(21, 2.5, n), rng.uniform(55, 80, n)]
    )
    y = 30.0 + 40.0 * X[:, 0] + 50.0 * X[:, 1] - 5.0 * X[:, 2] + rng.normal(0, noise, n)
    return X, y


def test_operon_recovers_a_planted_linear_formula() -> None:
    X, y = planted_data()
    progress: list[tuple[int, int]] = []
    fit = fit_symbolic(
        X, y, NAMES, reference=list(X[0]), engine="pyoperon", restarts=2, generations=200, target="liver",
        on_restart=lambda done, total: progress.append((done, total)),
    )  # fmt: skip
    assert progress == [(1, 2), (2, 2)]
    assert fit.r2_score >= 0.95 and fit.r2_holdout >= 0.95
    assert set(fit.variables) == {"dose", "weight", "temp"}, fit.formula
    expression = sp.sympify(fit.formula.split("=", 1)[1])
    coefficients = {str(s): float(expression.coeff(s)) for s in expression.free_symbols}
    assert coefficients["dose"] == pytest.approx(40.0, rel=0.05)
    assert coefficients["temp"] == pytest.approx(-5.0, rel=0.15)
    assert fit.prediction_for_lot == pytest.approx(30 + 40 * X[0, 0] + 50 * X[0, 1] - 5 * X[0, 2], abs=10)


def test_choose_prefers_the_shortest_model_that_is_nearly_the_best() -> None:
    x = sp.Symbol("x")
    short = Candidate(2 * x, 3, 0.980)
    long = Candidate(2 * x + x**2 / 1000, 9, 0.981)
    worse = Candidate(x, 1, 0.70)
    assert choose([long, short, worse]) is short


def test_tidy_rounds_and_expands() -> None:
    x, y = sp.symbols("x y")
    assert sp.sstr(tidy(3.14159265 * (x + 2.0) - 0.000001 * y)) == "3.142*x - 1.0e-6*y + 6.283"


def test_engine_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    assert choose_engine("pyoperon") == "pyoperon"
    with pytest.raises(EngineNotAvailable, match="unknown SR_ENGINE"):
        choose_engine("eureqa")
    if not pysr_available():
        assert choose_engine("auto") == "pyoperon"
        with pytest.raises(EngineNotAvailable, match="Julia"):
            choose_engine("pysr")
    monkeypatch.setenv("SR_ENGINE", "pyoperon")
    assert choose_engine() == "pyoperon"
