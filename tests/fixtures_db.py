"""Database fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is the server at TEST_POSTGRES_ADMIN_URL (default: the local one, trust auth); each test session
creates its own databases there and drops them afterwards. Where there is no server the PostgreSQL half is
skipped with the reason, unless GAVEURS_REQUIRE_POSTGRES=1 (CI), which makes it a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from gaveurs.db.migrate import upgrade
from gaveurs.db.session import make_engine
from gaveurs.farm.generator import FarmData, generate_farm
from gaveurs.farm.loader import load_farm
from gaveurs.farm.truths import PlantedTruths

ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@cache
def _postgres_error() -> str | None:
    """Why the server can't be used, or None; asked once per test session."""
    try:
        with psycopg.connect(_libpq(ADMIN_URL), connect_timeout=3):
            return None
    except psycopg.OperationalError as error:
        return str(error).strip()


def postgres_or_skip() -> None:
    """Skip the calling test without a PostgreSQL server (fail instead under GAVEURS_REQUIRE_POSTGRES=1)."""
    error = _postgres_error()
    if error is None:
        return
    reason = f"PostgreSQL not reachable at {make_url(ADMIN_URL).render_as_string()}: {error}"
    if os.environ.get("GAVEURS_REQUIRE_POSTGRES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def make_postgres_database() -> str:
    """A fresh, empty database with a random name on the test server; returns its SQLAlchemy URL."""
    name = f"gaveurs_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    """Drop a database made by make_postgres_database, even with sessions still connected to it."""
    name = make_url(url).database
    with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
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


@pytest.fixture(scope="session")
def small_truths(small_farm: FarmData) -> PlantedTruths:
    return small_farm.truths


class LoadedFarms:
    """One database per backend holding the small farm, built on first use and shared by the session."""

    def __init__(self, farm: FarmData, root: Path) -> None:
        self.farm = farm
        self.root = root
        self.urls: dict[str, str] = {}
        self.postgres_databases: list[str] = []

    def url(self, backend: str) -> str:
        if backend not in self.urls:
            if backend == "sqlite":
                url = f"sqlite:///{self.root / f'small-farm-{uuid.uuid4().hex[:8]}.db'}"
            else:
                postgres_or_skip()
                url = make_postgres_database()
                self.postgres_databases.append(url)
            upgrade(url)
            engine = make_engine(url)
            try:
                load_farm(engine, self.farm)
            finally:
                engine.dispose()
            self.urls[backend] = url
        return self.urls[backend]

    def close(self) -> None:
        for url in self.postgres_databases:
            drop_postgres_database(url)


@pytest.fixture(scope="session")
def loaded_farms(small_farm: FarmData, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedFarms]:
    farms = LoadedFarms(small_farm, tmp_path_factory.mktemp("farm"))
    try:
        yield farms
    finally:
        farms.close()


@pytest.fixture(params=BACKENDS)
def farm_engine(request: pytest.FixtureRequest, loaded_farms: LoadedFarms) -> Iterator[Engine]:
    """The small farm on each backend, loaded once per session: read it, don't write to it.

    A test that writes takes `database_url` and loads its own copy.
    """
    if request.param == "postgres":
        postgres_or_skip()
    engine = make_engine(loaded_farms.url(request.param))
    try:
        yield engine
    finally:
        engine.dispose()
