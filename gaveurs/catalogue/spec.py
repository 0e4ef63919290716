"""One task = one `TaskSpec` row: everything else (workflow type, worker queue, start route, search attributes,
OpenAPI shapes, the bench's task list) is derived from it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from gaveurs.queues import TaskQueue
from gaveurs.search_attributes import task_attributes

InputT = TypeVar("InputT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=BaseModel)

# The Celery module each queue's tasks lived in: `app.tasks.<module>.<name>` is accepted as a task name.
CELERY_MODULES: dict[TaskQueue, str] = {
    TaskQueue.ML_HEAVY: "ml_tasks",
    TaskQueue.ML_LIGHT: "ml_tasks",
    TaskQueue.EXPORTS: "export_tasks",
    TaskQueue.NOTIFICATIONS: "notification_tasks",
    TaskQueue.DEFAULT: "scheduled_tasks",
}


def _no_attributes(_params: Any) -> Sequence[SearchAttributePair[Any]]:
    return ()


# eq=False: a row is one object, compared and hashed by identity (its example input is not hashable).
@dataclass(frozen=True, kw_only=True, eq=False)
class TaskSpec(Generic[InputT, ResultT]):
    """A catalogued task.

    `name` is the seed's function name: it is the Temporal workflow type and the `TaskName` search attribute.
    `work_id` derives a readable workflow id from the input, so starting the same work while it runs joins the
    running task; leave it out when every submit is new work (an SMS), and the id is `<id_prefix>-<random>`.
    """

    name: str
    queue: TaskQueue
    input: type[InputT]
    result: type[ResultT]
    started_message: str
    # The longest a run may take, retries included; then it ends in FAILURE instead of hanging on.
    execution_timeout: timedelta
    # A typical input: documents the task (OpenAPI, catalogue route) and is what the replay histories,
    # the benchmark and the Celery-style client tests run.
    example: InputT
    id_prefix: str
    work_id: Callable[[InputT], str] | None = None
    # Search attributes beyond TaskName and Queue, e.g. `lambda p: [LOT_ID.value_set(p.lot_id)]`.
    attributes: Callable[[InputT], Sequence[SearchAttributePair[Any]]] = field(default=_no_attributes)
    # Input fields echoed in the submit answer, as the seed did (`lot_id`, `report_type`, `phone`).
    echo: tuple[str, ...] = ()

    @property
    def celery_name(self) -> str:
        return f"app.tasks.{CELERY_MODULES[self.queue]}.{self.name}"

    def workflow_id(self, params: InputT, *, idempotency_key: str | None = None) -> str:
        """The readable workflow id of this work; with an idempotency key, the id that key always maps to."""
        base = self.work_id(params) if self.work_id else self.id_prefix
        if idempotency_key is not None:
            digest = hashlib.sha256(f"{self.name}\n{idempotency_key}".encode()).hexdigest()[:16]
            return f"{base}-k{digest}"
        if self.work_id is None:
            return f"{base}-{uuid.uuid4().hex[:12]}"
        return base

    def search_attributes(self, params: InputT) -> TypedSearchAttributes:
        return task_attributes(self.name, self.queue.value, self.attributes(params))

    def echoed(self, params: InputT) -> dict[str, Any]:
        dumped = params.model_dump(mode="json")
        return {name: dumped[name] for name in self.echo}


def options_suffix(params: BaseModel, *, exclude: set[str]) -> str:
    """Empty for default options, else a stable tag: different option sets are different work."""
    options = params.model_dump_json(exclude=exclude, exclude_defaults=True)
    if options == "{}":
        return ""
    return "-" + hashlib.sha256(options.encode()).hexdigest()[:8]
