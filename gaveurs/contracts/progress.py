"""How far along a task is, and where each piece of that is kept so anyone can read it without a worker.

- The workflow's *stage* (and the band of the 0–100 scale it covers) is in the workflow memo under
  `STAGE_MEMO`, upserted when the stage changes: one history event per stage, visible in `describe()`.
- A long activity's own 0–100 is the first value of its heartbeat details (`ActivityProgress`): heartbeats
  cost no history, and `describe()` shows the last one in `pending_activities`.
- The `progress` query (`PROGRESS_QUERY`) answers from the workflow's own view (stage level) when a worker
  holds the workflow; the API never waits on it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

PROGRESS_QUERY = "progress"
STAGE_MEMO = "stage"


class Progress(BaseModel):
    """What the `progress` query of every workflow returns."""

    progress: int = Field(ge=0, le=100)
    stage: str
    updated_at: datetime | None = None


class StageMemo(BaseModel):
    """The workflow's current stage, kept in its memo: `start`–`end` is the stage's band of the 0–100 scale."""

    stage: str
    start: int = Field(ge=0, le=100)
    end: int = Field(ge=0, le=100)
    updated_at: datetime

    def overall(self, activity_percent: int | None) -> int:
        """The task's 0–100, placing the running activity's own percentage inside this stage's band."""
        if activity_percent is None:
            return self.start
        return self.start + (self.end - self.start) * max(0, min(100, activity_percent)) // 100


class ActivityProgress(BaseModel):
    """First heartbeat detail of a long activity; a second detail, when present, is its resume checkpoint."""

    percent: int = Field(ge=0, le=100)
    stage: str
