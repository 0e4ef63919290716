"""What every task workflow shares: its catalogue row, its stage bookkeeping and the `progress` query.

`@task_workflow(ROW)` makes a class the workflow of a catalogue row: its Temporal type is the row's name, so
the two can never drift apart, and the worker registry finds the row (and so the queue) on the class. It also
counts each run's outcome per task (`gaveurs_tasks_{started,succeeded,failed,cancelled}_total{task_name}`)
through `workflow.metric_meter()`, which records nothing while a worker replays a history, so a run counts
once however often it is replayed.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from gaveurs.catalogue import AnySpec
    from gaveurs.contracts.progress import PROGRESS_QUERY, STAGE_MEMO, Progress, StageMemo

WorkflowClass = TypeVar("WorkflowClass", bound=type[Any])

WAITING = "en attente d'un worker"
FINISHED = "terminé"


class TaskWorkflow:
    """Base of the task workflows. `stage()` is the only way a workflow reports progress.

    A stage change is one memo upsert (one history event), which `describe()` shows without a worker; the
    percentage inside a stage comes from the running activity's heartbeats, which cost no history at all.
    """

    task_spec: ClassVar[AnySpec]

    def __init__(self) -> None:
        self._progress = Progress(progress=0, stage=WAITING)

    def stage(self, stage: str, start: int, end: int | None = None) -> None:
        """Enter a stage covering [start, end] of the overall 0–100."""
        now = workflow.now()
        memo = StageMemo(stage=stage, start=start, end=start if end is None else end, updated_at=now)
        workflow.upsert_memo({STAGE_MEMO: memo})
        self._progress = Progress(progress=start, stage=stage, updated_at=now)

    def finish(self, stage: str = FINISHED) -> None:
        # No memo upsert: a closed workflow reads 100 % from its status, so this costs no event.
        self._progress = Progress(progress=100, stage=stage, updated_at=workflow.now())

    @workflow.query(name=PROGRESS_QUERY)
    def progress(self) -> Progress:
        return self._progress


def _error_type(error: BaseException) -> str:
    """The innermost typed cause (`LotNotFound`, `TimeoutError` …): a bounded label, never a message."""
    innermost = error
    while isinstance(innermost, FailureError) and innermost.cause is not None:
        innermost = innermost.cause
    if isinstance(innermost, ApplicationError) and innermost.type:
        return innermost.type
    return type(innermost).__name__


def _counted(run: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """The workflow's `run`, counting its start and its outcome (replay-safe meter, replay-safe logger)."""

    @functools.wraps(run)
    async def counted_run(self: TaskWorkflow, *args: Any) -> Any:
        labels = {"task_name": type(self).task_spec.name}
        meter = workflow.metric_meter()
        meter.create_counter("gaveurs_tasks_started", "task runs a worker began").add(1, labels)
        workflow.logger.info("task %s started", labels["task_name"])
        try:
            result = await run(self, *args)
        except BaseException as error:
            if is_cancelled_exception(error):
                meter.create_counter("gaveurs_tasks_cancelled", "task runs revoked").add(1, labels)
                workflow.logger.info("task %s cancelled", labels["task_name"])
            else:
                kind = _error_type(error)
                failed = meter.create_counter("gaveurs_tasks_failed", "task runs that failed")
                failed.add(1, {**labels, "error_type": kind})
                workflow.logger.warning("task %s failed: %s", labels["task_name"], kind)
            raise
        meter.create_counter("gaveurs_tasks_succeeded", "task runs that succeeded").add(1, labels)
        workflow.logger.info("task %s succeeded", labels["task_name"])
        return result

    return counted_run


def task_workflow(spec: AnySpec) -> Callable[[WorkflowClass], WorkflowClass]:
    """Class decorator: the workflow of catalogue row `spec` (type name = `spec.name`)."""

    def register(cls: WorkflowClass) -> WorkflowClass:
        if not issubclass(cls, TaskWorkflow):
            raise TypeError(f"{cls.__name__} must derive from TaskWorkflow")
        cls.task_spec = spec
        for name, member in list(vars(cls).items()):
            if hasattr(member, "__temporal_workflow_run"):
                # wraps() keeps the name, the type hints (so inputs decode to the model) and the run mark.
                setattr(cls, name, _counted(member))
        defined: WorkflowClass = workflow.defn(name=spec.name)(cls)
        return defined

    return register
