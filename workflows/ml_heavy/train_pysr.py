"""train_pysr_async: symbolic regression of liver weight on the features of lots comparable to a reference lot."""

from __future__ import annotations

from temporalio import workflow

from workflows._history import record_history
from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.ml_heavy.train_pysr import check_training_set, fit_symbolic_regression
    from gaveurs.catalogue.ml import TRAIN_PYSR
    from gaveurs.contracts.ml import SymbolicRegressionResult, TrainSymbolicRegressionInput
    from gaveurs.search_attributes import SITE_CODE
    from workflows._options import CPU_LONG, DB_READ, execute


@task_workflow(TRAIN_PYSR)
class TrainPysrWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: TrainSymbolicRegressionInput) -> SymbolicRegressionResult:
        self.stage("vérification des lots comparables", 2)
        cohort = await execute(check_training_set, params, DB_READ)
        workflow.upsert_search_attributes([SITE_CODE.value_set(cohort.site_code)])

        self.stage("régression symbolique", 5, 95)
        fit = await execute(fit_symbolic_regression, params, CPU_LONG)

        self.stage("enregistrement de l'historique", 95)
        trained_at = workflow.now()
        result = SymbolicRegressionResult(
            lot_id=params.lot_id,
            site_code=cohort.site_code,
            target=cohort.target,
            formula=fit.formula,
            r2_score=fit.r2_score,
            r2_holdout=fit.r2_holdout,
            variables=fit.variables,
            complexity=fit.complexity,
            engine=fit.engine,
            n_samples=fit.n_samples,
            excluded_incident_lots=cohort.excluded_incident_lots,
            prediction_for_lot=fit.prediction_for_lot,
            resumed_restarts=fit.resumed_restarts,
            trained_at=trained_at,
        )
        await record_history(
            TRAIN_PYSR.name,
            lot_id=params.lot_id,
            site_code=cohort.site_code,
            engine=fit.engine,
            summary=fit.formula,
            metrics={"r2_score": fit.r2_score, "r2_holdout": fit.r2_holdout, "complexity": fit.complexity},
            payload=result.model_dump(mode="json"),
            created_at=trained_at,
        )
        self.finish()
        return result
