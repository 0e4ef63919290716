"""Celery-style calls over the Temporal tasks, so moving off Celery means changing one import.

    from gaveurs.tasks import train_pysr_async, generate_lot_pdf_report, AsyncResult, celery_app

    result = train_pysr_async.delay(3472)
    generate_lot_pdf_report.apply_async(args=[3472, "complete"], countdown=60)
    AsyncResult(result.id).status          # PENDING | STARTED | RETRY | SUCCESS | FAILURE | REVOKED
    result.get(timeout=600)                # the task's result, or its error raised
    celery_app.control.revoke(result.id, terminate=True)

Every catalogued task is here under the seed's function name (generated from the catalogue). Positional
arguments follow the seed's signature (the input model's field order) and are validated at the call, as
the API validates them. `countdown`/`eta` become a Temporal start delay. These calls block; async code uses
`gaveurs.tasks.aio`, which has the same names and awaits. Both share one Temporal client per process,
configured from the environment (or `gaveurs.tasks.configure(settings)`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from gaveurs.catalogue import CATALOGUE, AnySpec
from gaveurs.tasks import _core
from gaveurs.tasks._client import configure, run_sync
from gaveurs.tasks.errors import TaskFailed, TaskRevokedError, TimeoutError, UnknownTaskError


class AsyncResult:
    """A task's id and what can be asked about it; each read asks Temporal (nothing is cached)."""

    def __init__(self, task_id: str) -> None:
        self.id = self.task_id = task_id

    def __repr__(self) -> str:
        return f"<AsyncResult: {self.task_id}>"

    @property
    def status(self) -> str:
        return run_sync(_core.state(self.task_id)).status

    state = status

    @property
    def result(self) -> Any:
        """The return value once SUCCESS, the error once FAILURE/REVOKED, else None (as Celery)."""
        current = run_sync(_core.state(self.task_id))
        if current.status == "SUCCESS":
            return _core.plain(current.result)
        if current.status in {"FAILURE", "REVOKED"}:
            return TaskFailed(self.task_id, current.error or current.status)
        return None

    @property
    def info(self) -> Any:
        """The result when ended; while running, the progress: `{"progress": 45, "stage": "…"}`."""
        current = run_sync(_core.state(self.task_id))
        if current.status in {"SUCCESS", "FAILURE", "REVOKED"}:
            return self.result
        return {"progress": current.progress, "stage": current.stage}

    def ready(self) -> bool:
        return self.status in {"SUCCESS", "FAILURE", "REVOKED"}

    def successful(self) -> bool:
        return self.status == "SUCCESS"

    def failed(self) -> bool:
        return self.status == "FAILURE"

    def get(self, timeout: float | None = None, propagate: bool = True) -> Any:
        """Wait for the end (on the workflow's result, not a polling loop): the result, or TaskFailed /
        TaskRevokedError raised (returned instead with propagate=False), or TimeoutError after `timeout`."""
        return run_sync(_core.get(self.task_id, timeout, propagate))

    def revoke(self, terminate: bool = False) -> None:
        run_sync(_core.revoke(self.task_id, terminate))


class Task:
    """A catalogued task, callable the Celery way."""

    def __init__(self, spec: AnySpec) -> None:
        self.spec = spec
        self.name = spec.celery_name

    def __repr__(self) -> str:
        return f"<@task: {self.name}>"

    def delay(self, *args: Any, **kwargs: Any) -> AsyncResult:
        return AsyncResult(run_sync(_core.apply(self.spec, args, kwargs)))

    def apply_async(
        self,
        args: Sequence[Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        *,
        countdown: float | None = None,
        eta: datetime | None = None,
        task_id: str | None = None,
    ) -> AsyncResult:
        return AsyncResult(
            run_sync(
                _core.apply(self.spec, args or (), kwargs, countdown=countdown, eta=eta, task_id=task_id)
            )
        )


class _Inspect:
    def active(self) -> dict[str, list[dict[str, Any]]]:
        return run_sync(_core.active())

    def stats(self) -> dict[str, Any]:
        return run_sync(_core.stats())


class _Control:
    def revoke(self, task_id: str, terminate: bool = False) -> None:
        run_sync(_core.revoke(task_id, terminate))

    def inspect(self) -> _Inspect:
        return _Inspect()


_Result = AsyncResult  # the name `AsyncResult` is also CeleryApp's attribute, as in Celery


class CeleryApp:
    """What code called through `celery_app`: `control.revoke`, `control.inspect()`, `AsyncResult`, `send_task`."""

    control = _Control()
    AsyncResult = AsyncResult

    def send_task(self, name: str, args: Sequence[Any] | None = None, **options: Any) -> _Result:
        """By the seed's name or the Celery dotted name: `send_task("app.tasks.ml_tasks.train_pysr_async", [3472])`."""
        return Task(_core.find(name)).apply_async(args, **options)


celery_app = CeleryApp()
_TASKS = {name: Task(spec) for name, spec in CATALOGUE.items()}


def __getattr__(name: str) -> Task:
    """`from gaveurs.tasks import train_pysr_async`: every catalogued task, by the seed's name."""
    try:
        return _TASKS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no task {name!r}") from None


__all__ = [
    "AsyncResult", "CeleryApp", "Task", "TaskFailed", "TaskRevokedError", "TimeoutError", "UnknownTaskError",
    "celery_app", "configure", *_TASKS,
]  # fmt: skip
