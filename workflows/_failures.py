"""How a failed activity or child task reads in a result that reports several outcomes: `Type: message`."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError, CancelledError, FailureError


def failure_text(error: BaseException) -> str:
    """The innermost cause, as the status answer shows it: `SiteNotFound: site ZZ not found`."""
    cause: BaseException = error
    while isinstance(cause, FailureError) and cause.cause is not None:
        cause = cause.cause
    if isinstance(cause, ApplicationError):
        return f"{cause.type or 'ApplicationError'}: {cause.message}"
    if isinstance(cause, FailureError):
        return f"{type(cause).__name__}: {cause.message}"
    return f"{type(cause).__name__}: {cause}"


def was_cancelled(error: BaseException) -> bool:
    cause: BaseException | None = error
    while isinstance(cause, FailureError):
        if isinstance(cause, CancelledError):
            return True
        cause = cause.cause
    return False
