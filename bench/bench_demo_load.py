"""`python -m bench.bench_demo_load`: how long the demo farm takes to generate and to load, per backend.

Loads into a temporary SQLite file and into a fresh PostgreSQL database (created on the server at
TEST_POSTGRES_ADMIN_URL or --postgres-admin-url, dropped afterwards), and prints seconds and rows/s.
Nothing here asserts: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
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


def load_once(url: str, data: FarmData) -> tuple[float, float]:
    """Seconds to migrate, then seconds to load (COPY/executemany plus ANALYZE)."""
    began = time.perf_counter()
    upgrade(url)
    migrated = time.perf_counter() - began
    engine = make_engine(url)
    try:
        return migrated, load_farm(engine, data).seconds
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_demo_load", description=__doc__)
    parser.add_argument("--size", choices=["demo", "small"], default="demo")
    parser.add_argument(
        "--postgres-admin-url", default=os.environ.get("TEST_POSTGRES_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()

    began = time.perf_counter()
    data = generate_farm(args.size)
    generated = time.perf_counter() - began
    rows = sum(data.truths.counts.values())
    print(f"{args.size} farm: {rows:,} rows ({data.truths.counts['sensor_samples']:,} SQAL samples)")
    print(f"generated in {generated:.2f}s")

    with tempfile.TemporaryDirectory(prefix="gaveurs-bench-") as tmp:
        migrated, loaded = load_once(f"sqlite:///{Path(tmp) / 'farm.db'}", data)
        print(
            f"SQLite     : load {loaded:6.2f}s  {rows / loaded:>10,.0f} rows/s  (migrations {migrated:.2f}s)"
        )

    if args.skip_postgres:
        return
    name = f"gaveurs_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(args.postgres_admin_url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(args.postgres_admin_url).set(database=name).render_as_string(hide_password=False)
        migrated, loaded = load_once(url, data)
        print(
            f"PostgreSQL : load {loaded:6.2f}s  {rows / loaded:>10,.0f} rows/s  (migrations {migrated:.2f}s)"
        )
    finally:
        with psycopg.connect(_libpq(args.postgres_admin_url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
