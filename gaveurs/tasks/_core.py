"""The async core of the Celery-style client: calling a task, reading its result, revoking it.

Everything here awaits on the caller's loop; `gaveurs.tasks` (sync) runs the same coroutines on a background
loop. States, errors and ids are the REST API's (`api.task_state`): a task is the same thing however it is
reached.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import CancelledError, TerminatedError
from temporalio.service import RPCError

from api.queue_stats import collect_stats
from api.schemas import ActiveTask, TaskStatus
from api.task_starter import start_task
from api.task_state import TERMINAL_STATES, TaskNotFound, describe_failure, resolve, task_state
from gaveurs.catalogue import CATALOGUE, AnySpec, UnknownTask, find_task
from gaveurs.task_ids import format_task_id
from gaveurs.tasks._client import client
from gaveurs.tasks.errors import TaskFailed, TaskRevokedError, TimeoutError, UnknownTaskError


def build_input(spec: AnySpec, args: Sequence[Any], kwargs: Mapping[str, Any]) -> BaseModel:
    """Positional arguments in the seed's signature order (the input model's field order), then keywords.

    Validated here, as the API would: a bad argument raises at the call (pydantic's ValidationError, a
    ValueError), not later in a worker.
    """
    names = list(spec.input.model_fields)
    if len(args) > len(names):
        raise TypeError(f"{spec.name}() takes at most {len(names)} positional arguments ({len(args)} given)")
    positional = dict(zip(names, args, strict=False))
    twice = sorted(set(positional) & set(kwargs))
    if twice:
        raise TypeError(f"{spec.name}() got multiple values for argument(s) {', '.join(twice)}")
    unknown = sorted(set(kwargs) - set(names))
    if unknown:
        raise TypeError(f"{spec.name}() got unexpected keyword argument(s) {', '.join(unknown)}")
    params: BaseModel = spec.input.model_validate({**positional, **kwargs})
    return params


def start_delay(countdown: float | None, eta: datetime | None) -> timedelta | None:
    """Celery's `countdown` (seconds) or `eta` (a moment; naive means UTC, as Celery's enable_utc) as a
    Temporal start delay: the workflow starts later, no worker sleeps meanwhile."""
    if countdown is not None and eta is not None:
        raise ValueError("give countdown or eta, not both")
    if countdown is not None:
        return timedelta(seconds=max(0.0, countdown)) if countdown > 0 else None
    if eta is not None:
        moment = eta if eta.tzinfo else eta.replace(tzinfo=UTC)
        delay = moment - datetime.now(UTC)
        return delay if delay > timedelta(0) else None
    return None


async def apply(
    spec: AnySpec,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    countdown: float | None = None,
    eta: datetime | None = None,
    task_id: str | None = None,
) -> str:
    """Start the task; returns its task_id. A `task_id` given by the caller is its idempotency key: the same
    one always answers with the task it first started (Temporal ids are ours, readable, so it is not used
    verbatim)."""
    params = build_input(spec, args, kwargs or {})
    submitted = await start_task(
        await client(), spec, params, idempotency_key=task_id, start_delay=start_delay(countdown, eta)
    )
    return submitted.task_id


async def state(task_id: str) -> TaskStatus:
    try:
        return await task_state(await client(), task_id)
    except TaskNotFound:
        raise UnknownTaskError(f"no task with id {task_id!r}") from None


def plain(value: Any) -> Any:
    """A result as Celery's JSON backend would hand it back: plain dicts and lists."""
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


async def get(task_id: str, timeout: float | None = None, propagate: bool = True) -> Any:
    """Wait for the task to end (on the workflow result, no polling); its result, or its error raised."""
    temporal = await client()
    try:
        handle, description = await resolve(temporal, task_id)
    except TaskNotFound:
        raise UnknownTaskError(f"no task with id {task_id!r}") from None
    spec = CATALOGUE.get(description.workflow_type)
    typed = temporal.get_workflow_handle(
        handle.id, run_id=handle.run_id, result_type=spec.result if spec else None
    )
    try:
        result = await asyncio.wait_for(typed.result(follow_runs=False), timeout)
    except builtins.TimeoutError as elapsed:  # asyncio's, not ours
        raise TimeoutError(f"task {task_id} did not end within {timeout}s") from elapsed
    except WorkflowFailureError as failure:
        if not propagate:
            return failure
        if isinstance(failure.cause, CancelledError | TerminatedError):
            raise TaskRevokedError(f"task {task_id} was revoked: {describe_failure(failure.cause)}") from None
        raise TaskFailed(task_id, describe_failure(failure.cause)) from None
    return plain(result)


async def revoke(task_id: str, terminate: bool = False) -> None:
    """Cancel (the running activity stops cleanly first) or, with `terminate`, end it at once."""
    temporal = await client()
    try:
        handle, _ = await resolve(temporal, task_id)
    except TaskNotFound:
        raise UnknownTaskError(f"no task with id {task_id!r}") from None
    try:
        if terminate:
            await handle.terminate(reason="revoked (terminate=True)")
        else:
            await handle.cancel()
    except RPCError as error:
        if "already completed" not in error.message:
            raise


async def active() -> dict[str, list[dict[str, Any]]]:
    """Running tasks by worker, as Celery's `inspect().active()` shapes them."""
    temporal = await client()
    found: dict[str, list[dict[str, Any]]] = {}
    async for run in temporal.list_workflows("ExecutionStatus='Running'", limit=200):
        try:
            current = await task_state(temporal, format_task_id(run.id, run.run_id))
        except TaskNotFound:
            continue
        if current.status in TERMINAL_STATES:
            continue
        entry = ActiveTask(**current.model_dump(include=set(ActiveTask.model_fields)))
        found.setdefault(current.worker or "(no worker yet)", []).append(
            {"id": entry.task_id, "name": entry.task_name, **entry.model_dump(mode="json")}
        )
    return found


async def stats() -> dict[str, Any]:
    return await collect_stats(await client())


def find(name: str) -> AnySpec:
    try:
        return find_task(name)
    except UnknownTask as error:
        raise UnknownTaskError(str(error)) from None
