"""What every notification activity needs: an outbox whose waits heartbeat and notice a cancel."""

from __future__ import annotations

from temporalio import activity

from activities.shared.progress import report
from gaveurs.db.session import default_engine
from gaveurs.notify.outbox import Outbox
from gaveurs.settings import get_settings


def cancellable_outbox(stage: str) -> Outbox:
    """An Outbox that, between messages and while waiting for a rate-limit token, heartbeats (so a cancel
    reaches this activity) and stops when the task was cancelled."""

    def should_stop() -> bool:
        report(50, stage)
        return activity.is_cancelled()

    return Outbox.from_settings(get_settings(), default_engine(), should_stop=should_stop)
