"""Alembic environment: URL from the config set by gaveurs.db.migrate, batch mode for SQLite ALTERs."""

from __future__ import annotations

from alembic import context

from gaveurs.db.models import Base
from gaveurs.db.session import make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "gaveurs.db.migrate sets sqlalchemy.url"

engine = make_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
