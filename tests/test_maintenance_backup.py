"""backup_database_task: real pg_dump / SQLite backups, restored into fresh databases and compared."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select, text
from sqlalchemy.engine import make_url
from temporalio.exceptions import ApplicationError

from gaveurs.db.migrate import upgrade
from gaveurs.db.models import Lot
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm.generator import FarmData
from gaveurs.maintenance.backup import (
    BackupFailed,
    backup_database,
    backup_file_name,
    discard_backup_run,
    list_backups,
    pg_invocation,
    restore_backup,
    verify_backup,
)
from tests.fixtures_db import drop_postgres_database, make_postgres_database, postgres_or_skip
from tests.maintenance_support import loaded_engine

DAY = datetime(2026, 11, 1, 3, tzinfo=UTC)


@pytest.fixture
def farm_url(database_url: str, small_farm: FarmData) -> str:
    loaded_engine(database_url, small_farm).dispose()
    return database_url


@pytest.fixture
def sqlite_farm_url(tmp_path: Path, small_farm: FarmData) -> str:
    """For what does not depend on the backend (file rotation) or is SQLite's alone."""
    url = f"sqlite:///{tmp_path / 'farm.db'}"
    upgrade(url)
    loaded_engine(url, small_farm).dispose()
    return url


@pytest.fixture
def fresh_url(farm_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same backend (no schema: the restore brings it)."""
    if farm_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'farm.db'}"
        return
    url = make_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


def contents(url: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of all its rows in primary-key order."""
    engine = make_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        found = {}
        with engine.connect() as connection:
            for table in metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                rows = connection.execute(select(table).order_by(*order)).all()
                found[table.name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        return found
    finally:
        engine.dispose()


def test_backup_is_checksummed_verified_and_restores_into_a_fresh_database(
    farm_url: str, fresh_url: str, tmp_path: Path, small_farm: FarmData
) -> None:
    backups = tmp_path / "backups"
    result = backup_database(farm_url, backups, keep_daily=7, now=DAY)
    path = Path(result.backup.path)
    assert path.parent == backups and path.name.endswith("-20261101T030000Z" + path.suffix)
    assert result.backend == ("sqlite" if farm_url.startswith("sqlite") else "postgresql") and result.verified
    assert result.backup.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.backup.size_bytes == path.stat().st_size > 100_000
    assert (backups / f"{path.name}.sha256").read_text() == f"{result.backup.sha256}  {path.name}\n"
    assert result.kept == [path.name] and result.deleted == []
    assert not list(backups.glob(".tmp-*"))

    restored = restore_backup(path, fresh_url)
    assert restored.backend == result.backend
    assert restored.target == make_url(fresh_url).render_as_string(hide_password=True)
    original, copy = contents(farm_url), contents(fresh_url)
    assert copy == original
    assert copy["sensor_samples"][0] == small_farm.truths.counts["sensor_samples"]
    assert copy["alembic_version"][0] == 1
    engine = make_engine(fresh_url)
    try:
        with session_scope(engine) as session:  # the restored database is usable as it is
            lot = session.get(Lot, 3472)
            assert lot is not None and lot.statut == "abattu"
    finally:
        engine.dispose()


def test_rotation_keeps_the_most_recent_days_and_nothing_else_is_touched(
    sqlite_farm_url: str, tmp_path: Path
) -> None:
    farm_url = sqlite_farm_url
    backups = tmp_path / "backups"
    backups.mkdir()
    foreign = [backups / "notes.txt", backups / "other-20200101T000000Z.sqlite3", backups / "farm.db"]
    for path in foreign:
        path.write_text("not ours")
    names = []
    for day in range(5):
        result = backup_database(farm_url, backups, keep_daily=3, now=DAY + timedelta(days=day))
        names.append(Path(result.backup.path).name)
        assert result.deleted == (names[day - 3 : day - 2] if day >= 3 else [])
    # A second backup the same day counts as the same day.
    extra = backup_database(farm_url, backups, keep_daily=3, now=DAY + timedelta(days=4, hours=9))
    assert extra.deleted == [] and extra.kept == [*names[2:], Path(extra.backup.path).name]
    assert [p.name for p in list_backups(backups, "farm")] == extra.kept
    assert sorted(p.name for p in backups.glob("*.sha256")) == sorted(f"{n}.sha256" for n in extra.kept)
    for path in foreign:
        assert path.read_text() == "not ours"


def test_a_damaged_backup_is_refused(farm_url: str, tmp_path: Path, fresh_url: str) -> None:
    backups = tmp_path / "backups"
    path = Path(backup_database(farm_url, backups, keep_daily=2, now=DAY).backup.path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    for attempt in (lambda: verify_backup(path), lambda: restore_backup(path, fresh_url)):
        with pytest.raises(ApplicationError) as raised:
            attempt()
        assert raised.value.type == "BackupCorrupted" and raised.value.non_retryable
        assert "sha256" in str(raised.value)
    (backups / f"{path.name}.sha256").unlink()
    with pytest.raises(ApplicationError, match="no checksum"):
        verify_backup(path)
    with pytest.raises(ApplicationError) as missing:
        verify_backup(backups / "farm-20990101T000000Z.sqlite3")
    assert missing.value.type == "BackupNotFound"


def test_the_password_travels_in_the_environment_never_in_argv() -> None:
    invocation = pg_invocation("postgresql+psycopg://gaveurs:s3cr%40t@db.internal:5433/farm?sslmode=require")
    assert "s3cr" not in invocation.conninfo
    assert invocation.env["PGPASSWORD"] == "s3cr@t"
    for part in ("host=db.internal", "port=5433", "user=gaveurs", "dbname=farm", "sslmode=require"):
        assert part in invocation.conninfo
    assert "PGPASSWORD" not in pg_invocation("postgresql+psycopg://gaveurs@db/farm").env


def test_a_missing_pg_dump_is_a_clear_non_retryable_error(tmp_path: Path) -> None:
    with pytest.raises(ApplicationError) as raised:
        backup_database(
            "postgresql+psycopg://postgres@127.0.0.1:5432/farm",
            tmp_path,
            keep_daily=1,
            pg_dump="pg_dump-not-installed",
        )
    assert raised.value.type == "BackupToolMissing" and raised.value.non_retryable


@pytest.mark.postgres
def test_a_failing_dump_is_retryable_and_leaves_no_file(tmp_path: Path) -> None:
    postgres_or_skip()
    url = make_postgres_database()
    drop_postgres_database(url)  # a server that answers, a database that does not exist
    with pytest.raises(BackupFailed, match="does not exist"):
        backup_database(url, tmp_path, keep_daily=1)
    assert list(tmp_path.iterdir()) == []


def test_sqlite_backup_holds_committed_wal_pages_and_no_uncommitted_ones(
    sqlite_farm_url: str, tmp_path: Path
) -> None:
    engine = make_engine(sqlite_farm_url)
    try:
        with engine.connect() as writer:
            # Committed but still in the -wal file (the open connection prevents the closing checkpoint):
            # copying the .db file alone would miss it.
            writer.execute(text("DELETE FROM consumer_feedbacks WHERE id = 1"))
            writer.commit()
            expected = contents(sqlite_farm_url)["consumer_feedbacks"]
            writer.execute(text("DELETE FROM consumer_feedbacks"))  # uncommitted while the backup runs
            result = backup_database(sqlite_farm_url, tmp_path / "backups", keep_daily=1, now=DAY)
            writer.rollback()
        assert Path(sqlite_farm_url.removeprefix("sqlite:///") + "-wal").stat().st_size > 0
        restored = f"sqlite:///{tmp_path / 'restored.db'}"
        restore_backup(Path(result.backup.path), restored)
        assert contents(restored)["consumer_feedbacks"] == expected
        assert expected[0] == contents(sqlite_farm_url)["consumer_feedbacks"][0] > 0
    finally:
        engine.dispose()


def test_a_run_tag_marks_the_temporaries_and_a_discard_removes_that_run_only(
    sqlite_farm_url: str, tmp_path: Path
) -> None:
    backups = tmp_path / "backups"
    progress: list[tuple[int, str]] = []
    result = backup_database(
        sqlite_farm_url,
        backups,
        keep_daily=3,
        now=DAY,
        run_tag="run1",
        on_progress=lambda p, s: progress.append((p, s)),
    )
    assert (
        Path(result.backup.path).name
        == backup_file_name(sqlite_farm_url, DAY)
        == "farm-20261101T030000Z.sqlite3"
    )
    assert [p for p, _ in progress] == sorted(p for p, _ in progress) and progress[-1][0] == 100
    other = backup_database(sqlite_farm_url, backups, keep_daily=3, now=DAY + timedelta(hours=1))
    # What a killed attempt leaves: its tagged temporary, beside another run's.
    (backups / ".tmp-run1-0123abcd.sqlite3").write_bytes(b"half")
    (backups / ".tmp-run2-4567ef01.sqlite3").write_bytes(b"half")

    assert discard_backup_run(sqlite_farm_url, backups, now=DAY, run_tag="run1", finished_too=False) == [
        ".tmp-run1-0123abcd.sqlite3"
    ]
    assert Path(result.backup.path).exists()
    removed = discard_backup_run(sqlite_farm_url, backups, now=DAY, run_tag="run1", finished_too=True)
    assert sorted(removed) == ["farm-20261101T030000Z.sqlite3", "farm-20261101T030000Z.sqlite3.sha256"]
    assert sorted(p.name for p in backups.iterdir()) == sorted(
        [Path(other.backup.path).name, Path(other.backup.path).name + ".sha256", ".tmp-run2-4567ef01.sqlite3"]
    )
    with pytest.raises(ValueError, match="run tag"):
        discard_backup_run(sqlite_farm_url, backups, now=DAY, run_tag="../x", finished_too=False)
