"""The demo farm in SQLite, loaded once per session for the ML quality tests (read it, don't write to it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from gaveurs.db.migrate import upgrade
from gaveurs.db.session import make_engine
from gaveurs.farm.generator import FarmData, generate_farm
from gaveurs.farm.loader import load_farm


@pytest.fixture(scope="session")
def demo_farm_data() -> FarmData:
    return generate_farm("demo")


@pytest.fixture(scope="session")
def demo_engine(demo_farm_data: FarmData, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo-farm.db'}"
    upgrade(url)
    engine = make_engine(url)
    load_farm(engine, demo_farm_data)
    try:
        yield engine
    finally:
        engine.dispose()
