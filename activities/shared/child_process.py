"""Run CPU-bound work in a child process from inside an async activity: heartbeats, progress, cancellation.

The child comes from a fork server (`warm_up()` starts it with the heavy modules imported once), so starting
one costs milliseconds and never blocks the worker's event loop. While it runs, the activity heartbeats every
`HEARTBEAT_EVERY_S` with the child's latest progress and checkpoint; a cancelled or timed-out activity kills
the process before reporting, so `REVOKED` means the computation has stopped.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from multiprocessing.context import ForkServerContext
from typing import Any, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.shared.progress import report
from gaveurs.child_process import Target, child_main
from gaveurs.errors import ComputationCrashed, ComputationFailed

ArgT = TypeVar("ArgT")
ResultT = TypeVar("ResultT")

HEARTBEAT_EVERY_S = 1.0
POLL_S = 0.05


def _context() -> ForkServerContext:
    return multiprocessing.get_context("forkserver")


def warm_up(preload: Sequence[str]) -> None:
    """Start the fork server with `preload` imported, so each child starts with them already loaded."""
    context = _context()
    context.set_forkserver_preload(list(preload))
    from multiprocessing import forkserver

    forkserver.ensure_running()


async def run_in_child_process(
    target: Target[ArgT, ResultT], arg: ArgT, *, stage: str, resume: Any = None
) -> ResultT:
    """`target(arg, reporter)` in a child process; returns its result or raises its typed failure."""
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=child_main, args=(target, arg, resume, sender), name=f"child:{activity.info().activity_type}"
    )
    # Starting talks to the fork server (and starts it the first time): keep that off the event loop.
    await asyncio.to_thread(process.start)
    sender.close()
    percent, current_stage, checkpoint = 0, stage, resume
    loop = asyncio.get_running_loop()
    last_beat = 0.0
    try:
        while True:
            while receiver.poll():
                message = receiver.recv()
                kind = message[0]
                if kind == "progress":
                    _, percent, current_stage, new_checkpoint = message
                    checkpoint = new_checkpoint if new_checkpoint is not None else checkpoint
                elif kind == "result":
                    result: ResultT = message[1]
                    return result
                elif kind == "failure":
                    _, failure_type, text, non_retryable = message
                    raise ApplicationError(text, type=failure_type, non_retryable=non_retryable)
                else:
                    raise ComputationFailed.error(message[1])
            if not process.is_alive() and not receiver.poll():
                raise ComputationCrashed.error(
                    f"the computing process exited with code {process.exitcode} before answering"
                )
            if loop.time() - last_beat >= HEARTBEAT_EVERY_S:
                report(percent, current_stage, checkpoint)
                last_beat = loop.time()
            await asyncio.sleep(POLL_S)
    finally:
        # Reached on success, failure, cancellation and timeout alike: the work never outlives the activity.
        if process.is_alive():
            process.kill()
        await asyncio.to_thread(process.join, 5)
        receiver.close()
