"""What every task workflow shares: its catalogue row, its stage bookkeeping and the `progress` query.

`@task_workflow(ROW)` makes a class the workflow of a catalogue row: its Temporal type is the row's name, so
the two can never drift apart, and the worker registry finds the row (and so the queue) on the class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from temporalio import workflow

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


def task_workflow(spec: AnySpec) -> Callable[[WorkflowClass], WorkflowClass]:
    """Class decorator: the workflow of catalogue row `spec` (type name = `spec.name`)."""

    def register(cls: WorkflowClass) -> WorkflowClass:
        if not issubclass(cls, TaskWorkflow):
            raise TypeError(f"{cls.__name__} must derive from TaskWorkflow")
        cls.task_spec = spec
        defined: WorkflowClass = workflow.defn(name=spec.name)(cls)
        return defined

    return register
