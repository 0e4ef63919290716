"""ml_light: quick models over lot KPIs."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from workflows._progress import ProgressTracking

with workflow.unsafe.imports_passed_through():
    from activities.ml_light.anomalies import score_lot_anomalies
    from activities.shared.ml_history import MlResultRecord, record_ml_result
    from gaveurs.contracts.ml import AnomalyDetectionResult, DetectAnomaliesInput
    from workflows._policies import DB_READ, retry_policy


@workflow.defn(name="detect_anomalies_async")
class DetectAnomaliesWorkflow(ProgressTracking):
    """Isolation Forest over the KPIs of finished lots (one site, or all)."""

    @workflow.run
    async def run(self, params: DetectAnomaliesInput) -> AnomalyDetectionResult:
        self.stage("calcul des indicateurs et Isolation Forest", 5, 85)
        scored = await workflow.execute_activity(
            score_lot_anomalies,
            params,
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(seconds=30),
            retry_policy=retry_policy(initial_s=1.0, maximum_s=30.0, attempts=4),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        detected_at = workflow.now()
        result = AnomalyDetectionResult(
            site_code=params.site_code,
            n_lots=scored.n_lots,
            n_anomalies=len(scored.anomalies),
            anomalies=scored.anomalies,
            detected_at=detected_at,
        )

        self.stage("enregistrement de l'historique", 85, 99)
        info = workflow.info()
        await workflow.execute_activity(
            record_ml_result,
            MlResultRecord(
                task_name="detect_anomalies_async",
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                lot_id=None,
                site_code=params.site_code,
                engine="sklearn.IsolationForest",
                summary=f"{len(scored.anomalies)} lots anormaux sur {scored.n_lots}",
                metrics={"n_lots": scored.n_lots, "n_anomalies": len(scored.anomalies)},
                payload=result.model_dump(mode="json"),
                created_at=detected_at,
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DB_READ,
        )
        self.finish()
        return result
