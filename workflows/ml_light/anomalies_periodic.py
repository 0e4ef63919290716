"""detect_anomalies_periodic: every site's Isolation Forest in parallel, an alert task per site in trouble.

Each site with critical anomalies gets a `send_anomaly_alert` workflow of its own, on the notifications queue:
- its id names the site and its critical lots (`alert_key`), and a closed alert's id may be reused only if
  that alert failed, so a later run about the same lots starts nothing (a new critical lot makes a new id);
- it is abandoned when this workflow ends (ParentClosePolicy.ABANDON): the alert outlives the detection,
  and cancelling the detection does not call back an alert already on its way.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

from workflows._failures import failure_text
from workflows._history import record_history
from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.ml_light.detect_anomalies import ScoredLots, score_lot_anomalies
    from activities.shared.farm_sites import ListSites, list_site_codes
    from gaveurs.catalogue.ml import ANOMALIES_PERIODIC
    from gaveurs.catalogue.notifications import ANOMALY_ALERT
    from gaveurs.contracts.ml import DetectAnomaliesInput, LotAnomaly
    from gaveurs.contracts.ml_runs import (
        AlertOutcome,
        AnomalyPeriodicResult,
        DetectAnomaliesPeriodicInput,
        PeriodicSiteSummary,
    )
    from gaveurs.contracts.notifications import AnomalyAlertInput
    from gaveurs.errors import InsufficientData
    from gaveurs.ml.anomalies import alert_key
    from workflows._options import CPU_SHORT, DB_READ, execute


def site_summary(site_code: str, scored: ScoredLots) -> PeriodicSiteSummary:
    critical = [a for a in scored.anomalies if a.severity == "critical"]
    return PeriodicSiteSummary(
        site_code=site_code,
        n_lots=scored.n_lots,
        n_anomalies=len(scored.anomalies),
        n_critical=len(critical),
        n_warning=len(scored.anomalies) - len(critical),
        critical_lot_ids=sorted(a.lot_id for a in critical),
    )


def failed_site(site_code: str, error: BaseException) -> PeriodicSiteSummary:
    return PeriodicSiteSummary(
        site_code=site_code,
        n_lots=0,
        n_anomalies=0,
        n_critical=0,
        n_warning=0,
        critical_lot_ids=[],
        error=failure_text(error),
    )


@task_workflow(ANOMALIES_PERIODIC)
class DetectAnomaliesPeriodicWorkflow(TaskWorkflow):
    @workflow.run
    async def run(self, params: DetectAnomaliesPeriodicInput) -> AnomalyPeriodicResult:
        self.stage("liste des sites", 2)
        sites = await execute(list_site_codes, ListSites(), DB_READ)

        self.stage(f"Isolation Forest sur {len(sites)} sites", 5, 80)
        scored = await asyncio.gather(
            *(
                execute(
                    score_lot_anomalies,
                    DetectAnomaliesInput(site_code=site, contamination=params.contamination),
                    CPU_SHORT,
                )
                for site in sites
            ),
            return_exceptions=True,
        )
        summaries: list[PeriodicSiteSummary] = []
        critical: dict[str, list[LotAnomaly]] = {}
        for site, outcome in zip(sites, scored, strict=True):
            if isinstance(outcome, BaseException):
                # One site that cannot be scored (too few lots yet) must not silence the others' alerts.
                summaries.append(failed_site(site, outcome))
                continue
            summaries.append(site_summary(site, outcome))
            found = [a for a in outcome.anomalies if a.severity == "critical"]
            if found:
                critical[site] = found
        if sites and all(s.error for s in summaries):
            raise InsufficientData.error(
                "no site could be scored: " + "; ".join(f"{s.site_code}: {s.error}" for s in summaries)
            )

        self.stage(f"alertes pour {len(critical)} site(s)", 80, 95)
        alerts = await asyncio.gather(*(self.alert(site, lots) for site, lots in critical.items()))
        by_site = dict(zip(critical, alerts, strict=True))
        summaries = [
            s.model_copy(
                update={"alert": by_site[s.site_code][0], "alert_workflow_id": by_site[s.site_code][1]}
            )
            if s.site_code in by_site
            else s
            for s in summaries
        ]

        self.stage("enregistrement de l'historique", 95)
        result = AnomalyPeriodicResult(
            n_sites=len(sites),
            n_lots=sum(s.n_lots for s in summaries),
            n_anomalies=sum(s.n_anomalies for s in summaries),
            n_critical=sum(s.n_critical for s in summaries),
            alerts_started=sum(s.alert == "started" for s in summaries),
            sites=summaries,
            detected_at=workflow.now(),
        )
        await record_history(
            ANOMALIES_PERIODIC.name,
            engine="sklearn.IsolationForest",
            summary=", ".join(
                f"{s.site_code} : {s.error}"
                if s.error
                else f"{s.site_code} : {s.n_critical} critiques, {s.n_warning} à surveiller"
                for s in summaries
            ),
            metrics={
                "n_sites": result.n_sites,
                "n_lots": result.n_lots,
                "n_anomalies": result.n_anomalies,
                "n_critical": result.n_critical,
                "alerts_started": result.alerts_started,
                "sites_failed": sum(1 for s in summaries if s.error),
            },
            payload=result.model_dump(mode="json"),
            created_at=result.detected_at,
        )
        self.finish()
        return result

    async def alert(self, site_code: str, anomalies: list[LotAnomaly]) -> tuple[AlertOutcome, str]:
        """Start the site's alert as its own workflow, unless one about the same lots was started before."""
        alert = AnomalyAlertInput(site_code=site_code, anomalies=anomalies)
        alert_id = alert_key(site_code, anomalies)
        try:
            await workflow.start_child_workflow(
                ANOMALY_ALERT.name,
                alert,
                id=alert_id,
                task_queue=ANOMALY_ALERT.queue.value,
                execution_timeout=ANOMALY_ALERT.execution_timeout,
                search_attributes=ANOMALY_ALERT.search_attributes(alert),
                parent_close_policy=ParentClosePolicy.ABANDON,
                # Delivered or still going: never again. Failed, timed out or cancelled: the next run retries.
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            )
        except WorkflowAlreadyStartedError:
            return "already_started", alert_id
        return "started", alert_id
