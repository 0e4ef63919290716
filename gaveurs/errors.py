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


class InvalidIsoWeek(_NonRetryable):
    pass


class BackupToolMissing(_NonRetryable):
    pass


class BackupCorrupted(_NonRetryable):
    pass


class BackupNotFound(_NonRetryable):
    pass


class ScheduleNotFound(_NonRetryable):
    pass


class InvalidBackfillRange(_NonRetryable):
    pass


NON_RETRYABLE_TYPES: list[str] = [
    c.__name__
    for c in (
        LotNotFound,
        SiteNotFound,
        InsufficientData,
        InvalidPhoneNumber,
        SmsRejected,
        EngineUnavailable,
        InvalidIsoWeek,
        BackupToolMissing,
        BackupCorrupted,
        BackupNotFound,
        ScheduleNotFound,
        InvalidBackfillRange,
    )
]
