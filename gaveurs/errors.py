"""Failure types a user can act on: the only place a failure `type` string is spelled.

Activities raise them as `ApplicationError`s whose `type` is the class name, so the API can show
`"LotNotFound: lot 999999 not found"` instead of a retried stack trace. Non-retryable ones end the task at
once (retrying cannot fix an unknown lot); retryable ones name a transient cause worth another attempt.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.exceptions import ApplicationError


class _NonRetryable:
    """Builds a non-retryable ApplicationError typed with the subclass name."""

    @classmethod
    def error(cls, message: str, **details: object) -> ApplicationError:
        return ApplicationError(message, details or None, type=cls.__name__, non_retryable=True)


class _Retryable:
    """Builds a retryable ApplicationError typed with the subclass name (a transient cause); the retry
    policy's backoff applies unless the provider said when to come back (`next_retry_delay`, e.g. from a
    Retry-After header)."""

    @classmethod
    def error(
        cls, message: str, *, next_retry_delay: timedelta | None = None, **details: object
    ) -> ApplicationError:
        return ApplicationError(
            message,
            details or None,
            type=cls.__name__,
            non_retryable=False,
            next_retry_delay=next_retry_delay,
        )


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


class ComputationFailed(_NonRetryable):
    """A deterministic computation raised: the same input would fail the same way on every attempt."""


class ComputationCrashed(_Retryable):
    """The process running a computation died (killed, out of memory): another attempt may well succeed."""


class TwilioUnavailable(_Retryable):
    pass


class InvalidFeedingBounds(_NonRetryable):
    """Feeding-curve bounds no curve can meet (e.g. a corn total out of reach under the dose cap)."""


class InvalidDateRange(_NonRetryable):
    """date_debut after date_fin, or a window longer than a task accepts."""


class NoLotToPlan(_NonRetryable):
    """No lot finishes its feeding (or waits for slaughter) in the requested window."""


class InsufficientCapacity(_NonRetryable):
    """The slaughterhouses cannot take the lots within their time windows; the message names the day."""


class EmptySelection(_NonRetryable):
    """The filters select nothing (no rows, no lots): there is no file worth writing."""


class SelectionTooLarge(_NonRetryable):
    """More lots than one batch export takes."""


class CertificateNotFound(_NonRetryable):
    pass


class ReportsFailed(_NonRetryable):
    """Every report of a multi-report task failed for good (the message gives each one's reason)."""


class LotNotCertifiable(_NonRetryable):
    """A certificate covers a slaughtered lot only: before that its records are still changing."""


class InvalidEmailAddress(_NonRetryable):
    pass


class EmailRejected(_NonRetryable):
    """The mail server refused the message for good (unknown mailbox, policy, wrong credentials…)."""


class FeedbackNotFound(_NonRetryable):
    pass


class LotNotFinished(_NonRetryable):
    pass


class IdempotencyKeyReused(_NonRetryable):
    """One idempotency key was used for two different messages: a bug in the caller, not a provider fault."""


class NotificationUndeliverable(_NonRetryable):
    """Every recipient of a notification failed for good (the result lists why, recipient by recipient)."""


class SmtpUnavailable(_Retryable):
    """The mail server answered 4xx, timed out or could not be reached."""


class RateLimitWaitTimeout(_Retryable):
    """No send token came free before the caller's deadline."""


class NotificationIncomplete(_Retryable):
    """Some recipients hit a temporary failure: a retry sends only to them (the others are in the ledger)."""


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


class TaskNotCatalogued(_NonRetryable):
    """A workflow names another task (a child to start) that this deployment does not catalogue."""


class DatabaseUnavailable(_Retryable):
    """The farm database refused or dropped the connection, or a lock wait timed out: worth another attempt."""


class BackupDumpFailed(_Retryable):
    """pg_dump/pg_restore or the SQLite copy failed (server gone, disk full…): the next attempt may succeed."""


# Derived, so a new failure type cannot be forgotten here (retry policies pass it to the server as well).
NON_RETRYABLE_TYPES: list[str] = sorted(c.__name__ for c in _NonRetryable.__subclasses__())
