"""Progress and checkpoints of a long activity, carried in its heartbeats (free: they write no history).

`describe()` shows the last heartbeat of a running activity, so the API reads progress without a worker; a
retried attempt finds the previous attempt's last checkpoint in `activity.info().heartbeat_details`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio import activity

from gaveurs.contracts.progress import ActivityProgress

CheckpointT = TypeVar("CheckpointT", bound=BaseModel)


def report(percent: int, stage: str, checkpoint: Any = None) -> None:
    """Heartbeat with how far along this activity is (and, optionally, where a retry may resume)."""
    details: list[Any] = [ActivityProgress(percent=max(0, min(100, percent)), stage=stage)]
    if checkpoint is not None:
        details.append(checkpoint)
    activity.heartbeat(*details)


def last_checkpoint(checkpoint_type: type[CheckpointT]) -> CheckpointT | None:
    """The checkpoint the previous attempt last heartbeated, or None on a first attempt."""
    details = activity.info().heartbeat_details
    if len(details) < 2:
        return None
    try:
        return checkpoint_type.model_validate(details[1])
    except ValidationError:
        # A checkpoint from an older version of the code: start over rather than resume wrongly.
        activity.logger.warning("ignoring an unreadable checkpoint from the previous attempt")
        return None
