"""The task queues, one per workload class: a worker process serves exactly one of them."""

from __future__ import annotations

from enum import StrEnum


class TaskQueue(StrEnum):
    ML_HEAVY = "ml_heavy"
    ML_LIGHT = "ml_light"
    EXPORTS = "exports"
    NOTIFICATIONS = "notifications"
    DEFAULT = "default"
