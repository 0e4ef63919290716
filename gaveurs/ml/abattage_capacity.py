"""Capacity checks made before solving, so an impossible plan fails with the day that cannot fit.

For every run of days [i, j], the ducks of the lots that must be slaughtered within it (their whole window
inside) cannot exceed what all slaughterhouses take over those days. That is necessary for a plan to exist;
when it holds and the solver still finds none, indivisible lots are to blame (reported by the solver step).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from gaveurs.contracts.ml import PlanningProblem
from gaveurs.errors import InsufficientCapacity
from gaveurs.ml.abattage_rules import SlaughterWindow


def ducks(n: int) -> str:
    """12 400, the way the farm writes numbers."""
    return f"{n:,}".replace(",", " ")


def check_capacity(problem: PlanningProblem, windows: list[SlaughterWindow], caps: list[int]) -> None:
    """Raise InsufficientCapacity naming the shortest (then earliest) run of days that cannot fit."""
    share = "" if problem.capacity_share >= 1 else f", part réservée {100 * problem.capacity_share:g} %"
    reachable = {(r.site_code, r.abattoir_id) for r in problem.routes}
    for lot in problem.lots:
        biggest = max(
            (
                c
                for a, c in zip(problem.abattoirs, caps, strict=True)
                if (lot.site_code, a.abattoir_id) in reachable
            ),
            default=0,
        )
        if lot.nb_canards > biggest:
            raise InsufficientCapacity.error(
                f"capacité insuffisante : le lot {lot.code_lot} compte {ducks(lot.nb_canards)} canards, plus que "
                f"la capacité journalière du plus grand abattoir qu'il peut rejoindre ({ducks(biggest)}{share})",
                lot_id=lot.lot_id,
            )

    n_days = (problem.date_fin - problem.date_debut).days + 1
    must = np.zeros((n_days, n_days))  # [first day, last day] of each lot's window
    for lot, window in zip(problem.lots, windows, strict=True):
        must[(window.first - problem.date_debut).days, (window.last - problem.date_debut).days] += (
            lot.nb_canards
        )
    # demand[i, j] = ducks of lots whose window lies within days i..j
    demand = np.flip(np.cumsum(np.flip(must, axis=0), axis=0), axis=0).cumsum(axis=1)
    first, last = np.meshgrid(np.arange(n_days), np.arange(n_days), indexing="ij")
    length = last - first + 1
    excess = np.where(length > 0, demand - sum(caps) * length, -np.inf)
    if not np.any(excess > 0):
        return
    candidates = np.argwhere(excess > 0)
    i, j = min(candidates.tolist(), key=lambda ij: (ij[1] - ij[0], ij[0]))
    start = problem.date_debut + timedelta(days=i)
    total, days = int(demand[i, j]), j - i + 1
    where = (
        f"le {start.isoformat()}"
        if days == 1
        else f"entre le {start.isoformat()} et le {(start + timedelta(days=days - 1)).isoformat()}"
    )
    over = "" if days == 1 else f" sur ces {days} jours"
    raise InsufficientCapacity.error(
        f"capacité insuffisante : {ducks(total)} canards à abattre {where}, capacité totale "
        f"{ducks(sum(caps) * days)}{over} ({len(caps)} abattoirs{share})",
        date=start.isoformat(),
        days=days,
        canards=total,
        capacite=sum(caps) * days,
    )
