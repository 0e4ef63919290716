"""What the export workflows share: naming this run, and leaving nothing behind when it does not finish."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.exports.cleanup import discard_export_run
    from gaveurs.contracts.export_runs import ExportRun
    from gaveurs.task_ids import format_task_id
    from workflows._options import DB_WRITE, execute

ResultT = TypeVar("ResultT")


def this_run() -> ExportRun:
    """This run's files: filed under the API's task id, named after the run, stamped with the workflow's clock."""
    info = workflow.info()
    return ExportRun(
        task_id=format_task_id(info.workflow_id, info.run_id),
        run_id=info.run_id,
        generated_at=workflow.now(),
    )


async def discard_run(run: ExportRun) -> None:
    await execute(discard_export_run, run, DB_WRITE)


async def publishing(run: ExportRun, steps: Awaitable[ResultT]) -> ResultT:
    """Await the steps that publish this run's files; if they end any other way than success (a cancel, a
    failure), delete whatever the run published or staged before letting the outcome through.

    A cancelled activity reaches the workflow as an ActivityError whose cause is a CancelledError, not as an
    asyncio.CancelledError, hence the broad catch.
    """
    try:
        return await steps
    except BaseException:
        await discard_run(run)
        raise


def failure_text(error: BaseException) -> str:
    """`Type: message` of the innermost cause, as the API's status answer shows failures."""
    cause: BaseException = error
    while isinstance(cause, FailureError) and cause.cause is not None:
        cause = cause.cause
    kind = cause.type if isinstance(cause, ApplicationError) and cause.type else type(cause).__name__
    message = cause.message if isinstance(cause, FailureError) else str(cause)
    return f"{kind}: {message}"
