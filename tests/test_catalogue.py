"""Readable, stable workflow ids: the same work gets the same id, so a second start joins the first."""

from __future__ import annotations

from gaveurs.catalogue import CATALOGUE, TaskName, workflow_id_for
from gaveurs.contracts.exports import LotPdfReportInput
from gaveurs.contracts.ml import DetectAnomaliesInput, TrainSymbolicRegressionInput
from gaveurs.contracts.notifications import SmsAlertInput
from gaveurs.queues import TaskQueue


def test_ids_read_like_the_work() -> None:
    assert (
        workflow_id_for(TaskName.TRAIN_PYSR, TrainSymbolicRegressionInput(lot_id=3472))
        == "train-pysr-lot-3472"
    )
    assert workflow_id_for(TaskName.LOT_PDF_REPORT, LotPdfReportInput(lot_id=3472)) == "lot-pdf-3472-complete"
    assert (
        workflow_id_for(TaskName.DETECT_ANOMALIES, DetectAnomaliesInput(site_code="LL"))
        == "detect-anomalies-LL"
    )


def test_options_change_the_id_and_stay_stable() -> None:
    custom = TrainSymbolicRegressionInput(lot_id=3472, restarts=8)
    first = workflow_id_for(TaskName.TRAIN_PYSR, custom)
    assert first.startswith("train-pysr-lot-3472-") and first != "train-pysr-lot-3472"
    assert (
        workflow_id_for(TaskName.TRAIN_PYSR, TrainSymbolicRegressionInput(lot_id=3472, restarts=8)) == first
    )


def test_every_sms_is_its_own_task() -> None:
    alert = SmsAlertInput(phone="+33612345678", message="x")
    assert workflow_id_for(TaskName.SMS_ALERT, alert) != workflow_id_for(TaskName.SMS_ALERT, alert)


def test_each_task_has_its_workload_queue() -> None:
    assert {spec.name: spec.queue for spec in CATALOGUE.values()} == {
        TaskName.TRAIN_PYSR: TaskQueue.ML_HEAVY,
        TaskName.DETECT_ANOMALIES: TaskQueue.ML_LIGHT,
        TaskName.LOT_PDF_REPORT: TaskQueue.EXPORTS,
        TaskName.SMS_ALERT: TaskQueue.NOTIFICATIONS,
        TaskName.HEALTH_CHECK: TaskQueue.DEFAULT,
    }
