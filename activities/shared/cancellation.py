"""Side effects and cancellation: once a provider has taken a message, a cancel must not pretend otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio import activity
from temporalio.exceptions import CancelledError


@contextmanager
def complete_once_started() -> Iterator[None]:
    """For sync activities: hold a cancel off while the block runs, and let the activity complete if it did.

    Before the block a cancel stops the activity as usual (nothing was done). Inside it the SDK delays the
    cancel; if the block then finished (the message went), the delayed cancel is swallowed so the activity
    reports what really happened instead of "cancelled". If the block raised, its own error propagates.
    """
    finished = False
    try:
        with activity.shield_thread_cancel_exception():
            yield
            finished = True
    except CancelledError:
        if not finished:
            raise
        activity.logger.info("cancel arrived while sending; the message went, so the task completes")
