"""retrain_all_ml_models_async: every model trained again, each as a child task, a few at a time.

Children: the gaveur clustering, anomaly detection per site, Prophet per site × horizon. Each is the same
catalogued task a user could start (its row gives the name, queue, timeout and search attributes), under an
id of its own derived from this run, so it never joins a task a user started. A child that fails is listed
as failed and the others go on; cancelling this task cancels the children running and starts no more.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError
from temporalio.workflow import ParentClosePolicy

from workflows._failures import failure_text, was_cancelled
from workflows._history import record_history
from workflows._task import TaskWorkflow, task_workflow

with workflow.unsafe.imports_passed_through():
    from activities.shared.farm_sites import ListSites, list_site_codes
    from gaveurs.catalogue import AnySpec
    from gaveurs.catalogue.ml import CLUSTERING, DETECT_ANOMALIES, PROPHET, RETRAIN_ALL
    from gaveurs.contracts.ml import (
        AnomalyDetectionResult,
        ClusterGaveursInput,
        ClusterGaveursResult,
        DetectAnomaliesInput,
        TrainProphetInput,
        TrainProphetResult,
    )
    from gaveurs.contracts.ml_runs import (
        DEFAULT_RETRAIN_PARALLELISM,
        HORIZONS,
        RetrainAllInput,
        RetrainAllResult,
        RetrainChildOutcome,
    )
    from gaveurs.task_ids import run_tag
    from workflows._options import DB_READ, execute

START, END = 5, 95  # the children's share of the progress scale


@dataclass(frozen=True)
class ChildTask:
    spec: AnySpec
    params: BaseModel
    site_code: str | None = None
    horizon_days: int | None = None


def child_tasks(sites: list[str], params: RetrainAllInput) -> list[ChildTask]:
    horizons = params.horizons or list(HORIZONS)
    return [
        ChildTask(CLUSTERING, ClusterGaveursInput()),
        *(ChildTask(DETECT_ANOMALIES, DetectAnomaliesInput(site_code=site), site) for site in sites),
        *(
            ChildTask(PROPHET, TrainProphetInput(site_code=site, horizon_days=h), site, h)
            for site in sites
            for h in horizons
        ),
    ]


def summary_of(result: Any) -> tuple[str, dict[str, float | int | str | None]]:
    """The few figures of a child's result worth comparing from one retraining to the next."""
    if isinstance(result, ClusterGaveursResult):
        return (
            f"{result.n_gaveurs} gaveurs, silhouette {result.silhouette_score:.2f}",
            {
                "silhouette_score": result.silhouette_score,
                "adjusted_rand_index": result.adjusted_rand_index,
                "n_gaveurs": result.n_gaveurs,
            },
        )
    if isinstance(result, AnomalyDetectionResult):
        critical = sum(a.severity == "critical" for a in result.anomalies)
        return (
            f"{result.n_anomalies} lots anormaux sur {result.n_lots}, dont {critical} critiques",
            {"n_lots": result.n_lots, "n_anomalies": result.n_anomalies, "n_critical": critical},
        )
    if isinstance(result, TrainProphetResult):
        return (
            f"MAPE {result.mape_pct:.1f} %, {result.trend.text}",
            {"mape_pct": result.mape_pct, "trend_pct_per_year": result.trend.slope_pct_per_year},
        )
    return "", {}


@task_workflow(RETRAIN_ALL)
class RetrainAllWorkflow(TaskWorkflow):
    def __init__(self) -> None:
        super().__init__()
        self._finished = 0
        self._failed = 0

    @workflow.run
    async def run(self, params: RetrainAllInput) -> RetrainAllResult:
        self.stage("liste des sites", 1)
        sites: list[str] = (
            params.site_codes if params.site_codes else await execute(list_site_codes, ListSites(), DB_READ)
        )
        tasks = child_tasks(sites, params)
        parallel = min(params.max_parallel or DEFAULT_RETRAIN_PARALLELISM, len(tasks))
        outcomes: list[RetrainChildOutcome | None] = [None] * len(tasks)
        self.announce(len(tasks))

        pending = iter(range(len(tasks)))

        async def lane() -> None:
            # Each lane takes the next child when its own ends: at most `parallel` run at once.
            for index in pending:
                if workflow.cancellation_reason() is not None:
                    raise asyncio.CancelledError  # cancelled: start no more children
                outcomes[index] = await self.run_child(tasks[index])
                self._finished += 1
                self._failed += outcomes[index].status != "success"  # type: ignore[union-attr]
                self.announce(len(tasks))

        # return_exceptions: on a cancel, wait until every running child has confirmed its cancellation
        # (gather then raises CancelledError itself) instead of ending while some still run.
        ended = await asyncio.gather(*(lane() for _ in range(parallel)), return_exceptions=True)
        for outcome in ended:
            if isinstance(outcome, BaseException):
                raise outcome

        self.stage("enregistrement de l'historique", END)
        children = [o for o in outcomes if o is not None]
        succeeded = sum(o.status == "success" for o in children)
        status = "success" if succeeded == len(children) else ("failed" if succeeded == 0 else "partial")
        result = RetrainAllResult(
            status=status,
            n_children=len(children),
            n_succeeded=succeeded,
            n_failed=len(children) - succeeded,
            max_parallel=parallel,
            children=children,
            trained_at=workflow.now(),
        )
        await record_history(
            RETRAIN_ALL.name,
            engine="temporal child workflows",
            summary=f"{succeeded}/{len(children)} modèles réentraînés"
            + "".join(f" ; {o.workflow_id} : {o.error}" for o in children if o.error),
            metrics={
                "n_children": result.n_children,
                "n_succeeded": result.n_succeeded,
                "n_failed": result.n_failed,
                "max_parallel": parallel,
            },
            payload=result.model_dump(mode="json"),
            created_at=result.trained_at,
        )
        self.finish(f"{succeeded}/{len(children)} modèles réentraînés")
        return result

    def announce(self, total: int) -> None:
        """The parent runs no activity: its progress is the share of children finished, in the stage text."""
        failed = f", {self._failed} en échec" if self._failed else ""
        self.stage(
            f"réentraînement : {self._finished}/{total} modèles terminés{failed}",
            START + (END - START) * self._finished // max(total, 1),
        )

    async def run_child(self, task: ChildTask) -> RetrainChildOutcome:
        spec, params = task.spec, task.params
        # The child's readable id plus this run's tag: never the id of a task a user started by hand.
        child_id = f"{spec.workflow_id(params)}-retrain-{run_tag(workflow.info().run_id)}"
        base = {
            "task_name": spec.name,
            "workflow_id": child_id,
            "site_code": task.site_code,
            "horizon_days": task.horizon_days,
        }
        try:
            result = await workflow.execute_child_workflow(
                spec.name,
                params,
                id=child_id,
                task_queue=spec.queue.value,
                result_type=spec.result,
                execution_timeout=spec.execution_timeout,
                search_attributes=spec.search_attributes(params),
                # Should this run end without cancelling them (terminated, timed out), ask them to stop too.
                parent_close_policy=ParentClosePolicy.REQUEST_CANCEL,
            )
        except ChildWorkflowError as error:
            if workflow.cancellation_reason() is not None:
                # This task was cancelled (the SDK turned it into the child's cancellation): end cancelled.
                raise asyncio.CancelledError from error
            status = "cancelled" if was_cancelled(error) else "failed"
            return RetrainChildOutcome(**base, status=status, error=failure_text(error))
        summary, metrics = summary_of(result)
        return RetrainChildOutcome(**base, status="success", summary=summary, metrics=metrics)
