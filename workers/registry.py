"""What each task queue's worker runs, found rather than listed: queue → workflows → activities.

`workflows/<queue>/*.py` holds the queue's workflows, each the workflow of a catalogue row; the row, not this
file, says which queue it belongs to, and a workflow found in another queue's package is an error.
`activities/<queue>/*.py` holds the queue's activities and `activities/shared/` those every queue may call.
Adding a task therefore never edits this module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

from gaveurs.catalogue import CATALOGUE
from gaveurs.queues import TaskQueue
from workflows._task import TaskWorkflow

# Concurrent activities per worker process: CPU-bound queues stay near the core count, I/O-bound ones wait.
MAX_CONCURRENT_ACTIVITIES: dict[TaskQueue, int] = {
    TaskQueue.ML_HEAVY: 2,
    TaskQueue.ML_LIGHT: 4,
    TaskQueue.EXPORTS: 4,
    TaskQueue.NOTIFICATIONS: 16,
    TaskQueue.DEFAULT: 8,
}
# Modules the fork server of a queue imports once, so each fit's child process starts with them loaded.
CHILD_PROCESS_PRELOAD: dict[TaskQueue, tuple[str, ...]] = {
    TaskQueue.ML_HEAVY: (
        "numpy", "sympy", "scipy.optimize", "sklearn.ensemble", "gaveurs.ml.symbolic", "gaveurs.ml.feeding_curve",
        "gaveurs.ml.abattage",
    ),
    TaskQueue.ML_LIGHT: (
        # production_forecast imports prophet itself, quietening its "plotly missing" line first.
        "numpy", "sklearn.ensemble", "sklearn.cluster", "gaveurs.ml.anomalies", "gaveurs.ml.clustering",
        "gaveurs.ml.production_forecast",
    ),
    # The maintenance jobs run their SQL in a child a cancel can kill: importing these once saves seconds a job.
    TaskQueue.DEFAULT: ("sqlalchemy", "activities.default._jobs", "gaveurs.maintenance.backup"),
}  # fmt: skip


class RegistryMismatch(RuntimeError):
    pass


@dataclass(frozen=True)
class QueueWorkload:
    queue: TaskQueue
    workflows: tuple[type[TaskWorkflow], ...]
    activities: tuple[Callable[..., Any], ...]

    @property
    def max_concurrent_activities(self) -> int:
        return MAX_CONCURRENT_ACTIVITIES[self.queue]

    @property
    def preload(self) -> tuple[str, ...]:
        return CHILD_PROCESS_PRELOAD.get(self.queue, ())


def _modules(package: str) -> Iterator[ModuleType]:
    root = importlib.import_module(package)
    for info in pkgutil.iter_modules(root.__path__):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{package}.{info.name}")


def _workflows_in(package: str) -> list[type[TaskWorkflow]]:
    found: list[type[TaskWorkflow]] = []
    for module in _modules(package):
        for value in vars(module).values():
            # Only classes defined here: a module may import another's workflow to start it as a child.
            if (
                isinstance(value, type)
                and issubclass(value, TaskWorkflow)
                and value.__module__ == module.__name__
                and hasattr(value, "task_spec")
            ):
                found.append(value)
    return found


def _activities_in(package: str) -> list[Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for module in _modules(package):
        for value in vars(module).values():
            definition = getattr(value, "__temporal_activity_definition", None)
            if definition is not None and getattr(value, "__module__", None) == module.__name__:
                found[definition.name] = value
    return list(found.values())


@cache
def workloads() -> dict[TaskQueue, QueueWorkload]:
    """Every queue's workflows and activities; raises RegistryMismatch if they disagree with the catalogue."""
    shared = _activities_in("activities.shared")
    result: dict[TaskQueue, QueueWorkload] = {}
    registered: dict[str, TaskQueue] = {}
    for queue in TaskQueue:
        workflows = _workflows_in(f"workflows.{queue.value}")
        for cls in workflows:
            spec = cls.task_spec
            if CATALOGUE.get(spec.name) is not spec:
                raise RegistryMismatch(
                    f"workflow {cls.__qualname__} runs {spec.name!r}, which is not catalogued"
                )
            if spec.queue != queue:
                raise RegistryMismatch(
                    f"workflow {cls.__qualname__} of {spec.name!r} sits in workflows/{queue.value}/ but the "
                    f"catalogue puts the task on {spec.queue.value!r}"
                )
            if spec.name in registered:
                raise RegistryMismatch(f"two workflows run {spec.name!r}")
            registered[spec.name] = queue
        activities = _activities_in(f"activities.{queue.value}") + shared
        result[queue] = QueueWorkload(queue, tuple(workflows), tuple(activities))
    missing = sorted(set(CATALOGUE) - set(registered))
    if missing:
        raise RegistryMismatch(f"catalogued tasks without a workflow: {', '.join(missing)}")
    return result
