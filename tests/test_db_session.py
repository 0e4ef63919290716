"""Database engines: a worker's pool holds at least as many connections as it runs activities at once."""

from __future__ import annotations

from sqlalchemy.pool import QueuePool

from gaveurs.db.session import make_engine
from gaveurs.settings import get_settings
from tests.fixtures_db import ADMIN_URL, postgres_or_skip
from workers.registry import MAX_CONCURRENT_ACTIVITIES


def test_the_postgres_pool_is_not_smaller_than_any_queues_concurrency() -> None:
    postgres_or_skip()
    engine = make_engine(ADMIN_URL)
    try:
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        # Every concurrent activity may hold a connection while it works: none may wait for another's.
        assert pool.size() >= max(MAX_CONCURRENT_ACTIVITIES.values())
        assert pool.size() == get_settings().database_pool_size
    finally:
        engine.dispose()
