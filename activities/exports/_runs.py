"""What every export activity wraps around the plain export functions: their context, progress and pauses.

Not an activity module (the leading underscore keeps the registry out): the activities next to it call
`export_context(request.run)` and hand the result to the functions of `gaveurs.exports`.
"""

from __future__ import annotations

from temporalio import activity

from activities.shared.progress import report
from gaveurs.artifacts import open_store
from gaveurs.contracts.export_runs import ExportRun
from gaveurs.db.session import default_engine
from gaveurs.exports.context import ExportContext
from gaveurs.faults import pause_point
from gaveurs.settings import get_settings

SAVING = "enregistrement du fichier"


def export_context(run: ExportRun) -> ExportContext:
    """The context of this run's files, reporting progress as heartbeats.

    Before each file is published the activity heartbeats once more (a cancel that arrived during the render
    lands there, before anything is visible) and passes the fault-injection point `<activity type>.before_store`
    (inert unless FAULT_PAUSES names it), where tests cancel a task or stop its worker.
    """
    last = [0]

    def on_progress(percent: int, stage: str) -> None:
        last[0] = percent
        report(percent, stage)

    def before_publish() -> None:
        pause_point(f"{activity.info().activity_type}.before_store", lambda: report(last[0], SAVING))
        report(last[0], SAVING)

    settings = get_settings()
    return ExportContext(
        engine=default_engine(),
        store=open_store(settings),
        settings=settings,
        task_id=run.task_id,
        run_id=run.run_id,
        generated_at=run.generated_at,
        on_progress=on_progress,
        before_publish=before_publish,
    )
