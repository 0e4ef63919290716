"""detect_anomalies_async: Isolation Forest over the KPIs of finished lots (one site, or all)."""

from __future__ import annotations

from temporalio import workflow

from workflows._history import record_history
from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.ml_light.detect_anomalies import score_lot_anomalies
    from gaveurs.catalogue.ml import DETECT_ANOMALIES
    from gaveurs.contracts.ml import AnomalyDetectionResult, DetectAnomaliesInput
    from workflows._options import CPU_SHORT, execute


@task_workflow(DETECT_ANOMALIES)
class DetectAnomaliesWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: DetectAnomaliesInput) -> AnomalyDetectionResult:
        self.stage("calcul des indicateurs et Isolation Forest", 5, 90)
        scored = await execute(score_lot_anomalies, params, CPU_SHORT)
        detected_at = workflow.now()
        result = AnomalyDetectionResult(
            site_code=params.site_code,
            n_lots=scored.n_lots,
            n_anomalies=len(scored.anomalies),
            anomalies=scored.anomalies,
            detected_at=detected_at,
        )

        self.stage("enregistrement de l'historique", 90)
        await record_history(
            DETECT_ANOMALIES.name,
            site_code=params.site_code,
            engine="sklearn.IsolationForest",
            summary=f"{len(scored.anomalies)} lots anormaux sur {scored.n_lots}",
            metrics={"n_lots": scored.n_lots, "n_anomalies": len(scored.anomalies)},
            payload=result.model_dump(mode="json"),
            created_at=detected_at,
        )
        self.finish()
        return result
