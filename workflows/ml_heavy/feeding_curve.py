"""optimize_feeding_curve_async: learn how quality follows the feeding curve, then the best curve for a lot."""

from __future__ import annotations

from temporalio import workflow

from workflows._history import record_history
from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.ml_heavy.feeding_curve import check_feeding_lot, fit_feeding_curve
    from gaveurs.catalogue.ml import FEEDING_CURVE
    from gaveurs.contracts.ml import FeedingCurveResult, OptimizeFeedingCurveInput
    from gaveurs.search_attributes import SITE_CODE
    from workflows._options import CPU_SHORT, DB_READ, execute


@task_workflow(FEEDING_CURVE)
class OptimizeFeedingCurveWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: OptimizeFeedingCurveInput) -> FeedingCurveResult:
        self.stage("vérification du lot", 2)
        lot = await execute(check_feeding_lot, params, DB_READ)
        workflow.upsert_search_attributes([SITE_CODE.value_set(lot.site_code)])

        # Loading and fitting happen in one child process: the farm's curves never cross history.
        self.stage("apprentissage et optimisation de la courbe", 5, 95)
        fitted = await execute(fit_feeding_curve, params, CPU_SHORT)

        self.stage("enregistrement de l'historique", 95)
        result = fitted.model_copy(update={"optimized_at": workflow.now()})
        await record_history(
            FEEDING_CURVE.name,
            lot_id=params.lot_id,
            site_code=lot.site_code,
            engine="sklearn.HistGradientBoosting+scipy.DE",
            summary=(
                f"{result.code_lot} : qualité prévue {result.predicted_actual.quality_score:.1f} → "
                f"{result.predicted_optimized.quality_score:.1f} (+{result.expected_improvement:.2f})"
            ),
            metrics={
                "expected_improvement": result.expected_improvement,
                "confidence": result.confidence,
                "quality_actual": result.predicted_actual.quality_score,
                "quality_optimized": result.predicted_optimized.quality_score,
                **{f"cv_r2_{name}": value for name, value in result.cv_r2.items()},
                "n_training_lots": result.n_training_lots,
            },
            payload=result.model_dump(mode="json"),
            created_at=result.optimized_at,
        )
        self.finish()
        return result
