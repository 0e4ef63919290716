"""Database fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is the server at TEST_POSTGRES_ADMIN_URL (default: the local one, trust auth); each test session
creates its own databases there and drops them afterwards. Where there is no server the PostgreSQL half is
skipped with the reason, unless GAVEURS_REQUIRE_POSTGRES=1 (CI), which makes it a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from gaveurs.db.migrate import upgrade
from gaveurs.db.session import make_engine
from gaveurs.farm.generator import FarmData, generate_farm
from gaveurs.farm.loader import load_farm

ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_or_skip() -> None:
    try:
        with psycopg.connect(_libpq(ADMIN_URL), connect_timeout=3):
            pass
    except psycopg.OperationalError as error:
        reason = f"PostgreSQL not reachable at {make_url(ADMIN_URL).render_as_string()}: {error}".strip()
        if os.environ.get("GAVEURS_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " (GAVEURS_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)


def make_postgres_database() -> str:
    """A fresh, empty database on the test server; returns its SQLAlchemy URL."""
    name = f"gaveurs_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database migrated to head, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'farm.db'}"
        upgrade(url)
        yield url
        return
    postgres_or_skip()
    url = make_postgres_database()
    try:
        upgrade(url)
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def small_farm() -> FarmData:
    return generate_farm("small")


@pytest.fixture
def farm_engine(database_url: str, small_farm: FarmData) -> Iterator[Engine]:
    """The small farm loaded into each backend."""
    engine = make_engine(database_url)
    load_farm(engine, small_farm)
    try:
        yield engine
    finally:
        engine.dispose()
