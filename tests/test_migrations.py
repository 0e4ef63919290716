"""Alembic migrations run both ways on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from gaveurs.db.migrate import downgrade, upgrade
from gaveurs.db.models import Base
from gaveurs.db.session import make_engine


def test_upgrade_creates_every_table_and_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        assert set(Base.metadata.tables) <= set(inspect(connection).get_table_names())
        drift = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert drift == [], f"models and migrations disagree: {drift}"


def test_downgrade_then_upgrade_again(database_url: str) -> None:
    downgrade(database_url, "base")
    engine = make_engine(database_url)
    with engine.connect() as connection:
        assert not set(Base.metadata.tables) & set(inspect(connection).get_table_names())
    engine.dispose()
    upgrade(database_url)
    upgrade(database_url)  # idempotent at head
