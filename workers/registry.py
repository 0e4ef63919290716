"""What each task queue's worker runs. Queue → workflows → activities, in one place."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from activities.default.health import check_artifact_store, check_database, check_task_queues
from activities.exports.lot_report import load_lot_report, render_lot_report
from activities.ml_heavy.symbolic_regression import fit_symbolic_regression, load_training_set
from activities.ml_light.anomalies import score_lot_anomalies
from activities.notifications.sms import send_sms
from activities.shared.ml_history import record_ml_result
from gaveurs.queues import TaskQueue
from workflows.default import HealthCheckWorkflow
from workflows.exports import GenerateLotPdfReportWorkflow
from workflows.ml_heavy import TrainPysrWorkflow
from workflows.ml_light import DetectAnomaliesWorkflow
from workflows.notifications import SendSmsAlertWorkflow


@dataclass(frozen=True)
class QueueWorkload:
    workflows: Sequence[type]
    activities: Sequence[Callable[..., Any]]
    # Concurrent activities per worker process: CPU-bound queues stay near the core count.
    max_concurrent_activities: int


WORKLOADS: dict[TaskQueue, QueueWorkload] = {
    TaskQueue.ML_HEAVY: QueueWorkload(
        [TrainPysrWorkflow], [load_training_set, fit_symbolic_regression, record_ml_result], 2
    ),
    TaskQueue.ML_LIGHT: QueueWorkload([DetectAnomaliesWorkflow], [score_lot_anomalies, record_ml_result], 4),
    TaskQueue.EXPORTS: QueueWorkload([GenerateLotPdfReportWorkflow], [load_lot_report, render_lot_report], 4),
    TaskQueue.NOTIFICATIONS: QueueWorkload([SendSmsAlertWorkflow], [send_sms], 16),
    TaskQueue.DEFAULT: QueueWorkload(
        [HealthCheckWorkflow], [check_database, check_artifact_store, check_task_queues], 8
    ),
}
