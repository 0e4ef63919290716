"""Temporary demo-farm databases for the export benchmarks: a SQLite file and a PostgreSQL database."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from gaveurs.db.migrate import upgrade
from gaveurs.db.session import make_engine
from gaveurs.farm.generator import FarmData, generate_farm
from gaveurs.farm.loader import load_farm

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _load(url: str, farm: FarmData) -> float:
    upgrade(url)
    engine = make_engine(url)
    try:
        began = time.perf_counter()
        load_farm(engine, farm)
        return time.perf_counter() - began
    finally:
        engine.dispose()


@contextlib.contextmanager
def demo_database(backend: str, directory: Path, admin_url: str = DEFAULT_ADMIN_URL) -> Iterator[str]:
    """A migrated database holding the demo farm; the PostgreSQL one is dropped afterwards."""
    farm = generate_farm("demo")
    if backend == "sqlite":
        url = f"sqlite:///{directory / 'demo-farm.db'}"
        print(f"demo farm loaded into SQLite in {_load(url, farm):.1f}s", flush=True)
        yield url
        return
    name = f"gaveurs_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(admin_url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        print(f"demo farm loaded into PostgreSQL in {_load(url, farm):.1f}s", flush=True)
        yield url
    finally:
        with psycopg.connect(_libpq(admin_url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
