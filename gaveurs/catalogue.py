"""The task catalogue: seed task name → task queue, input type and readable workflow id.

The workflow *type* is the seed's function name, so `temporal workflow list` reads like the old Flower list.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

from gaveurs.contracts.exports import LotPdfReportInput
from gaveurs.contracts.ml import DetectAnomaliesInput, TrainSymbolicRegressionInput
from gaveurs.contracts.notifications import SmsAlertInput
from gaveurs.contracts.system import HealthCheckInput
from gaveurs.queues import TaskQueue


class TaskName(StrEnum):
    TRAIN_PYSR = "train_pysr_async"
    DETECT_ANOMALIES = "detect_anomalies_async"
    LOT_PDF_REPORT = "generate_lot_pdf_report"
    SMS_ALERT = "send_sms_alert"
    HEALTH_CHECK = "health_check_periodic"


@dataclass(frozen=True)
class TaskSpec:
    name: TaskName
    queue: TaskQueue
    input_type: type[BaseModel]
    started_message: str


CATALOGUE: dict[TaskName, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec(
            TaskName.TRAIN_PYSR, TaskQueue.ML_HEAVY, TrainSymbolicRegressionInput, "PySR training started"
        ),
        TaskSpec(
            TaskName.DETECT_ANOMALIES, TaskQueue.ML_LIGHT, DetectAnomaliesInput, "Anomaly detection started"
        ),
        TaskSpec(TaskName.LOT_PDF_REPORT, TaskQueue.EXPORTS, LotPdfReportInput, "PDF generation started"),
        TaskSpec(TaskName.SMS_ALERT, TaskQueue.NOTIFICATIONS, SmsAlertInput, "SMS sending started"),
        TaskSpec(TaskName.HEALTH_CHECK, TaskQueue.DEFAULT, HealthCheckInput, "Health check started"),
    )
}


def workflow_id_for(name: TaskName, params: BaseModel) -> str:
    """Readable ids; the same work gets the same id so a second start joins the running one."""
    match params:
        case TrainSymbolicRegressionInput(lot_id=lot_id):
            return f"train-pysr-lot-{lot_id}{_options_suffix(params, exclude={'lot_id'})}"
        case LotPdfReportInput(lot_id=lot_id, report_type=report_type):
            return f"lot-pdf-{lot_id}-{report_type}"
        case DetectAnomaliesInput(site_code=site_code):
            return f"detect-anomalies-{site_code or 'all'}{_options_suffix(params, exclude={'site_code'})}"
        case SmsAlertInput():
            # Two alerts with the same text may both be wanted: every SMS is its own task.
            return f"sms-{uuid.uuid4()}"
        case HealthCheckInput():
            return f"health-check-{uuid.uuid4()}"
    raise ValueError(f"no workflow id rule for {name}")


def _options_suffix(params: BaseModel, *, exclude: set[str]) -> str:
    """Empty for default options, else a stable tag: different option sets are different work."""
    options = params.model_dump_json(exclude=exclude, exclude_defaults=True)
    if options == "{}":
        return ""
    return "-" + hashlib.sha256(options.encode()).hexdigest()[:8]
