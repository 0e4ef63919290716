"""Run the workers of one or more task queues until SIGTERM/SIGINT, then shut down gracefully.

On shutdown a worker stops polling, lets in-flight activities finish for `WORKER_GRACEFUL_SHUTDOWN_S`, then
cancels what is left; Temporal retries those on another worker, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.shared.child_process import warm_up
from gaveurs.queues import TaskQueue
from gaveurs.settings import Settings, get_settings
from gaveurs.temporal_client import connect
from workers.registry import QueueWorkload, workloads

log = logging.getLogger("workers")
# Libraries our input models validate with run inside workflows when an input is decoded; they are
# deterministic, and phonenumbers loads region data lazily under a lock the sandbox would refuse.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules(
        "phonenumbers", "email_validator", "gaveurs.notify.phone", "gaveurs.notify.email_address"
    )
)


def build_worker(
    client: Client, workload: QueueWorkload, settings: Settings, executor: ThreadPoolExecutor
) -> Worker:
    """The one way a worker is configured, for the registry's workloads and the tests' own alike."""
    queue = workload.queue
    return Worker(
        client,
        task_queue=queue.value,
        workflows=list(workload.workflows),
        activities=list(workload.activities),
        activity_executor=executor,
        max_concurrent_activities=workload.max_concurrent_activities,
        # Workflow code does no I/O, so an exception there (a KeyError, a validation error, non-determinism
        # after a deploy) is a bug no retry fixes: fail the task instead of retrying its workflow task forever.
        workflow_failure_exception_types=[Exception],
        workflow_runner=SANDBOX,
        # Heartbeats carry progress (`describe()` shows the last one the server got): send them within a
        # second instead of 80 % of the heartbeat timeout, so a status read sees progress move.
        max_heartbeat_throttle_interval=timedelta(seconds=1),
        graceful_shutdown_timeout=timedelta(seconds=settings.worker_graceful_shutdown_s),
        identity=f"{queue.value}@{socket.gethostname()}:{os.getpid()}",
    )


async def run_workers(queues: Sequence[TaskQueue], settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    client = await connect(settings)
    preload = sorted({module for q in queues for module in workloads()[q].preload})
    if preload:
        # The fork server imports the fitting libraries once, off the event loop, before any task arrives.
        await asyncio.to_thread(warm_up, preload)
    executor = ThreadPoolExecutor(
        max_workers=sum(workloads()[q].max_concurrent_activities for q in queues) + 2,
        thread_name_prefix="activity",
    )
    workers = [build_worker(client, workloads()[queue], settings, executor) for queue in queues]

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    runs = [asyncio.create_task(worker.run()) for worker in workers]
    log.info("polling %s on %s (namespace %s)", ", ".join(q.value for q in queues),
             settings.temporal_address, settings.temporal_namespace)  # fmt: skip
    stopped = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([stopped, *runs], return_when=asyncio.FIRST_COMPLETED)
    if stopped not in done:
        # A worker died on its own (e.g. lost the server for good): stop the others and report it.
        log.error("a worker stopped unexpectedly; shutting down the rest")
    log.info(
        "shutting down: waiting up to %.0fs for in-flight activities", settings.worker_graceful_shutdown_s
    )
    await asyncio.gather(*(worker.shutdown() for worker in workers), return_exceptions=True)
    results = await asyncio.gather(*runs, return_exceptions=True)
    executor.shutdown(wait=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if stopped not in done and errors:
        raise errors[0]
    stopped.cancel()
