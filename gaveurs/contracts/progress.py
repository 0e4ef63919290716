from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Progress(BaseModel):
    """What the `progress` query of every workflow returns."""

    progress: int = Field(ge=0, le=100)
    stage: str
    updated_at: datetime | None = None


class ProgressUpdate(BaseModel):
    """Sent by a long activity to its workflow (signal `report_progress`) as it advances."""

    progress: int = Field(ge=0, le=100)
    stage: str
