"""train_prophet_async: Prophet forecast of a site's daily production, back-tested on its last days."""

from __future__ import annotations

from temporalio import workflow

from workflows._history import record_history
from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.ml_light.prophet import fit_production_forecast
    from gaveurs.catalogue.ml import PROPHET
    from gaveurs.contracts.ml import TrainProphetInput, TrainProphetResult
    from workflows._options import CPU_SHORT, execute


@task_workflow(PROPHET)
class TrainProphetWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: TrainProphetInput) -> TrainProphetResult:
        self.stage("ajustement de Prophet", 5, 95)
        forecast = await execute(fit_production_forecast, params, CPU_SHORT)

        self.stage("enregistrement de l'historique", 95)
        result = TrainProphetResult(**dict(forecast), trained_at=workflow.now())
        await record_history(
            PROPHET.name,
            site_code=params.site_code,
            engine="prophet",
            summary=f"{params.horizon_days} jours : MAPE {result.mape_pct:.1f} %, {result.trend.text}",
            metrics={
                "horizon_days": params.horizon_days,
                "mape_pct": result.mape_pct,
                "trend_pct_per_year": result.trend.slope_pct_per_year,
                "n_days": result.n_days,
            },
            payload=result.model_dump(mode="json"),
            created_at=result.trained_at,
        )
        self.finish()
        return result
