"""A burst of SMS from the API keeps the provider's rate, shared by every worker process (not per process).

The stack's workers send at most SMS_PER_SECOND (5) with a burst of SMS_BURST (5), the defaults. For this
module a second worker process polls the `notifications` queue too, so the burst is served by two processes
that share one token bucket in the farm database.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import pytest
from temporalio.api.enums.v1 import EventType, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue as TaskQueueRef
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from gaveurs.queues import TaskQueue
from gaveurs.settings import Settings
from tests.fixtures_stack import Stack
from tests.waiting import wait_for_end

BURST = 15


@pytest.fixture(scope="module")
def second_worker(stack: Stack) -> Iterator[None]:
    name = f"notifications-2-{stack.backend}"
    process = stack.spawn("-m", "workers", TaskQueue.NOTIFICATIONS.value, name=name)

    async def polling() -> None:
        """Until the new process itself polls (the stack's own worker already does)."""
        client = await stack.client()
        for _ in range(300):
            described = await client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace,
                    task_queue=TaskQueueRef(name=TaskQueue.NOTIFICATIONS.value),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
                )
            )
            if any(p.identity.endswith(f":{process.pid}") for p in described.pollers):
                return
            await asyncio.sleep(0.2)
        raise TimeoutError(f"the second worker never polled:\n{stack.group.log_tail(name)}")

    try:
        asyncio.run(polling())
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def served_by(stack: Stack, workflow_id: str, run_id: str) -> str:
    async def identity() -> str:
        client = await stack.client()
        async for event in client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                return event.activity_task_started_event_attributes.identity
        raise AssertionError(f"{workflow_id} ran no activity")

    return asyncio.run(identity())


def test_a_burst_of_sms_keeps_the_shared_rate(api: httpx.Client, stack: Stack, second_worker: None) -> None:
    settings = Settings()  # the stack's workers run with the defaults
    rate, burst = settings.sms_per_second, settings.sms_burst
    phone, tag = f"+33612{uuid.uuid4().int % 10**6:06d}", uuid.uuid4().hex[:6]

    def submit(n: int) -> dict[str, str]:
        response = api.post(
            "/api/tasks/notifications/sms", json={"phone": phone, "message": f"rafale {tag} {n}"}
        )
        assert response.status_code == 200, response.text
        body: dict[str, str] = response.json()
        return body

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        started = list(pool.map(submit, range(BURST)))
    ended = [wait_for_end(api, body["task_id"]) for body in started]
    assert [s["status"] for s in ended] == ["SUCCESS"] * BURST, ended

    listed = api.get("/api/sinks/sms", params={"to": phone, "limit": 100}).json()["messages"]
    assert sorted(m["body"] for m in listed) == sorted(f"rafale {tag} {n}" for n in range(BURST))
    arrivals = sorted(datetime.fromisoformat(m["received_at"]).timestamp() for m in listed)
    # Any one-second window holds at most burst + rate messages; the slack of two is for sends that leave
    # their slot late (a busy machine) and bunch up with the next. Without the shared bucket the two
    # processes' 32 activity slots would send all fifteen within a fraction of a second.
    busiest = max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals)
    assert busiest <= burst + rate + 2, (busiest, arrivals)
    span, least = arrivals[-1] - arrivals[0], (BURST - burst) / rate
    assert span >= least - 0.3, (span, least)

    identities = {served_by(stack, body["workflow_id"], body["run_id"]) for body in started}
    assert len({identity.rsplit(":", 1)[1] for identity in identities}) == 2, identities
