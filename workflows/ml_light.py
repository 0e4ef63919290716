"""ml_light: quick models over lot KPIs."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from workflows._history import record_history
from workflows._progress import ProgressTracking

with workflow.unsafe.imports_passed_through():
    from activities.ml_light.anomalies import score_lot_anomalies
    from gaveurs.contracts.ml import AnomalyDetectionResult, DetectAnomaliesInput
    from workflows._policies import retry_policy


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
        await record_history(
            "detect_anomalies_async",
            lot_id=None,
            site_code=params.site_code,
            engine="sklearn.IsolationForest",
            summary=f"{len(scored.anomalies)} lots anormaux sur {scored.n_lots}",
            metrics={"n_lots": scored.n_lots, "n_anomalies": len(scored.anomalies)},
            payload=result.model_dump(mode="json"),
            created_at=detected_at,
        )
        self.finish()
        return result
