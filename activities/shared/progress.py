"""Heartbeats that also tell the workflow how far along the activity is (throttled signals)."""

from __future__ import annotations

import time

from temporalio import activity
from temporalio.service import RPCError

from gaveurs.contracts.progress import ProgressUpdate


class ProgressReporter:
    """For async activities: `activity.client()` exists only there."""

    def __init__(self, *, min_interval_s: float = 1.0) -> None:
        self._min_interval_s = min_interval_s
        self._last_signal = 0.0
        self._last_percent = -1

    async def report(self, percent: int, stage: str, *details: object) -> None:
        activity.heartbeat(*details)
        now = time.monotonic()
        if percent == self._last_percent or (
            now - self._last_signal < self._min_interval_s and percent < 100
        ):
            return
        self._last_signal, self._last_percent = now, percent
        info = activity.info()
        assert info.workflow_id, "progress is reported by workflow activities only"
        handle = activity.client().get_workflow_handle(info.workflow_id, run_id=info.workflow_run_id)
        try:
            await handle.signal("report_progress", ProgressUpdate(progress=percent, stage=stage))
        except RPCError as error:
            # Progress is informative: never fail the real work because the workflow could not be told.
            activity.logger.warning("progress signal not delivered: %s", error)
