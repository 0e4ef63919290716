"""Failure types a user can act on.

Activities raise them as non-retryable `ApplicationError`s whose `type` is the class name, so the API can show
`"LotNotFound: lot 999999 not found"` instead of a retried stack trace.
"""

from __future__ import annotations

from datetime import timedelta

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


NON_RETRYABLE_TYPES: list[str] = [
    c.__name__
    for c in (
        LotNotFound, SiteNotFound, InsufficientData, InvalidPhoneNumber, SmsRejected, EngineUnavailable,
        InvalidEmailAddress, EmailRejected, FeedbackNotFound, LotNotFinished, IdempotencyKeyReused,
        NotificationUndeliverable,
    )
]  # fmt: skip


class _Retryable:
    """Builds a retryable ApplicationError typed with the subclass name; the retry policy's backoff applies
    unless the provider said when to come back (`next_retry_delay`, e.g. from a Retry-After header)."""

    @classmethod
    def error(
        cls, message: str, *, next_retry_delay: timedelta | None = None, **details: object
    ) -> ApplicationError:
        return ApplicationError(
            message, details or None, type=cls.__name__, next_retry_delay=next_retry_delay
        )


class TwilioUnavailable(_Retryable):
    """Twilio answered 429/5xx, timed out or could not be reached."""


class SmtpUnavailable(_Retryable):
    """The mail server answered 4xx, timed out or could not be reached."""


class RateLimitWaitTimeout(_Retryable):
    """No send token came free before the caller's deadline."""


class NotificationIncomplete(_Retryable):
    """Some recipients hit a temporary failure: a retry sends only to them (the others are in the ledger)."""
