"""What the notification activities share: heartbeats that let a cancel in, up to the provider call only.

A message is either not sent or sent and recorded, whatever the timing of a cancel: the wait for a send slot
(the shared rate limit) and the moment before the provider call heartbeat, so a cancel stops the activity
there; the provider call and the ledger update run under `complete_once_started`, so a cancel arriving then
waits for them and the activity reports what really happened.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import activity
from temporalio.exceptions import CancelledError

from activities.shared.cancellation import complete_once_started
from activities.shared.progress import report
from gaveurs.db.session import default_engine
from gaveurs.faults import pause_point
from gaveurs.notify.outbox import Outbox
from gaveurs.settings import get_settings

# Of an attempt's start-to-close timeout, what the provider call itself may need: the rest may go to waiting
# for a send slot. A longer wait fails the attempt as RateLimitWaitTimeout (retried later, slot not booked)
# instead of being cut by the timeout with a slot booked for nothing.
ROOM_TO_SEND_S = 20.0


def should_stop(percent: int, stage: str) -> Callable[[], bool]:
    """Asked about every 0.2 s while a send slot is awaited and between messages: heartbeats, and raises
    CancelledError once the task is cancelled (the SDK then reports the activity cancelled, nothing sent)."""

    def check() -> bool:
        report(percent, stage)  # a heartbeat: it is how a cancel reaches this thread
        if activity.is_cancelled():
            raise CancelledError("cancelled before the message was handed to the provider")
        return False

    return check


def slot_wait_limit() -> float:
    """The longest this attempt may wait for a send slot."""
    timeout = activity.info().start_to_close_timeout
    if timeout is None:
        return 60.0
    return max(1.0, timeout.total_seconds() - ROOM_TO_SEND_S)


def last_chance_to_stop(point: str, percent: int, stage: str) -> Callable[[], None]:
    """Runs just before the provider call: a named fault pause (tests), then a heartbeat, where a cancel
    raises CancelledError before anything is sent."""

    def check() -> None:
        pause_point(point, lambda: report(percent, stage))
        report(percent, stage)

    return check


def outbox(point: str, percent: int, stage: str) -> Outbox:
    """An Outbox wired to this activity: cancellable until a provider call starts, never during it."""
    return Outbox.from_settings(
        get_settings(),
        default_engine(),
        should_stop=should_stop(percent, stage),
        max_wait_s=slot_wait_limit(),
        before_send=last_chance_to_stop(point, percent, stage),
        while_sending=complete_once_started,
    )
