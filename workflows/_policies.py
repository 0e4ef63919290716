"""Retry policies shared by workflows: errors retrying cannot fix are never retried."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from gaveurs.errors import NON_RETRYABLE_TYPES


def retry_policy(
    *, initial_s: float = 1.0, maximum_s: float = 60.0, attempts: int = 5, backoff: float = 2.0
) -> RetryPolicy:
    return RetryPolicy(
        initial_interval=timedelta(seconds=initial_s),
        backoff_coefficient=backoff,
        maximum_interval=timedelta(seconds=maximum_s),
        maximum_attempts=attempts,
        non_retryable_error_types=NON_RETRYABLE_TYPES,
    )


# Database reads: quick, and a lost connection is worth a few quick retries.
DB_READ = retry_policy(initial_s=0.5, maximum_s=10.0, attempts=5)
