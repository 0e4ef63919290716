"""Celery-style calls for async code (FastAPI handlers): `await train_pysr_async.delay(3472)`.

The same names and arguments as `gaveurs.tasks`; every call is awaited, including the reads that Celery
exposes as properties: `await result.status()`, `await result.get(timeout=60)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from gaveurs.catalogue import CATALOGUE, AnySpec
from gaveurs.tasks import _core
from gaveurs.tasks.errors import TaskFailed, TaskRevokedError, TimeoutError, UnknownTaskError


class AsyncResult:
    def __init__(self, task_id: str) -> None:
        self.id = self.task_id = task_id

    def __repr__(self) -> str:
        return f"<AsyncResult: {self.task_id}>"

    async def status(self) -> str:
        return (await _core.state(self.task_id)).status

    state = status

    async def info(self) -> Any:
        current = await _core.state(self.task_id)
        if current.status == "SUCCESS":
            return _core.plain(current.result)
        if current.status in {"FAILURE", "REVOKED"}:
            return TaskFailed(self.task_id, current.error or current.status)
        return {"progress": current.progress, "stage": current.stage}

    async def ready(self) -> bool:
        return await self.status() in {"SUCCESS", "FAILURE", "REVOKED"}

    async def successful(self) -> bool:
        return await self.status() == "SUCCESS"

    async def failed(self) -> bool:
        return await self.status() == "FAILURE"

    async def get(self, timeout: float | None = None, propagate: bool = True) -> Any:
        return await _core.get(self.task_id, timeout, propagate)

    async def revoke(self, terminate: bool = False) -> None:
        await _core.revoke(self.task_id, terminate)


class Task:
    """A catalogued task, callable the Celery way."""

    def __init__(self, spec: AnySpec) -> None:
        self.spec = spec
        self.name = spec.celery_name

    def __repr__(self) -> str:
        return f"<@task: {self.name}>"

    async def delay(self, *args: Any, **kwargs: Any) -> AsyncResult:
        return AsyncResult(await _core.apply(self.spec, args, kwargs))

    async def apply_async(
        self,
        args: Sequence[Any] | None = None,
        kwargs: Mapping[str, Any] | None = None,
        *,
        countdown: float | None = None,
        eta: datetime | None = None,
        task_id: str | None = None,
    ) -> AsyncResult:
        return AsyncResult(
            await _core.apply(self.spec, args or (), kwargs, countdown=countdown, eta=eta, task_id=task_id)
        )


class _Control:
    async def revoke(self, task_id: str, terminate: bool = False) -> None:
        await _core.revoke(task_id, terminate)

    def inspect(self) -> _Inspect:
        return _Inspect()


class _Inspect:
    async def active(self) -> dict[str, list[dict[str, Any]]]:
        return await _core.active()

    async def stats(self) -> dict[str, Any]:
        return await _core.stats()


_Result = AsyncResult  # the name `AsyncResult` is also CeleryApp's attribute, as in Celery


class CeleryApp:
    """What code called through `celery_app`: `control.revoke`, `control.inspect()`, `AsyncResult`, `send_task`."""

    control = _Control()
    AsyncResult = AsyncResult

    async def send_task(self, name: str, args: Sequence[Any] | None = None, **options: Any) -> _Result:
        return await Task(_core.find(name)).apply_async(args, **options)


celery_app = CeleryApp()
_TASKS = {name: Task(spec) for name, spec in CATALOGUE.items()}


def __getattr__(name: str) -> Task:
    """`from gaveurs.tasks.aio import train_pysr_async`: every catalogued task, by the seed's name."""
    try:
        return _TASKS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no task {name!r}") from None


__all__ = [
    "AsyncResult", "CeleryApp", "Task", "TaskFailed", "TaskRevokedError", "TimeoutError", "UnknownTaskError",
    "celery_app", *_TASKS,
]  # fmt: skip
