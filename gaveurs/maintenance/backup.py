"""backup_database_task: consistent, checksummed, rotated backups of the farm database, and their restore.

- PostgreSQL: `pg_dump --format=custom` (one consistent snapshot of the whole database), verified with
  `pg_restore --list`; restored with `pg_restore --single-transaction`.
- SQLite: the online backup API (`sqlite3.Connection.backup`) copies the database in one step, so the copy is
  a consistent snapshot even while workers write (WAL); verified with `PRAGMA integrity_check`.

Files are `<database>-<UTC stamp>.pgdump|.sqlite3` in the backup directory, written under a temporary name
(`.tmp-<run tag>-…`, so the task that writes it can find and remove it when cancelled) and renamed once
complete, each with a `sha256sum`-style `<file>.sha256` beside it. pg_dump and pg_restore die with the
process that started them (Linux parent-death signal): killing the backup's process stops the dump. Rotation keeps the
backups of the `keep_daily` most recent days that have one and deletes older ones (files of other databases
and anything not named like a backup are never touched). The password travels in PGPASSWORD, never in argv.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import URL, make_url

from gaveurs.contracts.maintenance import BackupDatabaseResult, BackupFile, RestoreResult
from gaveurs.errors import BackupCorrupted, BackupNotFound, BackupToolMissing
from gaveurs.faults import pause_point
from gaveurs.maintenance._sql import ProgressCallback, no_progress, utc

Backend = Literal["postgresql", "sqlite"]
SUFFIXES: dict[Backend, str] = {"postgresql": ".pgdump", "sqlite": ".sqlite3"}
_NAME = re.compile(r"^(?P<label>[A-Za-z0-9_.-]+)-(?P<stamp>\d{8}T\d{6}Z)(?P<suffix>\.pgdump|\.sqlite3)$")
_STALE_TEMP = timedelta(days=1)


class BackupFailed(RuntimeError):
    """pg_dump/pg_restore or the SQLite copy failed; retrying may help (the server may be back)."""


@dataclass(frozen=True)
class PgInvocation:
    """How to point a PostgreSQL client at a database: a password-free conninfo and its environment."""

    conninfo: str
    env: dict[str, str]


def pg_invocation(database_url: str) -> PgInvocation:
    url = make_url(database_url)
    params = {key: str(value) for key, value in url.query.items() if isinstance(value, str)}
    conninfo = make_conninfo(
        "", host=url.host, port=url.port, user=url.username, dbname=url.database, **params
    )
    env = {key: value for key, value in os.environ.items() if key != "PGPASSWORD"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return PgInvocation(conninfo=conninfo, env=env)


def backend_of(url: URL) -> Backend:
    name = url.get_backend_name()
    if name == "postgresql":
        return "postgresql"
    if name == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError("an in-memory SQLite database cannot be backed up")
        return "sqlite"
    raise ValueError(f"backups are written for PostgreSQL and SQLite, not {name}")


def _label(url: URL, backend: Backend) -> str:
    raw = Path(str(url.database)).stem if backend == "sqlite" else str(url.database)
    return re.sub(r"[^A-Za-z0-9_.-]", "_", raw) or "database"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _dies_with(parent: int) -> Callable[[], None]:
    """Run in the forked tool before exec: SIGKILL it when `parent` dies (a cancelled backup kills it)."""

    def arrange() -> None:
        if sys.platform.startswith("linux"):
            pr_set_pdeathsig = 1
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
            if os.getppid() != parent:  # the parent died before the line above: nobody would signal us
                os._exit(1)

    return arrange


def _run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    tool = shutil.which(argv[0])
    if tool is None:
        raise BackupToolMissing.error(f"{argv[0]} is not installed or not on PATH (needed for PostgreSQL)")
    done = subprocess.run(
        [tool, *argv[1:]],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        # Safe here despite the docs' warning about threads: the signal is tied to this (waiting) thread.
        preexec_fn=_dies_with(os.getpid()),
    )
    if done.returncode != 0:
        raise BackupFailed(
            f"{Path(argv[0]).name} exited with {done.returncode}: {done.stderr.strip()[-2000:]}"
        )
    return done


def _read_only(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=ro"


def _fsync_replace(temporary: Path, final: Path) -> None:
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, final)


def _write_checksum(backup: Path, sha256: str) -> None:
    temporary = backup.with_name(f".tmp-{uuid.uuid4().hex}.sha256")
    temporary.write_text(f"{sha256}  {backup.name}\n")
    _fsync_replace(temporary, backup.with_name(backup.name + ".sha256"))


def _dump_postgresql(url: URL, target: Path, pg_dump: str) -> None:
    invocation = pg_invocation(url.render_as_string(hide_password=False))
    _run(
        [pg_dump, "--format=custom", "--no-password", f"--file={target}", f"--dbname={invocation.conninfo}"],
        invocation.env,
    )


def _copy_sqlite(source: Path, target: Path) -> None:
    """Online backup in one step (pages=-1): a single consistent read of the source."""
    if not source.exists():
        raise BackupNotFound.error(f"SQLite database {source} does not exist")
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy, pages=-1)
        # A self-contained file: no -wal/-shm beside the backup.
        copy.execute("PRAGMA journal_mode=DELETE")
    origin.close()
    copy.close()


def verify_backup(path: Path, *, pg_restore: str = "pg_restore") -> BackupFile:
    """Check the file against its .sha256, then that its content reads back; raises BackupCorrupted."""
    if not path.is_file():
        raise BackupNotFound.error(f"backup {path} does not exist")
    checksum_file = path.with_name(path.name + ".sha256")
    if not checksum_file.is_file():
        raise BackupCorrupted.error(f"backup {path.name} has no checksum file")
    recorded = checksum_file.read_text().split()
    expected = recorded[0] if recorded else ""
    actual = _sha256(path)
    if actual != expected:
        raise BackupCorrupted.error(f"backup {path.name}: sha256 {actual} differs from recorded {expected}")
    if path.suffix == ".pgdump":
        try:
            _run([pg_restore, "--list", str(path)])
        except BackupFailed as error:
            raise BackupCorrupted.error(
                f"backup {path.name} is not a readable pg_dump archive: {error}"
            ) from None
    else:
        with sqlite3.connect(_read_only(path), uri=True) as copy:
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        copy.close()
        if verdict != "ok":
            raise BackupCorrupted.error(f"backup {path.name} fails the SQLite integrity check: {verdict}")
    matched = _NAME.match(path.name)
    created = (
        datetime.strptime(matched["stamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if matched
        else datetime.fromtimestamp(path.stat().st_mtime, UTC)
    )
    return BackupFile(path=str(path), size_bytes=path.stat().st_size, sha256=actual, created_at=created)


def list_backups(backup_dir: Path, label: str | None = None) -> list[Path]:
    """Backups in the directory (of one database if `label`), oldest first."""
    if not backup_dir.is_dir():
        return []
    found = [
        (match["stamp"], entry)
        for entry in backup_dir.iterdir()
        if entry.is_file() and (match := _NAME.match(entry.name)) and label in (None, match["label"])
    ]
    return [entry for _stamp, entry in sorted(found)]


def rotate_backups(backup_dir: Path, label: str, keep_daily: int) -> tuple[list[str], list[str]]:
    """Keep the backups of the `keep_daily` most recent days with a backup; returns (kept, deleted) names."""
    if keep_daily < 1:
        raise ValueError("keep_daily must be at least 1")
    backups = list_backups(backup_dir, label)
    day_of: dict[Path, date] = {
        path: datetime.strptime(m["stamp"], "%Y%m%dT%H%M%SZ").date()
        for path in backups
        if (m := _NAME.match(path.name))
    }
    kept_days = set(sorted(set(day_of.values()), reverse=True)[:keep_daily])
    kept, deleted = [], []
    for path in backups:
        if day_of[path] in kept_days:
            kept.append(path.name)
            continue
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".sha256").unlink(missing_ok=True)
        deleted.append(path.name)
    return kept, deleted


def backup_file_name(database_url: str, now: datetime) -> str:
    """The name a backup taken at `now` gets (so a retry of the same run rewrites the same file)."""
    url = make_url(database_url)
    backend = backend_of(url)
    return f"{_label(url, backend)}-{utc(now):%Y%m%dT%H%M%SZ}{SUFFIXES[backend]}"


def _temporary_prefix(run_tag: str | None) -> str:
    if run_tag is not None and not re.fullmatch(r"[A-Za-z0-9_]+", run_tag):
        raise ValueError(f"run tag {run_tag!r} must be letters, digits or _")
    return f".tmp-{run_tag}-" if run_tag else ".tmp-"


def discard_backup_run(
    database_url: str, backup_dir: Path, *, now: datetime, run_tag: str, finished_too: bool
) -> list[str]:
    """Remove what one run wrote: its temporary files, and (`finished_too`) its backup and checksum.

    For a cancelled run (nothing of it may remain) and before a retry (the previous attempt's temporaries).
    Returns the names removed.
    """
    removed: list[str] = []
    if not backup_dir.is_dir():
        return removed
    candidates = list(backup_dir.glob(f"{_temporary_prefix(run_tag)}*"))
    if finished_too:
        final = backup_dir / backup_file_name(database_url, now)
        candidates += [final, final.with_name(final.name + ".sha256")]
    for path in candidates:
        if path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def _remove_stale_temporaries(backup_dir: Path, now: datetime) -> None:
    """Half-written files of a backup that crashed; fresh ones may belong to a backup running now."""
    for entry in backup_dir.glob(".tmp-*"):
        if entry.is_file() and now.timestamp() - entry.stat().st_mtime > _STALE_TEMP.total_seconds():
            entry.unlink(missing_ok=True)


def backup_database(
    database_url: str,
    backup_dir: Path,
    *,
    keep_daily: int,
    now: datetime | None = None,
    pg_dump: str = "pg_dump",
    pg_restore: str = "pg_restore",
    run_tag: str | None = None,
    on_progress: ProgressCallback = no_progress,
) -> BackupDatabaseResult:
    """Write, checksum and verify a backup, then rotate; BackupFailed (retryable) if the dump fails.

    `run_tag` marks the temporary file, so whoever kills this function can find and remove it.
    """
    started = time.perf_counter()
    now = utc(now or datetime.now(UTC))
    url = make_url(database_url)
    backend = backend_of(url)
    label = _label(url, backend)
    backup_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(backup_dir, now)
    final = backup_dir / backup_file_name(database_url, now)
    temporary = backup_dir / f"{_temporary_prefix(run_tag)}{uuid.uuid4().hex}{SUFFIXES[backend]}"
    try:
        on_progress(5, "pg_dump" if backend == "postgresql" else "copie SQLite (API de sauvegarde)")
        if backend == "postgresql":
            _dump_postgresql(url, temporary, pg_dump)
        else:
            _copy_sqlite(Path(str(url.database)), temporary)
        on_progress(60, "somme de contrôle")
        sha256 = _sha256(temporary)
        pause_point("backup_database.before_rename", lambda: on_progress(60, "somme de contrôle"))
        _fsync_replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
    _write_checksum(final, sha256)
    on_progress(70, "vérification de la sauvegarde")
    stored = verify_backup(final, pg_restore=pg_restore)
    on_progress(90, "rotation des sauvegardes")
    kept, deleted = rotate_backups(backup_dir, label, keep_daily)
    on_progress(100, "sauvegarde vérifiée")
    return BackupDatabaseResult(
        backend=backend,
        backup=stored.model_copy(update={"created_at": now}),
        verified=True,
        kept=kept,
        deleted=deleted,
        duration_s=round(time.perf_counter() - started, 3),
    )


def restore_backup(
    backup: Path, database_url: str, *, clean: bool = False, pg_restore: str = "pg_restore"
) -> RestoreResult:
    """Verify `backup`, then restore it into `database_url` (an empty database unless `clean`).

    PostgreSQL restores in one transaction (all or nothing); `clean` drops the objects it recreates first.
    SQLite replaces the target file's whole content through the backup API.
    """
    started = time.perf_counter()
    verify_backup(backup, pg_restore=pg_restore)
    url = make_url(database_url)
    backend = backend_of(url)
    if (backend == "postgresql") != (backup.suffix == ".pgdump"):
        raise BackupCorrupted.error(f"backup {backup.name} is not a {backend} backup")
    if backend == "postgresql":
        invocation = pg_invocation(database_url)
        options = ["--clean", "--if-exists"] if clean else []
        _run(
            [pg_restore, "--no-password", "--exit-on-error", "--single-transaction", "--no-owner",
             "--no-privileges", *options, f"--dbname={invocation.conninfo}", str(backup)],
            invocation.env,
        )  # fmt: skip
    else:
        target = Path(str(url.database))
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(_read_only(backup), uri=True) as origin, sqlite3.connect(target) as copy:
            origin.backup(copy, pages=-1)
        origin.close()
        copy.close()
    return RestoreResult(
        backend=backend,
        backup_path=str(backup),
        target=url.render_as_string(hide_password=True),
        duration_s=round(time.perf_counter() - started, 3),
    )
