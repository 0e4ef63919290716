"""Engines and sessions; SQLite gets WAL and a busy timeout so workers and the API can share the file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from gaveurs.settings import get_settings


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str, *, pool_size: int | None = None, max_overflow: int | None = None) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    settings = get_settings()
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size if pool_size is not None else settings.database_pool_size,
        max_overflow=max_overflow if max_overflow is not None else settings.database_max_overflow,
    )


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def default_engine() -> Engine:
    return engine_for(get_settings().database_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    factory = sessionmaker(bind=engine or default_engine(), expire_on_commit=False)
    with factory() as session, session.begin():
        yield session
