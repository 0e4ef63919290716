"""The per-provider rate holds across worker processes, on SQLite and PostgreSQL, and waiting can be stopped."""

from __future__ import annotations

import multiprocessing
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

import pytest
from temporalio.exceptions import ApplicationError

from gaveurs.db.session import make_engine
from gaveurs.notify.rate_limit import Bucket, WaitInterrupted, take_token

PROCESSES, PER_PROCESS = 4, 8
BUCKET = Bucket("sms", per_second=10.0, burst=2)


def take_burst(database_url: str, barrier: Barrier, count: int, out: Queue[list[float]]) -> None:
    """One worker process: its own engine and connections, taking tokens as fast as it is allowed."""
    engine = make_engine(database_url)
    barrier.wait()
    granted = []
    for _ in range(count):
        take_token(engine, BUCKET)
        granted.append(time.time())
    engine.dispose()
    out.put(granted)


def test_a_burst_from_several_processes_keeps_the_rate(database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(PROCESSES), context.Queue()
    workers = [
        context.Process(target=take_burst, args=(database_url, barrier, PER_PROCESS, out))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
        assert worker.exitcode == 0
    grants = sorted(t for granted in results for t in granted)
    assert len(grants) == PROCESSES * PER_PROCESS
    # Any one-second window holds at most burst + rate grants. Slots are booked exactly; the slack of two
    # is for processes that wake late from their sleep on a busy machine and bunch up with the next one.
    # Without the shared bucket the four processes would take 40 a second (or all 32 at once).
    busiest = max(sum(1 for t in grants if start <= t < start + 1.0) for start in grants)
    assert busiest <= BUCKET.burst + BUCKET.per_second + 2, busiest
    # Over the whole burst the rate is the bucket's, neither more nor (much) less.
    span, ideal = grants[-1] - grants[0], (len(grants) - BUCKET.burst) / BUCKET.per_second
    assert ideal - 0.2 <= span <= ideal + 0.5, (span, ideal)


def test_waiting_for_a_token_stops_when_asked(database_url: str) -> None:
    engine = make_engine(database_url)
    slow = Bucket("slow", per_second=0.2, burst=1)
    assert take_token(engine, slow) == 0.0  # the full bucket's one token
    began = time.monotonic()
    with pytest.raises(WaitInterrupted):
        take_token(engine, slow, should_stop=lambda: time.monotonic() - began > 0.3)
    assert time.monotonic() - began < 1.0  # not the 5 s the slot was away


def test_a_slot_beyond_the_deadline_is_not_booked(database_url: str) -> None:
    engine = make_engine(database_url)
    bucket = Bucket("deadline", per_second=2.0, burst=1)
    take_token(engine, bucket)
    with pytest.raises(ApplicationError) as late:
        take_token(engine, bucket, max_wait_s=0.1)
    assert late.value.type == "RateLimitWaitTimeout" and not late.value.non_retryable
    # The refused taker booked nothing: the next one waits one interval (0.5 s), not two.
    waited = take_token(engine, bucket)
    assert 0.3 < waited <= 0.5


def test_no_limit_means_no_wait(database_url: str) -> None:
    engine = make_engine(database_url)
    unlimited = Bucket("none", per_second=0)
    assert all(take_token(engine, unlimited) == 0.0 for _ in range(50))
