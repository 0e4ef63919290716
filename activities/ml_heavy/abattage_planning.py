"""Activities of optimize_abattage_planning_async: load and solve in a child process, then store the plan.

The plan is stored by its own local activity, under a key naming this task run: a retry of the run replaces
what an earlier attempt wrote, and another run (the same window planned again later) keeps its own plan.
"""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from activities.shared.child_process import run_in_child_process
from gaveurs.child_process import Reporter
from gaveurs.contracts.ml import AbattagePlanningInput, AbattagePlanningResult
from gaveurs.db.session import session_scope
from gaveurs.faults import pause_point
from gaveurs.ml.abattage import plan_abattage
from gaveurs.ml.abattage_data import load_planning_problem, store_abattage_plan

LOADED = 5  # percent of the activity spent loading the lots, slaughterhouses and routes


def plan_in_child(params: AbattagePlanningInput, reporter: Reporter) -> AbattagePlanningResult:
    """Child-process target: the lots of the window, the slaughterhouses and routes, then the MILP."""
    reporter(1, "chargement des lots à abattre")
    with session_scope() as session:
        problem = load_planning_problem(session, params)
    pause_point("optimize_abattage_planning.solve", lambda: reporter(LOADED, "préparation du plan"))

    def progress(percent: int, stage: str) -> None:
        reporter(LOADED + (100 - LOADED) * percent // 100, stage)

    return plan_abattage(problem, on_progress=progress)


@activity.defn(name="solve_abattage_planning")
async def solve_abattage_planning(params: AbattagePlanningInput) -> AbattagePlanningResult:
    """`params.today` is set by the workflow, so every attempt plans from the same day."""
    return await run_in_child_process(plan_in_child, params, stage="chargement des lots à abattre")


class StorePlan(BaseModel):
    plan_key: str
    params: AbattagePlanningInput
    result: AbattagePlanningResult


@activity.defn(name="store_abattage_planning")
def store_abattage_planning(request: StorePlan) -> int:
    """Write (or rewrite, on a retry) the plan under its key; returns the plan's id."""
    with session_scope() as session:
        return store_abattage_plan(session, request.plan_key, request.params, request.result)
