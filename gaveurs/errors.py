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


class InvalidDateRange(_NonRetryable):
    """date_debut after date_fin, or a range longer than an export allows."""


class EmptySelection(_NonRetryable):
    """The filters select nothing (no rows, no lots): there is no file worth writing."""


class SelectionTooLarge(_NonRetryable):
    """More lots than one batch export takes."""


class CertificateNotFound(_NonRetryable):
    pass


class LotNotCertifiable(_NonRetryable):
    """A certificate covers a slaughtered lot only: before that its records are still changing."""


NON_RETRYABLE_TYPES: list[str] = [
    c.__name__
    for c in (
        LotNotFound,
        SiteNotFound,
        InsufficientData,
        InvalidPhoneNumber,
        SmsRejected,
        EngineUnavailable,
        InvalidDateRange,
        EmptySelection,
        SelectionTooLarge,
        CertificateNotFound,
        LotNotCertifiable,
    )
]
