"""What the notification workflows share: the run's idempotency key, and one message per activity whose
failure is kept as that recipient's outcome instead of ending the task for everyone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from gaveurs.contracts.notifications import DeliveryOutcome, PlannedDelivery
    from gaveurs.notify.outcomes import undelivered
    from workflows._options import SEND, execute

RequestT = TypeVar("RequestT")
OutcomeT = TypeVar("OutcomeT")
# Set by Temporal on runs a schedule starts: the time the run stands for (a backfill's, not today's).
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


def run_key() -> str:
    """The idempotency key of this run: its messages' ledger keys derive from it.

    Workflow id *and* run id: the readable id names the work, which may run again (a finished lot notice
    asked for again, a reset), and a new run must then really send instead of finding the old messages.
    """
    info = workflow.info()
    return f"{info.workflow_id}/{info.run_id}"


def run_moment() -> datetime:
    """When this run stands for: its scheduled time when a schedule started it, else the workflow's clock."""
    scheduled = workflow.info().typed_search_attributes.get(SCHEDULED_START)
    return scheduled or workflow.now()


async def deliver(
    activity: Callable[[RequestT], Any], request: RequestT, delivery: PlannedDelivery
) -> DeliveryOutcome:
    """Send one planned message through its activity (SEND preset: cancel waits for it, nothing sent after).

    The activity returns a `failed` outcome for a refusal for good; a temporary failure is retried, and once
    the retries are spent it becomes this recipient's failed outcome here. A cancel is never swallowed.
    """
    try:
        outcome: DeliveryOutcome = await execute(activity, request, SEND)
        return outcome
    except ActivityError as error:
        if is_cancelled_exception(error):
            raise
        cause = error.cause
        if isinstance(cause, ApplicationError):
            return undelivered(delivery, cause.type or "ApplicationError", cause.message)
        return undelivered(delivery, type(cause or error).__name__, str(cause or error))


async def side_by_side(steps: Sequence[Awaitable[OutcomeT]]) -> list[OutcomeT]:
    """Run the steps at once and return their outcomes in order; on cancel, wait for every one to stop.

    Unlike `asyncio.gather`, a cancelled task does not close while some steps are still being cancelled:
    each send step confirms its cancel (or that its message went) before the task reads REVOKED.
    """
    tasks = [asyncio.ensure_future(step) for step in steps]
    if not tasks:
        return []
    try:
        await asyncio.wait(tasks)
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)
        raise
    return [task.result() for task in tasks]
