"""The catalogue is the single source: ids, attributes and queues derive from its rows, workers agree with it."""

from __future__ import annotations

import pytest

from gaveurs.catalogue import CATALOGUE, UnknownTask, find_task
from gaveurs.catalogue.exports import LOT_PDF_REPORT
from gaveurs.catalogue.ml import DETECT_ANOMALIES, TRAIN_PYSR
from gaveurs.catalogue.notifications import SMS_ALERT
from gaveurs.contracts.exports import LotPdfReportInput
from gaveurs.contracts.ml import DetectAnomaliesInput, TrainSymbolicRegressionInput
from gaveurs.contracts.notifications import SmsAlertInput
from gaveurs.search_attributes import LOT_ID, QUEUE, SITE_CODE, TASK_NAME
from gaveurs.task_ids import format_task_id, parse_task_id
from workers import registry


def test_ids_read_like_the_work() -> None:
    assert TRAIN_PYSR.workflow_id(TrainSymbolicRegressionInput(lot_id=3472)) == "train-pysr-lot-3472"
    assert LOT_PDF_REPORT.workflow_id(LotPdfReportInput(lot_id=3472)) == "lot-pdf-3472-complete"
    assert DETECT_ANOMALIES.workflow_id(DetectAnomaliesInput(site_code="LL")) == "detect-anomalies-LL"


def test_options_change_the_id_and_stay_stable() -> None:
    first = TRAIN_PYSR.workflow_id(TrainSymbolicRegressionInput(lot_id=3472, restarts=8))
    assert first.startswith("train-pysr-lot-3472-") and first != "train-pysr-lot-3472"
    assert TRAIN_PYSR.workflow_id(TrainSymbolicRegressionInput(lot_id=3472, restarts=8)) == first


def test_every_sms_is_its_own_task_and_its_id_shows_no_phone() -> None:
    alert = SmsAlertInput(phone="+33612345678", message="x")
    first, second = SMS_ALERT.workflow_id(alert), SMS_ALERT.workflow_id(alert)
    assert first != second and first.startswith("sms-")
    assert "612345678" not in first


def test_an_idempotency_key_always_maps_to_the_same_id() -> None:
    alert = SmsAlertInput(phone="+33612345678", message="x")
    keyed = SMS_ALERT.workflow_id(alert, idempotency_key="client-42")
    assert keyed == SMS_ALERT.workflow_id(alert, idempotency_key="client-42")
    assert keyed != SMS_ALERT.workflow_id(alert, idempotency_key="client-43")
    assert "client-42" not in keyed


def test_search_attributes_come_from_the_row() -> None:
    attributes = TRAIN_PYSR.search_attributes(TrainSymbolicRegressionInput(lot_id=3472))
    assert attributes.get(TASK_NAME) == "train_pysr_async"
    assert attributes.get(QUEUE) == "ml_heavy"
    assert attributes.get(LOT_ID) == 3472
    assert attributes.get(SITE_CODE) is None
    assert DETECT_ANOMALIES.search_attributes(DetectAnomaliesInput(site_code="LS")).get(SITE_CODE) == "LS"


def test_tasks_are_found_by_seed_name_or_celery_name() -> None:
    assert find_task("train_pysr_async") is TRAIN_PYSR
    assert find_task("app.tasks.ml_tasks.train_pysr_async") is TRAIN_PYSR
    assert find_task("app.tasks.export_tasks.generate_lot_pdf_report") is LOT_PDF_REPORT
    with pytest.raises(UnknownTask, match=r"no task named 'app\.tasks\.ml_tasks\.nope'"):
        find_task("app.tasks.ml_tasks.nope")
    with pytest.raises(UnknownTask):
        find_task("app.tasks.export_tasks.train_pysr_async")  # right name, wrong module


def test_task_ids_name_one_run() -> None:
    run_id = "0199d7a5-3b2c-7e41-9f00-12ab34cd56ef"
    task_id = format_task_id("train-pysr-lot-3472", run_id)
    assert task_id == "train-pysr-lot-3472.34cd56ef"
    ref = parse_task_id(task_id)
    assert (ref.workflow_id, ref.run_tag) == ("train-pysr-lot-3472", "34cd56ef")
    assert parse_task_id("train-pysr-lot-3472").run_tag is None


def test_every_catalogued_task_has_a_workflow_on_its_queue_and_nothing_else_is_registered() -> None:
    found = registry.workloads()
    registered = {cls.task_spec.name: queue for queue, load in found.items() for cls in load.workflows}
    assert registered == {name: spec.queue for name, spec in CATALOGUE.items()}
    for queue, load in found.items():
        names = {getattr(a, "__temporal_activity_definition").name for a in load.activities}
        assert "record_ml_result" in names, queue  # shared activities go to every queue
        assert len(names) == len(load.activities), f"an activity is registered twice on {queue}"


def test_a_workflow_in_the_wrong_queue_package_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from workflows.ml_heavy.train_pysr import TrainPysrWorkflow

    real = registry._workflows_in

    def misplaced(package: str) -> list[type]:
        found = real(package)
        return [*found, TrainPysrWorkflow] if package == "workflows.exports" else found

    monkeypatch.setattr(registry, "_workflows_in", misplaced)
    registry.workloads.cache_clear()
    try:
        with pytest.raises(registry.RegistryMismatch, match="sits in workflows/exports/"):
            registry.workloads()
    finally:
        registry.workloads.cache_clear()


def test_a_catalogued_task_without_a_workflow_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    real = registry._workflows_in
    monkeypatch.setattr(registry, "_workflows_in", lambda p: [] if p == "workflows.default" else real(p))
    registry.workloads.cache_clear()
    try:
        with pytest.raises(registry.RegistryMismatch, match=r"without a workflow: .*health_check_periodic"):
            registry.workloads()
    finally:
        registry.workloads.cache_clear()


# The seed's signatures (shared/TASKS.md): Celery-style positional calls map onto the input fields in order.
SEED_SIGNATURES: dict[str, tuple[str, ...]] = {
    "train_pysr_async": ("lot_id",),
    "optimize_feeding_curve_async": ("lot_id",),
    "train_prophet_async": ("site_code", "horizon_days"),
    "cluster_gaveurs_async": (),
    "detect_anomalies_async": ("site_code",),
    "detect_anomalies_periodic": (),
    "optimize_abattage_planning_async": ("date_debut", "date_fin"),
    "retrain_all_ml_models_async": (),
    "generate_lot_pdf_report": ("lot_id", "report_type"),
    "generate_site_pdf_report": ("site_code", "date_debut", "date_fin"),
    "export_gavage_data_csv": ("lot_id", "date_debut", "date_fin"),
    "export_sqal_data_csv": ("lot_id", "date_debut", "date_fin"),
    "export_consumer_feedbacks_csv": ("date_debut", "date_fin"),
    "generate_blockchain_certificate": ("lot_id", "certificate_type"),
    "batch_export_lots_csv": ("lot_ids",),
    "weekly_reports_generation": (),
    "send_sms_alert": ("phone", "message", "priority"),
    "send_email_notification": ("to_email", "subject", "body_html"),
    "send_anomaly_alert": ("site_code", "anomalies"),
    "send_lot_completion_notification": ("lot_id",),
    "send_daily_summary_reports": (),
    "send_consumer_feedback_acknowledgment": ("feedback_id",),
    "refresh_continuous_aggregates": (),
    "backup_database_task": (),
    "cleanup_old_celery_tasks": (),
    "calculate_weekly_kpis": (),
    "monthly_ml_models_retraining": (),
    "cleanup_old_sensor_data": (),
    "health_check_periodic": (),
}


def test_every_task_is_a_seed_task_whose_arguments_keep_the_seeds_order() -> None:
    assert set(CATALOGUE) <= set(SEED_SIGNATURES)
    for name, spec in CATALOGUE.items():
        fields = tuple(spec.input.model_fields)
        assert fields[: len(SEED_SIGNATURES[name])] == SEED_SIGNATURES[name], (name, fields)
        # What the seed called without arguments must still be callable so (e.g. by a schedule).
        required = [f for f, info in spec.input.model_fields.items() if info.is_required()]
        assert set(required) <= set(SEED_SIGNATURES[name]), (name, required)
