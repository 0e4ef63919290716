"""The router the system syncs its schedules with: each task's catalogue row says how a schedule starts it.

Workflow type, queue, search attributes and execution timeout come from the row, exactly as an API start
would set them; the declaration's `params` are validated by the row's input model (a typo in a declaration
fails the sync, not the 03:00 run) and sent as declared (a field left out keeps meaning "the default").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from temporalio.client import Client

from gaveurs.catalogue import CATALOGUE, UnknownTask
from gaveurs.schedules.declarations import SCHEDULES
from gaveurs.schedules.sync import ScheduledStart, SyncReport, sync_schedules


def route_by_catalogue(task_name: str, params: Mapping[str, Any]) -> ScheduledStart:
    """How a schedule starts `task_name`; UnknownTask (a LookupError) if it is not catalogued."""
    spec = CATALOGUE.get(task_name)
    if spec is None:
        raise UnknownTask(f"no task named {task_name!r} in the catalogue")
    validated = spec.input.model_validate(dict(params))
    return ScheduledStart(
        workflow_type=spec.name,
        task_queue=spec.queue.value,
        input=validated.model_dump(mode="json", exclude_unset=True),
        search_attributes=spec.search_attributes(validated),
        execution_timeout=spec.execution_timeout,
    )


async def sync_declared_schedules(client: Client, *, dry_run: bool = False) -> SyncReport:
    """The ten declared schedules, routed by the catalogue (what `make run` and `schedules sync` do).

    Raises UnroutableSchedules, naming them, if any declared task is not catalogued.
    """
    return await sync_schedules(client, SCHEDULES, route_by_catalogue, dry_run=dry_run)
