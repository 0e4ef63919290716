"""Named activity-option presets, so each call says *what kind* of step it is instead of re-spelling options.

| preset        | for                                         | runs as  | cancel waits for the activity |
| ------------- | ------------------------------------------- | -------- | ----------------------------- |
| `DB_READ`     | sub-second reads and checks                  | local    | no (nothing to undo)          |
| `DB_WRITE`    | sub-second idempotent writes (history rows)  | local    | yes                           |
| `CPU_LONG`    | model fits in a child process, minutes       | activity | yes (the process is killed)   |
| `CPU_SHORT`   | model fits in a child process, seconds       | activity | yes                           |
| `RENDER`      | documents written to the artifact store      | activity | yes (no half file left)       |
| `SEND`        | messages handed to a provider                | activity | yes (nothing sent after)      |
| `CHECK`       | health probes that must not retry for long   | activity | no                            |

Errors a retry cannot fix (`gaveurs.errors`) are never retried, whatever the preset.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, TypeVar, overload

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityCancellationType

with workflow.unsafe.imports_passed_through():
    from gaveurs.errors import NON_RETRYABLE_TYPES

ArgT = TypeVar("ArgT")
ResultT = TypeVar("ResultT")


def retry_policy(
    *, initial_s: float = 1.0, maximum_s: float = 60.0, attempts: int = 5, backoff: float = 2.0
) -> RetryPolicy:
    return RetryPolicy(
        initial_interval=timedelta(seconds=initial_s),
        backoff_coefficient=backoff,
        maximum_interval=timedelta(seconds=maximum_s),
        maximum_attempts=attempts,
        non_retryable_error_types=NON_RETRYABLE_TYPES,
    )


@dataclass(frozen=True)
class ActivityPreset:
    start_to_close: timedelta
    retry: RetryPolicy
    # Across every attempt: a step that keeps failing ends the task instead of retrying for hours.
    schedule_to_close: timedelta | None = None
    # Only for remote activities: a silent worker (killed, hung) hands the step to another after this.
    heartbeat: timedelta | None = None
    cancellation: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL
    # Local activities run inside the workflow's worker: no task-queue round trip and fewer history events,
    # right for sub-second steps whose retries need no separate story.
    local: bool = False

    def with_attempts(self, attempts: int) -> ActivityPreset:
        return replace(self, retry=replace(self.retry, maximum_attempts=attempts))

    def with_timeouts(
        self, *, start_to_close: timedelta, schedule_to_close: timedelta | None = None
    ) -> ActivityPreset:
        return replace(
            self, start_to_close=start_to_close, schedule_to_close=schedule_to_close or self.schedule_to_close
        )


DB_READ = ActivityPreset(
    start_to_close=timedelta(seconds=30),
    schedule_to_close=timedelta(minutes=3),
    retry=retry_policy(initial_s=0.5, maximum_s=10.0, attempts=5),
    local=True,
)
DB_WRITE = replace(DB_READ, cancellation=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
CPU_LONG = ActivityPreset(
    start_to_close=timedelta(minutes=60),
    schedule_to_close=timedelta(hours=2),
    heartbeat=timedelta(seconds=10),
    # Only crashes are retried (a fit that raised is ComputationFailed, non-retryable); a retry resumes
    # from the checkpoint the last heartbeat carried.
    retry=retry_policy(initial_s=1.0, maximum_s=30.0, attempts=4),
    cancellation=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
)
CPU_SHORT = replace(CPU_LONG, start_to_close=timedelta(minutes=10), schedule_to_close=timedelta(minutes=30))
RENDER = ActivityPreset(
    start_to_close=timedelta(minutes=10),
    schedule_to_close=timedelta(minutes=30),
    heartbeat=timedelta(seconds=30),
    retry=retry_policy(initial_s=1.0, maximum_s=30.0, attempts=5),
    cancellation=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
)
SEND = ActivityPreset(
    start_to_close=timedelta(seconds=60),
    schedule_to_close=timedelta(hours=1),
    heartbeat=timedelta(seconds=20),
    retry=retry_policy(initial_s=2.0, maximum_s=60.0, attempts=6),
    cancellation=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
)
# A health check that retries for minutes hides the very outage it should report.
CHECK = ActivityPreset(
    start_to_close=timedelta(seconds=20),
    schedule_to_close=timedelta(seconds=60),
    retry=retry_policy(initial_s=0.5, maximum_s=2.0, attempts=2),
)


@overload
async def execute(
    activity: Callable[[ArgT], Awaitable[ResultT]], arg: ArgT, preset: ActivityPreset
) -> ResultT: ...


@overload
async def execute(activity: Callable[[ArgT], ResultT], arg: ArgT, preset: ActivityPreset) -> ResultT: ...


async def execute(activity: Callable[[Any], Any], arg: Any, preset: ActivityPreset) -> Any:
    """Run one activity with a preset's options (locally or on the workflow's queue, as the preset says)."""
    if preset.local:
        return await workflow.execute_local_activity(
            activity,
            arg,
            start_to_close_timeout=preset.start_to_close,
            schedule_to_close_timeout=preset.schedule_to_close,
            retry_policy=preset.retry,
            cancellation_type=preset.cancellation,
        )
    return await workflow.execute_activity(
        activity,
        arg,
        start_to_close_timeout=preset.start_to_close,
        schedule_to_close_timeout=preset.schedule_to_close,
        heartbeat_timeout=preset.heartbeat,
        retry_policy=preset.retry,
        cancellation_type=preset.cancellation,
    )
