"""optimize_abattage_planning_async: lots finishing in a window → slaughterhouses and days, at least cost."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from workflows._history import record_history
from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.ml_heavy.abattage_planning import (
        StorePlan,
        solve_abattage_planning,
        store_abattage_planning,
    )
    from gaveurs.catalogue.ml import ABATTAGE_PLANNING
    from gaveurs.contracts.ml import AbattagePlanningInput, AbattagePlanningResult
    from gaveurs.ml.abattage_data import PARIS
    from gaveurs.task_ids import format_task_id
    from workflows._options import CPU_LONG, DB_WRITE, execute

# Loading the lots and building the model, on top of the solver's own time limit.
SOLVE_MARGIN = timedelta(minutes=5)


@task_workflow(ABATTAGE_PLANNING)
class OptimizeAbattagePlanningWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: AbattagePlanningInput) -> AbattagePlanningResult:
        # "Today" is fixed once, by the workflow: every attempt of the solve plans from the same day.
        today = params.today or workflow.now().astimezone(PARIS).date()
        planned = params.model_copy(update={"today": today})

        self.stage("planification MILP des abattages", 5, 90)
        solve_time = timedelta(seconds=params.time_limit_s) + SOLVE_MARGIN
        solved = await execute(
            solve_abattage_planning,
            planned,
            CPU_LONG.with_timeouts(start_to_close=solve_time, schedule_to_close=3 * solve_time),
        )

        self.stage("enregistrement du plan", 90)
        info = workflow.info()
        plan_key = format_task_id(info.workflow_id, info.run_id)
        result = solved.model_copy(update={"planned_at": workflow.now(), "plan_key": plan_key})
        plan_id = await execute(
            store_abattage_planning, StorePlan(plan_key=plan_key, params=planned, result=result), DB_WRITE
        )
        result = result.model_copy(update={"plan_id": plan_id})

        self.stage("enregistrement de l'historique", 95)
        ratio = "—" if result.optimization_ratio is None else f"{result.optimization_ratio:.3f}"
        await record_history(
            ABATTAGE_PLANNING.name,
            engine=result.solver,
            summary=(
                f"{result.n_lots} lots du {result.date_debut.isoformat()} au {result.date_fin.isoformat()} : "
                f"{result.total_cost:.2f} € (glouton / optimal {ratio})"
            ),
            metrics={
                "total_cost": result.total_cost,
                "greedy_cost": result.greedy_cost,
                "optimization_ratio": result.optimization_ratio,
                "n_lots": result.n_lots,
                "n_canards": result.n_canards,
                "solve_seconds": result.solve_seconds,
                "method": result.method,
                "plan_id": plan_id,
            },
            payload=result.model_dump(mode="json"),
            created_at=result.planned_at,
        )
        self.finish()
        return result
