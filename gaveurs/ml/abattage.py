"""Slaughter planning: lots → (slaughterhouse, day) at least cost, as a MILP solved by HiGHS.

One binary x[l, a, d] per lot l, slaughterhouse a it has a route to, and day d of the lot's window
(abattage_rules.py). Each lot goes exactly once (lots are not split: one barn, one convoy); each
slaughterhouse takes at most its daily capacity (times the share booked for the farm) each day. Cost =
ducks × (route cost per duck + waiting cost per duck × days after the lot's first possible day).
The baseline is the greedy plan a planner would draw by hand: lots by deadline, each to the cheapest
slaughterhouse-day that still has room. `optimization_ratio` = greedy cost / optimal cost (≥ 1).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from gaveurs.contracts.ml import (
    AbattagePlanningResult,
    PlannedSlaughter,
    PlanningProblem,
    SlaughterhouseDay,
)
from gaveurs.errors import InsufficientCapacity, InsufficientData, InvalidDateRange, NoLotToPlan
from gaveurs.ml.abattage_capacity import check_capacity
from gaveurs.ml.abattage_rules import SlaughterWindow, check_dates, slaughter_window

Progress = Callable[[int, str], None]
COST_TOLERANCE_EUR = 1e-6


def _no_progress(percent: int, stage: str) -> None:
    pass


@dataclass(frozen=True)
class Option:
    """One way to slaughter one lot: where, when, at what cost."""

    lot: int  # index into problem.lots
    abattoir: int  # index into problem.abattoirs
    day: int  # days after date_debut
    waiting_days: int
    transport_eur: float
    waiting_eur: float

    @property
    def cost(self) -> float:
        return self.transport_eur + self.waiting_eur


def _windows(problem: PlanningProblem) -> list[SlaughterWindow]:
    windows = []
    for lot in problem.lots:
        window = slaughter_window(
            lot.statut,
            lot.fin_gavage,
            problem.date_debut,
            problem.date_fin,
            problem.max_wait_days,
            problem.today,
        )
        if window is None:
            raise InvalidDateRange.error(
                f"le lot {lot.code_lot} (fin de gavage le {lot.fin_gavage.isoformat()}) ne peut pas être "
                f"abattu entre le {problem.date_debut.isoformat()} et le {problem.date_fin.isoformat()}",
                lot_id=lot.lot_id,
            )
        windows.append(window)
    return windows


def _options(problem: PlanningProblem, windows: list[SlaughterWindow]) -> list[Option]:
    routes = {(r.site_code, r.abattoir_id): r for r in problem.routes}
    options = []
    for index, (lot, window) in enumerate(zip(problem.lots, windows, strict=True)):
        reachable = [
            (a, routes[lot.site_code, abattoir.abattoir_id])
            for a, abattoir in enumerate(problem.abattoirs)
            if (lot.site_code, abattoir.abattoir_id) in routes
        ]
        if not reachable:
            raise InsufficientData.error(
                f"aucune route vers un abattoir depuis le site {lot.site_code} (lot {lot.code_lot})",
                lot_id=lot.lot_id,
            )
        start = (window.first - problem.date_debut).days
        for waiting in range(window.days):
            for a, route in reachable:
                options.append(
                    Option(
                        lot=index,
                        abattoir=a,
                        day=start + waiting,
                        waiting_days=waiting,
                        transport_eur=lot.nb_canards * route.cout_par_canard_eur,
                        waiting_eur=lot.nb_canards * problem.waiting_cost_eur_per_duck_day * waiting,
                    )
                )
    return options


def capacities(problem: PlanningProblem) -> list[int]:
    """Ducks per day each slaughterhouse takes from this farm."""
    return [int(a.capacite_journaliere * problem.capacity_share) for a in problem.abattoirs]


def greedy_plan(problem: PlanningProblem, options: list[Option], n_days: int) -> list[Option] | None:
    """Earliest deadline first, biggest lot first among equals; each to its cheapest option with room.

    None when some lot finds no room left (the greedy plan fails where an optimal one may not).
    """
    room = np.tile(np.array(capacities(problem)), (n_days, 1))  # day × slaughterhouse
    by_lot: dict[int, list[Option]] = {}
    for option in options:
        by_lot.setdefault(option.lot, []).append(option)
    order = sorted(
        by_lot,
        key=lambda i: (max(o.day for o in by_lot[i]), -problem.lots[i].nb_canards, problem.lots[i].lot_id),
    )
    chosen = []
    for index in order:
        ducks = problem.lots[index].nb_canards
        fitting = [o for o in by_lot[index] if room[o.day, o.abattoir] >= ducks]
        if not fitting:
            return None
        best = min(fitting, key=lambda o: (o.cost, o.day, o.abattoir))
        room[best.day, best.abattoir] -= ducks
        chosen.append(best)
    return chosen


@dataclass(frozen=True)
class MilpOutcome:
    chosen: list[Option] | None
    status: str
    mip_gap: float | None


def milp_plan(problem: PlanningProblem, options: list[Option], n_days: int) -> MilpOutcome:
    n_lots, n_abattoirs = len(problem.lots), len(problem.abattoirs)
    columns = np.arange(len(options))
    lot_of = np.array([o.lot for o in options])
    slot_of = np.array([o.day * n_abattoirs + o.abattoir for o in options])
    ducks = np.array([problem.lots[o.lot].nb_canards for o in options], dtype=float)
    once = coo_array((np.ones(len(options)), (lot_of, columns)), shape=(n_lots, len(options))).tocsr()
    load = coo_array((ducks, (slot_of, columns)), shape=(n_days * n_abattoirs, len(options))).tocsr()
    capacity = np.tile(np.array(capacities(problem), dtype=float), n_days)
    result = milp(
        c=np.array([o.cost for o in options]),
        integrality=np.ones(len(options)),
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(once, 1, 1), LinearConstraint(load, -np.inf, capacity)],
        # Within 0.01 % of the optimum (HiGHS' default): proving the last euro can take as long again.
        # The greedy plan is kept instead in the rare case the solver's is dearer (plan_abattage).
        options={"time_limit": problem.time_limit_s, "mip_rel_gap": 1e-4, "presolve": True},
    )
    status = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded"}.get(result.status, "error")
    if result.x is None:
        return MilpOutcome(None, status, None)
    chosen = [options[i] for i in np.flatnonzero(result.x > 0.5)]
    gap = getattr(result, "mip_gap", None)
    return MilpOutcome(chosen, status, None if gap is None else float(gap))


def _cost(chosen: list[Option]) -> float:
    return float(sum(o.cost for o in chosen))


def _planned(problem: PlanningProblem, chosen: list[Option]) -> list[PlannedSlaughter]:
    routes = {(r.site_code, r.abattoir_id): r for r in problem.routes}
    planned = []
    for o in sorted(chosen, key=lambda o: (o.day, o.abattoir, problem.lots[o.lot].lot_id)):
        lot, abattoir = problem.lots[o.lot], problem.abattoirs[o.abattoir]
        planned.append(
            PlannedSlaughter(
                lot_id=lot.lot_id,
                code_lot=lot.code_lot,
                site_code=lot.site_code,
                abattoir_id=abattoir.abattoir_id,
                abattoir=abattoir.nom,
                date_abattage=problem.date_debut + timedelta(days=o.day),
                nb_canards=lot.nb_canards,
                distance_km=routes[lot.site_code, abattoir.abattoir_id].distance_km,
                jours_attente=o.waiting_days,
                cout_transport=round(o.transport_eur, 2),
                cout_attente=round(o.waiting_eur, 2),
                cout=round(o.cost, 2),
            )
        )
    return planned


def _load(problem: PlanningProblem, chosen: list[Option]) -> list[SlaughterhouseDay]:
    used: dict[tuple[int, int], int] = {}
    for o in chosen:
        used[o.day, o.abattoir] = used.get((o.day, o.abattoir), 0) + problem.lots[o.lot].nb_canards
    caps = capacities(problem)
    return [
        SlaughterhouseDay(
            abattoir_id=problem.abattoirs[a].abattoir_id,
            jour=problem.date_debut + timedelta(days=day),
            nb_canards=ducks,
            capacite=caps[a],
        )
        for (day, a), ducks in sorted(used.items())
    ]


def plan_abattage(
    problem: PlanningProblem, *, on_progress: Progress = _no_progress
) -> AbattagePlanningResult:
    """The least-cost slaughter plan, its greedy baseline, and the solver's report.

    Raises InvalidDateRange (reversed or over-long window, or a lot outside it), NoLotToPlan,
    InsufficientCapacity (the message names the day or days that cannot fit) and InsufficientData (a site
    with no route to any slaughterhouse).
    """
    began = time.perf_counter()
    on_progress(0, "préparation du plan")
    check_dates(problem.date_debut, problem.date_fin, problem.today)
    if not problem.lots:
        raise NoLotToPlan.error(
            f"aucun lot à abattre entre le {problem.date_debut.isoformat()} et le {problem.date_fin.isoformat()}"
        )
    if not problem.abattoirs:
        raise InsufficientCapacity.error("aucun abattoir : capacité nulle")
    windows = _windows(problem)
    n_days = (problem.date_fin - problem.date_debut).days + 1
    options = _options(problem, windows)
    on_progress(10, "contrôle des capacités")
    check_capacity(problem, windows, capacities(problem))

    on_progress(25, "plan glouton de référence")
    greedy = greedy_plan(problem, options, n_days)
    on_progress(40, "résolution MILP (HiGHS)")
    outcome = milp_plan(problem, options, n_days)
    if outcome.chosen is None:
        if outcome.status == "infeasible":
            raise InsufficientCapacity.error(
                "capacité insuffisante : aucun plan ne loge tous les lots (un lot ne se divise pas) ; "
                "plus de capacité, une fenêtre plus longue ou un délai d'attente plus grand sont nécessaires"
            )
        if greedy is None:
            raise RuntimeError(f"HiGHS found no plan ({outcome.status}) within {problem.time_limit_s:g} s")
    on_progress(95, "assemblage du plan")
    chosen: list[Option] | None = outcome.chosen
    method: Literal["milp", "greedy"] = "milp"
    greedy_cost = _cost(greedy) if greedy is not None else None
    if chosen is None or (greedy_cost is not None and _cost(chosen) > greedy_cost + COST_TOLERANCE_EUR):
        chosen, method = greedy, "greedy"  # only when the solver stopped early (time limit or gap)
    assert chosen is not None
    total = _cost(chosen)
    result = AbattagePlanningResult(
        date_debut=problem.date_debut,
        date_fin=problem.date_fin,
        planning=_planned(problem, chosen),
        total_cost=round(total, 2),
        greedy_cost=None if greedy_cost is None else round(greedy_cost, 2),
        optimization_ratio=None if greedy_cost is None or total <= 0 else round(greedy_cost / total, 4),
        savings_eur=None if greedy_cost is None else round(greedy_cost - total, 2),
        method=method,
        solver="scipy.optimize.milp (HiGHS)",
        solver_status=outcome.status,
        mip_gap=outcome.mip_gap,
        solve_seconds=round(time.perf_counter() - began, 3),
        n_lots=len(problem.lots),
        n_canards=sum(lot.nb_canards for lot in problem.lots),
        load=_load(problem, chosen),
        planned_at=datetime.now(UTC),
    )
    on_progress(100, "terminé")
    return result


__all__ = ["capacities", "greedy_plan", "milp_plan", "plan_abattage"]
