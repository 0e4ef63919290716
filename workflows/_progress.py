"""Progress every workflow exposes through the `progress` query.

The workflow moves through stages, each owning a band of the 0–100 scale; a long activity reports its own
0–100 through the `report_progress` signal and the workflow maps it into the current band.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from gaveurs.contracts.progress import Progress, ProgressUpdate


class ProgressTracking:
    def __init__(self) -> None:
        self._progress = Progress(progress=0, stage="en attente d'un worker")
        self._band = (0, 100)

    def stage(self, stage: str, start: int, end: int | None = None) -> None:
        """Enter a stage covering [start, end] of the overall progress."""
        self._band = (start, end if end is not None else start)
        self._progress = Progress(progress=start, stage=stage, updated_at=workflow.now())

    def finish(self, stage: str = "terminé") -> None:
        self._progress = Progress(progress=100, stage=stage, updated_at=workflow.now())

    @workflow.query(name="progress")
    def progress(self) -> Progress:
        return self._progress

    @workflow.signal(name="report_progress")
    def report_progress(self, update: ProgressUpdate) -> None:
        start, end = self._band
        overall = start + (end - start) * update.progress // 100
        # Signals can arrive late or out of order; progress never goes backwards.
        if overall >= self._progress.progress:
            self._progress = Progress(progress=overall, stage=update.stage, updated_at=workflow.now())
