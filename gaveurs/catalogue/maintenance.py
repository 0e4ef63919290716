"""Catalogue rows of the housekeeping tasks (queue `default`), most of them started by schedules."""

from __future__ import annotations

from datetime import timedelta

from gaveurs.catalogue.spec import TaskSpec
from gaveurs.contracts.system import HealthCheckInput, HealthCheckResult
from gaveurs.queues import TaskQueue

HEALTH_CHECK = TaskSpec(
    name="health_check_periodic",
    queue=TaskQueue.DEFAULT,
    input=HealthCheckInput,
    result=HealthCheckResult,
    started_message="Health check started",
    # A check that takes longer than this has found its answer: something is down.
    execution_timeout=timedelta(minutes=5),
    example=HealthCheckInput(),
    id_prefix="health-check",
)
