"""Sends per second per provider, held across every worker process: a token bucket kept in the database.

Each taker locks the bucket's row for one short transaction (`SELECT … FOR UPDATE` on PostgreSQL,
`BEGIN IMMEDIATE` on SQLite), refills it for the time elapsed, and takes the next token. When none is left it
still takes one — the bucket goes below zero — which books the next free slot: the taker then sleeps until
its slot comes, outside any transaction, checking whether it should stop. Takers are served in the order
they asked, with no polling of the database, and slots are never handed out twice. A taker that stops early
forfeits its slot: the rate can only come out lower, never higher.

Time is the database server's clock on PostgreSQL (workers on several hosts agree on it) and the local
clock on SQLite (one host by nature).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gaveurs.db.models import RateLimitBucket
from gaveurs.errors import RateLimitWaitTimeout
from gaveurs.settings import Settings

POLL_S = 0.2  # how often a sleeping taker asks whether it should stop


class WaitInterrupted(Exception):
    """`should_stop` said yes while waiting for a token (e.g. the activity was cancelled)."""


@dataclass(frozen=True)
class Bucket:
    name: str
    per_second: float  # 0 or less: no limit
    burst: int = 1  # tokens that may pile up while idle, so a quiet provider takes a short burst at once

    @classmethod
    def sms(cls, settings: Settings) -> Bucket:
        return cls("sms", settings.sms_per_second, settings.sms_burst)

    @classmethod
    def email(cls, settings: Settings) -> Bucket:
        return cls("email", settings.emails_per_second, settings.email_burst)


def take_token(
    engine: Engine,
    bucket: Bucket,
    *,
    should_stop: Callable[[], bool] | None = None,
    max_wait_s: float | None = None,
) -> float:
    """Block until `bucket` grants one send; returns the seconds waited.

    `should_stop` is called about every 0.2 s while waiting (the activity layer heartbeats there and answers
    whether it was cancelled); a yes raises WaitInterrupted. When the next free slot is more than
    `max_wait_s` away no slot is booked and a retryable RateLimitWaitTimeout is raised instead.
    """
    if bucket.per_second <= 0:
        return 0.0
    if should_stop is not None and should_stop():
        raise WaitInterrupted(f"stopped before taking a {bucket.name} token")
    wait = _book_slot(engine, bucket, max_wait_s)
    ends = time.monotonic() + wait
    while (remaining := ends - time.monotonic()) > 0:
        if should_stop is not None and should_stop():
            raise WaitInterrupted(f"stopped while waiting {remaining:.1f}s more for a {bucket.name} token")
        time.sleep(min(POLL_S, remaining))
    return wait


def _book_slot(engine: Engine, bucket: Bucket, max_wait_s: float | None) -> float:
    """Take the bucket's next token in one locked transaction; seconds until it may be used."""
    with engine.connect() as connection:
        postgres = engine.dialect.name == "postgresql"
        if not postgres:
            # Take SQLite's write lock now, not at the UPDATE: two readers must not both see the same tokens.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            _ensure_row(connection, bucket, postgres=postgres)
            tokens, refilled_at, now = _locked_state(connection, bucket, postgres=postgres)
            tokens = min(float(bucket.burst), tokens + max(0.0, now - refilled_at) * bucket.per_second)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / bucket.per_second
            if max_wait_s is not None and wait > max_wait_s:
                connection.rollback()
                raise RateLimitWaitTimeout.error(
                    f"the next {bucket.name} send slot is {wait:.1f}s away, more than the {max_wait_s:.1f}s "
                    f"allowed ({bucket.per_second:g}/s)"
                )
            connection.execute(
                update(RateLimitBucket)
                .where(RateLimitBucket.name == bucket.name)
                .values(tokens=tokens - 1, refilled_at=max(refilled_at, now))
            )
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
    return wait


def _server_clock() -> ColumnElement[Any]:
    return func.extract("epoch", func.clock_timestamp())


def _ensure_row(connection: Connection, bucket: Bucket, *, postgres: bool) -> None:
    insert: Any = postgres_insert if postgres else sqlite_insert
    connection.execute(
        insert(RateLimitBucket)
        .values(
            name=bucket.name,
            tokens=float(bucket.burst),
            refilled_at=_server_clock() if postgres else time.time(),
        )
        .on_conflict_do_nothing(index_elements=["name"])
    )


def _locked_state(connection: Connection, bucket: Bucket, *, postgres: bool) -> tuple[float, float, float]:
    if postgres:
        row = connection.execute(
            select(
                RateLimitBucket.tokens,
                RateLimitBucket.refilled_at,
                _server_clock(),
            )
            .where(RateLimitBucket.name == bucket.name)
            .with_for_update()
        ).one()
        return float(row[0]), float(row[1]), float(row[2])
    row = connection.execute(
        select(RateLimitBucket.tokens, RateLimitBucket.refilled_at).where(RateLimitBucket.name == bucket.name)
    ).one()
    return float(row[0]), float(row[1]), time.time()
