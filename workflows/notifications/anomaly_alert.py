"""send_anomaly_alert: the site's managers told of its anomalous lots, grouped by severity."""

from __future__ import annotations

from temporalio import workflow

from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.notifications.anomaly_alert import DeliverAnomalyAlert, deliver_anomaly_alert
    from gaveurs.catalogue.notifications import ANOMALY_ALERT
    from gaveurs.contracts.notifications import AnomalyAlertInput, AnomalyAlertResult
    from gaveurs.task_ids import format_task_id
    from workflows._options import SEND, execute


@task_workflow(ANOMALY_ALERT)
class SendAnomalyAlertWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: AnomalyAlertInput) -> AnomalyAlertResult:
        info = workflow.info()
        self.stage("envoi de l'alerte aux responsables du site", 5, 99)
        request = DeliverAnomalyAlert(task_key=format_task_id(info.workflow_id, info.run_id), params=params)
        result = await execute(deliver_anomaly_alert, request, SEND.with_attempts(12))
        self.finish(f"alerte remise à {result.recipients} responsable(s)")
        return result
