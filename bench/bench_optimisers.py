"""`python -m bench.bench_optimisers`: the feeding-curve optimiser and slaughter planning on the demo farm.

Loads the demo farm into a temporary SQLite file and a fresh PostgreSQL database (created on the server at
TEST_POSTGRES_ADMIN_URL or --postgres-admin-url, dropped afterwards), then times each task's two halves —
loading from the database, then the fit or solve — beside the seed's Celery figures. The target is 10×
faster than the seed's lower figure. Nothing here asserts: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url

from gaveurs.contracts.ml import AbattagePlanningInput
from gaveurs.db.migrate import upgrade
from gaveurs.db.models import Lot
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm.generator import FarmData, generate_farm
from gaveurs.farm.loader import load_farm
from gaveurs.farm.truths import TODAY
from gaveurs.ml.abattage import plan_abattage
from gaveurs.ml.abattage_data import load_planning_problem
from gaveurs.ml.feeding_curve import optimize_feeding_curve
from gaveurs.ml.feeding_curve_data import load_feeding_curve_dataset

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SEED_FIGURES = {
    "optimize_feeding_curve_async": (120.0, 600.0),
    "optimize_abattage_planning_async": (120.0, 600.0),
}


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds over `repeat` runs, and the last answer."""
    times, answer = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        answer = call()
        times.append(time.perf_counter() - began)
    return statistics.median(times), answer


def line(task: str, case: str, load_s: float, work_s: float, note: str) -> None:
    low, high = SEED_FIGURES[task]
    total = load_s + work_s
    print(
        f"  {case:34} load {load_s:5.2f}s  fit/solve {work_s:5.2f}s  total {total:5.2f}s  "
        f"(seed {low / 60:g}–{high / 60:g} min: {low / total:4.0f}× faster)  {note}"
    )


def bench_feeding(engine: Engine, repeat: int) -> None:
    print("optimize_feeding_curve_async")
    with session_scope(engine) as session:
        waiting = session.scalars(select(Lot.id).where(Lot.statut == "termine").order_by(Lot.id)).first()
        # The lot that started last: the most days still to plan.
        feeding = session.scalars(
            select(Lot.id).where(Lot.statut == "en_gavage").order_by(Lot.id.desc())
        ).first()
    assert waiting is not None and feeding is not None, "the demo farm has lots waiting and in feeding"
    cases: list[tuple[str, int]] = [
        ("lot 3472 (abattu)", 3472),
        (f"lot {waiting} (termine)", waiting),
        (f"lot {feeding} (en gavage)", feeding),
    ]
    for case, lot_id in cases:

        def load(lot: int = lot_id) -> Any:
            with session_scope(engine) as session:
                return load_feeding_curve_dataset(session, lot)

        load_s, dataset = timed(load, repeat)
        fit_s, result = timed(partial(optimize_feeding_curve, dataset), repeat)
        note = (
            f"+{result.expected_improvement:.1f} pts, confidence {result.confidence:.2f}, "
            f"{result.n_training_lots} lots, {result.days_fixed} days fixed, {result.optimizer_generations} generations"
        )
        line("optimize_feeding_curve_async", case, load_s, fit_s, note)


def bench_planning(engine: Engine, repeat: int) -> None:
    print("optimize_abattage_planning_async")
    with session_scope(engine) as session:
        last_end = max(
            lot.debut_gavage + timedelta(days=lot.duree_gavage)
            for lot in session.scalars(select(Lot).where(Lot.statut == "en_gavage"))
        )
    for share in (1.0, 0.6):
        params = AbattagePlanningInput(
            date_debut=TODAY, date_fin=last_end + timedelta(days=2), capacity_share=share, today=TODAY
        )

        def load(p: AbattagePlanningInput = params) -> Any:
            with session_scope(engine) as session:
                return load_planning_problem(session, p)

        load_s, problem = timed(load, repeat)
        solve_s, result = timed(partial(plan_abattage, problem), repeat)
        case = f"{params.date_debut}…{params.date_fin}, capacity {share:.0%}"
        note = (
            f"{result.n_lots} lots, {result.total_cost:,.0f} € vs greedy {result.greedy_cost:,.0f} € "
            f"(ratio {result.optimization_ratio}), {result.solver_status}"
        )
        line("optimize_abattage_planning_async", case, load_s, solve_s, note)


def run(url: str, data: FarmData, repeat: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    try:
        load_farm(engine, data)
        bench_feeding(engine, repeat)
        bench_planning(engine, repeat)
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_optimisers", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--postgres-admin-url", default=os.environ.get("TEST_POSTGRES_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()

    data = generate_farm("demo")
    print(f"demo farm: {data.truths.counts['lots_gavage']:,} lots; median of {args.repeat} runs\n")
    with tempfile.TemporaryDirectory(prefix="gaveurs-bench-") as tmp:
        print("— SQLite")
        run(f"sqlite:///{Path(tmp) / 'farm.db'}", data, args.repeat)

    if args.skip_postgres:
        return
    name = f"gaveurs_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(args.postgres_admin_url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        print("\n— PostgreSQL")
        run(
            make_url(args.postgres_admin_url).set(database=name).render_as_string(hide_password=False),
            data,
            args.repeat,
        )
    finally:
        with psycopg.connect(_libpq(args.postgres_admin_url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
