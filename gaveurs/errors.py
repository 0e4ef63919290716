"""Failure types a user can act on.

Activities raise them as non-retryable `ApplicationError`s whose `type` is the class name, so the API can show
`"LotNotFound: lot 999999 not found"` instead of a retried stack trace.
"""

from __future__ import annotations

from temporalio.exceptions import ApplicationError


class _NonRetryable:
    """Builds a non-retryable ApplicationError typed with the subclass name."""

    @classmethod
    def error(cls, message: str, **details: object) -> ApplicationError:
        return ApplicationError(message, details or None, type=cls.__name__, non_retryable=True)


class LotNotFound(_NonRetryable):
    pass


class SiteNotFound(_NonRetryable):
    pass


class InsufficientData(_NonRetryable):
    pass


class InvalidPhoneNumber(_NonRetryable):
    pass


class SmsRejected(_NonRetryable):
    pass


class EngineUnavailable(_NonRetryable):
    pass


class InvalidFeedingBounds(_NonRetryable):
    """Feeding-curve bounds no curve can meet (e.g. a corn total out of reach under the dose cap)."""


class InvalidDateRange(_NonRetryable):
    """date_debut after date_fin, or a window longer than a task accepts."""


class NoLotToPlan(_NonRetryable):
    """No lot finishes its feeding (or waits for slaughter) in the requested window."""


class InsufficientCapacity(_NonRetryable):
    """The slaughterhouses cannot take the lots within their time windows; the message names the day."""


NON_RETRYABLE_TYPES: list[str] = [
    c.__name__
    for c in (
        LotNotFound,
        SiteNotFound,
        InsufficientData,
        InvalidPhoneNumber,
        SmsRejected,
        EngineUnavailable,
        InvalidFeedingBounds,
        InvalidDateRange,
        NoLotToPlan,
        InsufficientCapacity,
    )
]
