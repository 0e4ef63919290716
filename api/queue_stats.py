"""`GET /stats`: workers and pollers per queue from Temporal, counts of workflows per queue and state."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue as TaskQueueRef
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from gaveurs.queues import TaskQueue
from gaveurs.schedules import count_schedules

_KINDS = {
    "workflow": TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    "activity": TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
}


async def _queue(client: Client, queue: TaskQueue) -> dict[str, Any]:
    pollers: dict[str, list[dict[str, Any]]] = {}
    backlog = 0
    for kind, kind_enum in _KINDS.items():
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueueRef(name=queue.value),
                task_queue_type=kind_enum,
                report_stats=True,
            )
        )
        pollers[kind] = [
            {
                "identity": p.identity,
                "last_access_time": p.last_access_time.ToDatetime().isoformat() + "+00:00",
                "rate_per_second": p.rate_per_second,
            }
            for p in described.pollers
        ]
        backlog += described.stats.approximate_backlog_count if described.HasField("stats") else 0
    running, total = await asyncio.gather(
        client.count_workflows(f"Queue='{queue.value}' AND ExecutionStatus='Running'"),
        client.count_workflows(f"Queue='{queue.value}'"),
    )
    return {
        "workflow_pollers": pollers["workflow"],
        "activity_pollers": pollers["activity"],
        "running": running.count,
        "backlog": backlog,
        "total": total.count,
    }


async def collect_stats(client: Client) -> dict[str, Any]:
    per_queue = dict(
        zip(TaskQueue, await asyncio.gather(*(_queue(client, q) for q in TaskQueue)), strict=True)
    )
    workers: dict[str, dict[str, Any]] = {}
    for queue, info in per_queue.items():
        for poller in info["workflow_pollers"] + info["activity_pollers"]:
            entry = workers.setdefault(poller["identity"], {"queues": [], "total": {}})
            if queue.value not in entry["queues"]:
                entry["queues"].append(queue.value)
                # Temporal counts executions per queue, not per worker: this is the queue's total.
                entry["total"][queue.value] = info["total"]
    # Celery counted the Beat entries waiting for their time: here, our schedules that are not paused.
    scheduled = await count_schedules(client, paused=False)
    active = sum(info["running"] for info in per_queue.values())
    backlog = sum(info["backlog"] for info in per_queue.values())
    return {
        "workers": sorted(workers),
        "nb_workers": len(workers),
        "tasks_active": active,
        "tasks_scheduled": scheduled,
        "tasks_reserved": backlog,
        "total_pending": active + backlog,
        "worker_stats": workers,
        "queues": {queue.value: info for queue, info in per_queue.items()},
    }
