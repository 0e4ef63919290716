from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class HealthCheckInput(BaseModel):
    pass


class ComponentHealth(BaseModel):
    ok: bool
    detail: str
    latency_ms: float


class HealthCheckResult(BaseModel):
    status: Literal["healthy", "degraded"]
    checks: dict[str, ComponentHealth]
    checked_at: datetime


class HealthCheckRecordInput(BaseModel):
    """What health_check_periodic stores: its result, keyed by its run (a retry rewrites the same row)."""

    workflow_id: str
    run_id: str
    result: HealthCheckResult
