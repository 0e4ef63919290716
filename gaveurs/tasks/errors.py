"""What the Celery-style calls raise, named after Celery's own so `except` clauses read the same."""

from __future__ import annotations


class TaskError(Exception):
    """Base of everything a task call raises."""


class TaskFailed(TaskError):
    """`AsyncResult.get()` of a task that ended in FAILURE: carries `Type: message` of its error."""

    def __init__(self, task_id: str, error: str) -> None:
        super().__init__(f"task {task_id} failed: {error}")
        self.task_id, self.error = task_id, error
        self.type = error.split(":", 1)[0]


class TaskRevokedError(TaskError):
    """`AsyncResult.get()` of a task that was cancelled or terminated (Celery: `TaskRevokedError`)."""


class TimeoutError(TaskError):
    """`AsyncResult.get(timeout=…)` elapsed before the task ended."""


class UnknownTaskError(TaskError, LookupError):
    """No catalogued task of that name, or no task with that id."""
