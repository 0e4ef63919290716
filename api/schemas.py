"""The API's answers as pydantic models, so `/docs` and `/openapi.json` show the seed's JSON shapes.

Per-task models are derived from the catalogue: each task's submit answer echoes its own input fields (as the
seed's answers did), and the status answer's `result` is any catalogued task's result model.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, Union

from pydantic import BaseModel, Field, JsonValue, create_model

from gaveurs.catalogue import CATALOGUE, AnySpec

TaskState = Literal["PENDING", "STARTED", "RETRY", "SUCCESS", "FAILURE", "REVOKED"]

if TYPE_CHECKING:
    TaskResult = BaseModel
else:
    # Every task's result model, once each: the OpenAPI document lists them all under `result`.
    TaskResult = Union[tuple(dict.fromkeys(spec.result for spec in CATALOGUE.values()))]  # noqa: UP007


class TaskSubmitted(BaseModel):
    """The seed's answer to a start: `{"status": "submitted", "task_id": …, <echoed inputs>, "message": …}`."""

    status: Literal["submitted"] = "submitted"
    task_id: str = Field(description="this run of the task: poll /status/{task_id}")
    message: str
    already_running: bool = Field(description="true when the same work was already running: this is that run")
    existing: bool = Field(
        description="true when no new run started: a running twin, or the earlier run of this Idempotency-Key"
    )
    workflow_id: str = Field(description="the Temporal workflow id (Web UI, `temporal` CLI)")
    run_id: str


@cache
def submitted_model(spec: AnySpec) -> type[TaskSubmitted]:
    """The submit answer of `spec`'s task: TaskSubmitted plus the input fields the seed echoed."""
    fields: dict[str, Any] = {name: (spec.input.model_fields[name].annotation, ...) for name in spec.echo}
    name = "".join(part.capitalize() for part in spec.name.split("_")) + "Submitted"
    return create_model(name, __base__=TaskSubmitted, **fields)


class TaskStatus(BaseModel):
    """`GET /status/{task_id}`: the Celery-era state of one run, from Temporal's view of it."""

    task_id: str
    task_name: str
    status: TaskState
    progress: int | None = Field(None, ge=0, le=100)
    stage: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    # A catalogued task's result model; a workflow started outside the catalogue gives its raw JSON.
    result: TaskResult | JsonValue = None
    error: str | None = Field(
        None, description="`Type: message` of the failure, or of the last failed attempt"
    )
    retries: int | None = Field(None, description="attempts that failed so far (RETRY)")
    eta: datetime | None = Field(None, description="when the next attempt starts (RETRY)")
    worker: str | None = Field(None, description="identity of the worker running it")
    queue: str
    workflow_id: str
    run_id: str


class ActiveTask(BaseModel):
    task_id: str
    task_name: str
    status: TaskState
    progress: int | None = None
    stage: str | None = None
    worker: str | None = None
    started_at: datetime | None = None
    eta: datetime | None = None
    queue: str


class ActiveTasks(BaseModel):
    total: int
    tasks: list[ActiveTask]


class Poller(BaseModel):
    identity: str
    last_access_time: datetime
    rate_per_second: float


class QueueStats(BaseModel):
    workflow_pollers: list[Poller]
    activity_pollers: list[Poller]
    running: int
    backlog: int
    total: int


class WorkerStats(BaseModel):
    queues: list[str]
    total: dict[str, int] = Field(description="tasks ever run on each queue this worker polls")


class TaskStats(BaseModel):
    workers: list[str]
    nb_workers: int
    tasks_active: int
    tasks_scheduled: int = Field(description="Temporal Schedules (what Celery Beat used to run)")
    tasks_reserved: int = Field(description="tasks waiting in a queue for a worker")
    total_pending: int
    worker_stats: dict[str, WorkerStats]
    queues: dict[str, QueueStats]


class CancelAnswer(BaseModel):
    status: Literal["cancelled"] = "cancelled"
    task_id: str
    message: str


class CatalogueEntry(BaseModel):
    name: str
    celery_name: str
    queue: str
    started_message: str
    input_schema: dict[str, Any]


class ErrorAnswer(BaseModel):
    """Every 4xx answer: `detail` for programs, `message` for people."""

    detail: Any
    message: str
