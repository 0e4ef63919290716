"""The task catalogue: every task the platform runs, one `TaskSpec` row each, gathered from the domain modules.

`CATALOGUE` maps the seed's function name to its row. A row is found by that name or by the Celery dotted
name the old code used (`app.tasks.ml_tasks.train_pysr_async`), so callers migrating from Celery need not
rename anything.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from gaveurs.catalogue import exports, maintenance, ml, notifications
from gaveurs.catalogue.spec import TaskSpec

AnySpec = TaskSpec[Any, Any]


def _rows(*modules: ModuleType) -> dict[str, AnySpec]:
    rows: dict[str, AnySpec] = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, TaskSpec):
                if value.name in rows:
                    raise ValueError(f"task {value.name!r} is catalogued twice")
                rows[value.name] = value
    return rows


CATALOGUE: dict[str, AnySpec] = _rows(ml, exports, notifications, maintenance)
_BY_CELERY_NAME = {spec.celery_name: spec for spec in CATALOGUE.values()}


class UnknownTask(LookupError):
    pass


def find_task(name: str) -> AnySpec:
    """The row for a seed function name or a Celery dotted name; `UnknownTask` otherwise."""
    spec = CATALOGUE.get(name) or _BY_CELERY_NAME.get(name)
    if spec is None:
        raise UnknownTask(f"no task named {name!r}; known tasks: {', '.join(sorted(CATALOGUE))}")
    return spec


__all__ = ["CATALOGUE", "AnySpec", "TaskSpec", "UnknownTask", "find_task"]
