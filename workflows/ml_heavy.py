"""ml_heavy: long model training."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.workflow import ActivityCancellationType

from workflows._history import record_history
from workflows._progress import ProgressTracking

with workflow.unsafe.imports_passed_through():
    from activities.ml_heavy.symbolic_regression import fit_symbolic_regression, load_training_set
    from gaveurs.contracts.ml import (
        SymbolicFitRequest,
        SymbolicRegressionResult,
        TrainSymbolicRegressionInput,
    )
    from gaveurs.search_attributes import SITE_CODE
    from workflows._policies import DB_READ, retry_policy


@workflow.defn(name="train_pysr_async")
class TrainPysrWorkflow(ProgressTracking):
    """Symbolic regression of liver weight on the features of lots comparable to the reference lot."""

    @workflow.run
    async def run(self, params: TrainSymbolicRegressionInput) -> SymbolicRegressionResult:
        self.stage("chargement des lots comparables", 2, 10)
        training_set = await workflow.execute_activity(
            load_training_set,
            params,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=DB_READ,
        )
        workflow.upsert_search_attributes([SITE_CODE.value_set(training_set.site_code)])

        self.stage("régression symbolique", 10, 90)
        fit = await workflow.execute_activity(
            fit_symbolic_regression,
            SymbolicFitRequest(
                training_set=training_set, restarts=params.restarts, generations=params.generations
            ),
            start_to_close_timeout=timedelta(minutes=60),
            # A killed worker stops heartbeating: the fit is retried elsewhere within this delay.
            heartbeat_timeout=timedelta(seconds=10),
            retry_policy=retry_policy(initial_s=1.0, maximum_s=30.0, attempts=4),
            # Cancelling the task waits until the fitting process is really stopped.
            cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )

        self.stage("enregistrement de l'historique", 90, 99)
        trained_at = workflow.now()
        result = SymbolicRegressionResult(
            lot_id=params.lot_id,
            site_code=training_set.site_code,
            target=training_set.target,
            formula=fit.formula,
            r2_score=fit.r2_score,
            r2_holdout=fit.r2_holdout,
            variables=fit.variables,
            complexity=fit.complexity,
            engine=fit.engine,
            n_samples=fit.n_samples,
            excluded_incident_lots=training_set.excluded_incident_lots,
            prediction_for_lot=fit.prediction_for_lot,
            trained_at=trained_at,
        )
        await record_history(
            "train_pysr_async",
            lot_id=params.lot_id,
            site_code=training_set.site_code,
            engine=fit.engine,
            summary=fit.formula,
            metrics={
                "r2_score": fit.r2_score,
                "r2_holdout": fit.r2_holdout,
                "complexity": fit.complexity,
            },
            payload=result.model_dump(mode="json"),
            created_at=trained_at,
        )
        self.finish()
        return result
