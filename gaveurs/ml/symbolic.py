"""Symbolic regression: find a short, readable formula for a target from tabular features.

PySR (Julia) is used where a Julia runtime exists; otherwise Operon (C++, via pyoperon), which runs offline.
Both produce a Pareto front of (accuracy, size); we keep the shortest model whose hold-out R² is within a
hair of the best, then simplify it with sympy so a person can read it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import sympy as sp

from gaveurs.child_process import Reporter
from gaveurs.contracts.ml import SymbolicCandidate, SymbolicCheckpoint, SymbolicFit, SymbolicFitRequest

Engine = Literal["pysr", "pyoperon"]

# Accept a longer model only if it beats the shortest good one by more than this hold-out R².
R2_TOLERANCE = 0.002
HOLDOUT_FRACTION = 0.2


class EngineNotAvailable(RuntimeError):
    pass


def pysr_available() -> bool:
    return shutil.which("julia") is not None and importlib.util.find_spec("pysr") is not None


def choose_engine(preferred: str | None = None) -> Engine:
    """`SR_ENGINE=auto|pysr|pyoperon`; auto prefers PySR when Julia is installed."""
    preferred = (preferred or os.environ.get("SR_ENGINE", "auto")).lower()
    if preferred == "pyoperon":
        return "pyoperon"
    if preferred == "pysr":
        if not pysr_available():
            raise EngineNotAvailable("SR_ENGINE=pysr but no Julia runtime (`julia` on PATH) or pysr package")
        return "pysr"
    if preferred != "auto":
        raise EngineNotAvailable(f"unknown SR_ENGINE {preferred!r}: use auto, pysr or pyoperon")
    return "pysr" if pysr_available() else "pyoperon"


@dataclass(frozen=True)
class Candidate:
    expression: sp.Expr
    complexity: int
    r2_holdout: float


def r2(y: np.ndarray, predicted: np.ndarray) -> float:
    residual = float(np.sum((y - predicted) ** 2))
    total = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - residual / total if total > 0 else 0.0


def tidy(expression: sp.Expr, significant: int = 4) -> sp.Expr:
    """Expand and round constants: `49.71 + 39.27*dose_totale_kg` rather than nested products."""
    expanded = sp.expand(expression)
    rounded: sp.Expr = expanded.xreplace(
        {n: sp.Float(float(f"{float(n):.{significant}g}"), significant) for n in expanded.atoms(sp.Float)}
    )
    return rounded


def complexity_of(expression: sp.Expr) -> int:
    return sum(1 for _ in sp.preorder_traversal(expression))


def evaluate(expression: sp.Expr, names: Sequence[str], X: np.ndarray) -> np.ndarray:
    symbols = [sp.Symbol(name) for name in names]
    function = sp.lambdify(symbols, expression, modules="numpy")
    values = np.asarray(function(*X.T), dtype=float)
    return np.broadcast_to(values, (X.shape[0],)).astype(float)


def candidate(expression: sp.Expr, names: Sequence[str], X_test: np.ndarray, y_test: np.ndarray) -> Candidate:
    clean = tidy(expression)
    return Candidate(clean, complexity_of(clean), r2(y_test, evaluate(clean, names, X_test)))


def operon_front(
    X: np.ndarray, y: np.ndarray, names: Sequence[str], *, generations: int, seed: int
) -> list[sp.Expr]:
    from pyoperon.sklearn import SymbolicRegressor  # heavy C++ extension: import where used

    regressor = SymbolicRegressor(
        allowed_symbols="add,sub,mul,div,constant,variable",
        objectives=["r2", "length"],
        generations=generations,
        population_size=1000,
        max_length=25,
        max_evaluations=generations * 4000,
        n_threads=1,
        random_state=seed,
    )
    regressor.fit(X, y)
    local = {name: sp.Symbol(name) for name in names}
    return [
        sp.sympify(regressor.get_model_string(model["tree"], 8, list(names)), locals=local)
        for model in regressor.pareto_front_
    ]


def pysr_front(
    X: np.ndarray, y: np.ndarray, names: Sequence[str], *, generations: int, seed: int
) -> list[sp.Expr]:
    from pysr import PySRRegressor  # starts a Julia runtime: only where choose_engine() allowed it

    regressor = PySRRegressor(
        niterations=max(generations // 10, 10),
        binary_operators=["+", "-", "*", "/"],
        maxsize=25,
        random_state=seed,
        deterministic=True,
        parallelism="serial",
        progress=False,
        verbosity=0,
    )
    regressor.fit(X, y, variable_names=list(names))
    return [regressor.sympy(index) for index in range(len(regressor.equations_))]


def prune(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The candidates `choose` could still pick however later restarts go, best per complexity.

    The best hold-out R² only grows as restarts add candidates, so one already below best − tolerance can
    never be chosen; among equal complexities only the best R² can. Keeps checkpoints small and exact.
    """
    best = max(c.r2_holdout for c in candidates)
    kept: dict[int, Candidate] = {}
    for c in candidates:
        if c.r2_holdout >= best - R2_TOLERANCE and (
            c.complexity not in kept or c.r2_holdout > kept[c.complexity].r2_holdout
        ):
            kept[c.complexity] = c
    return sorted(kept.values(), key=lambda c: c.complexity)


def choose(candidates: Sequence[Candidate]) -> Candidate:
    best = max(c.r2_holdout for c in candidates)
    good = [c for c in candidates if c.r2_holdout >= best - R2_TOLERANCE]
    return min(good, key=lambda c: (c.complexity, -c.r2_holdout))


def fit_symbolic(
    X: np.ndarray,
    y: np.ndarray,
    names: Sequence[str],
    *,
    reference: Sequence[float] | None,
    engine: Engine,
    restarts: int,
    generations: int,
    seed: int = 0,
    target: str = "y",
    resume: SymbolicCheckpoint | None = None,
    on_restart: Callable[[SymbolicCheckpoint, int], None] = lambda checkpoint, total: None,
) -> SymbolicFit:
    """Run `restarts` independent searches on 80 % of the rows and choose on the other 20 %.

    Restart i always uses seed + i and the same split, so a fit resumed from `resume` (the restarts an earlier
    attempt finished) chooses among exactly the candidates an uninterrupted fit would have seen.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    cut = int(len(y) * (1 - HOLDOUT_FRACTION))
    train, test = order[:cut], order[cut:]
    search = pysr_front if engine == "pysr" else operon_front
    local = {name: sp.Symbol(name) for name in names}

    resumed = min(resume.restarts_done, restarts) if resume else 0
    candidates: list[Candidate] = (
        [
            Candidate(sp.sympify(c.expression, locals=local), c.complexity, c.r2_holdout)
            for c in resume.candidates
        ]
        if resume and resumed
        else []
    )
    for restart in range(resumed, restarts):
        front = search(X[train], y[train], names, generations=generations, seed=seed + restart)
        candidates = prune(
            candidates + [candidate(expression, names, X[test], y[test]) for expression in front]
        )
        on_restart(
            SymbolicCheckpoint(
                restarts_done=restart + 1,
                candidates=[
                    SymbolicCandidate(
                        expression=sp.srepr(c.expression), complexity=c.complexity, r2_holdout=c.r2_holdout
                    )
                    for c in candidates
                ],
            ),
            restarts,
        )

    chosen = choose(candidates)
    used = [name for name in names if sp.Symbol(name) in chosen.expression.free_symbols]
    prediction = (
        float(evaluate(chosen.expression, names, np.asarray([reference], dtype=float))[0])
        if reference is not None
        else None
    )
    return SymbolicFit(
        engine=engine,
        formula=f"{target} = {sp.sstr(chosen.expression)}",
        r2_score=round(r2(y, evaluate(chosen.expression, names, X)), 4),
        r2_holdout=round(chosen.r2_holdout, 4),
        variables=used,
        complexity=chosen.complexity,
        n_samples=len(y),
        prediction_for_lot=round(prediction, 2) if prediction is not None else None,
        resumed_restarts=resumed,
    )


def fit_training_set(request: SymbolicFitRequest, reporter: Reporter) -> SymbolicFit:
    """Child-process target: fit a loaded training set, reporting a checkpoint after every restart."""
    data = request.training_set
    resume = SymbolicCheckpoint.model_validate(reporter.resume) if reporter.resume is not None else None
    if resume is not None:
        reporter(
            100 * resume.restarts_done // request.restarts,
            f"recherche {request.engine} : reprise après {resume.restarts_done}/{request.restarts}",
            resume.model_dump(),
        )

    def restart_done(checkpoint: SymbolicCheckpoint, total: int) -> None:
        done = checkpoint.restarts_done
        reporter(
            100 * done // total,
            f"recherche {request.engine} : {done}/{total} terminées",
            checkpoint.model_dump(),
        )

    return fit_symbolic(
        np.asarray(data.rows, dtype=float),
        np.asarray(data.targets, dtype=float),
        data.feature_names,
        reference=data.reference_features,
        engine=request.engine,
        restarts=request.restarts,
        generations=request.generations,
        target=data.target,
        resume=resume,
        on_restart=restart_done,
    )
