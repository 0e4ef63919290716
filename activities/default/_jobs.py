"""What the maintenance jobs share: they run in a child process, on a database engine of their own.

Each maintenance activity hands its plain function to `run_in_child_process`, as the model fits do, for the
same two reasons: the parent heartbeats every second whatever a long SQL statement is doing, and a cancel
kills the process, so its connection closes and its transaction rolls back (a batch job loses at most the
batch under way, and each job is idempotent). The child reads no environment: the activity passes it the
worker's settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from gaveurs.db.session import make_engine
from gaveurs.errors import DatabaseUnavailable


@contextmanager
def job_engine(database_url: str) -> Iterator[Engine]:
    """An engine for one job; a lost connection or a lock timeout becomes DatabaseUnavailable (retried).

    Anything else the database raises (a constraint, a syntax error) is a bug the same input would hit
    again: the child process reports it as ComputationFailed, which is not retried.
    """
    engine = make_engine(database_url, pool_size=1, max_overflow=1)
    try:
        yield engine
    except (OperationalError, InterfaceError) as error:
        cause = error.orig if error.orig is not None else error
        text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        raise DatabaseUnavailable.error(f"{type(cause).__name__}: {text}"[:500]) from None
    finally:
        engine.dispose()
