"""Symbolic regression as a plain function: planted formulas come back, readable and short."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from gaveurs.contracts.ml import SymbolicCheckpoint
from gaveurs.ml.symbolic import (
    Candidate,
    EngineNotAvailable,
    choose,
    choose_engine,
    fit_symbolic,
    prune,
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
        on_restart=lambda checkpoint, total: progress.append((checkpoint.restarts_done, total)),
    )  # fmt: skip
    assert progress == [(1, 2), (2, 2)]
    assert fit.r2_score >= 0.95 and fit.r2_holdout >= 0.95
    assert set(fit.variables) == {"dose", "weight", "temp"}, fit.formula
    expression = sp.sympify(fit.formula.split("=", 1)[1])
    coefficients = {str(s): float(expression.coeff(s)) for s in expression.free_symbols}
    assert coefficients["dose"] == pytest.approx(40.0, rel=0.05)
    assert coefficients["temp"] == pytest.approx(-5.0, rel=0.15)
    assert fit.prediction_for_lot == pytest.approx(30 + 40 * X[0, 0] + 50 * X[0, 1] - 5 * X[0, 2], abs=10)


def test_a_fit_resumed_from_a_checkpoint_chooses_as_an_uninterrupted_one() -> None:
    X, y = planted_data(n=200)
    checkpoints: list[SymbolicCheckpoint] = []
    options = {"reference": None, "engine": "pyoperon", "generations": 60, "target": "liver"}
    whole = fit_symbolic(X, y, NAMES, restarts=3, on_restart=lambda c, _t: checkpoints.append(c), **options)  # type: ignore[arg-type]
    # An attempt that died after its second restart left this checkpoint behind (through JSON, as heartbeats do).
    saved = SymbolicCheckpoint.model_validate_json(checkpoints[1].model_dump_json())
    resumed = fit_symbolic(X, y, NAMES, restarts=3, resume=saved, **options)  # type: ignore[arg-type]
    assert resumed.resumed_restarts == 2 and whole.resumed_restarts == 0
    assert resumed.formula == whole.formula and resumed.r2_holdout == whole.r2_holdout


def test_pruning_keeps_what_choose_could_still_pick() -> None:
    x = sp.Symbol("x")
    kept = prune([Candidate(x, 1, 0.70), Candidate(2 * x, 3, 0.980), Candidate(3 * x, 3, 0.979),
                  Candidate(x**2, 5, 0.981)])  # fmt: skip
    assert [(c.complexity, c.r2_holdout) for c in kept] == [(3, 0.980), (5, 0.981)]


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
