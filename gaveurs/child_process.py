"""The child side of CPU-bound work run in its own process, so that cancelling a task can really stop it.

A C++ search or a scikit-learn fit cannot be interrupted from Python; killing its process can. The parent
(`activities.shared.child_process`) starts `child_main` in a process from a fork server, reads what it
sends on a pipe, heartbeats meanwhile, and kills it on cancellation. Nothing here knows about Temporal
beyond the typed errors of `gaveurs.errors`, so the same targets run in unit tests without a server.

Protocol, child → parent, one tuple per message:
- `("progress", percent, stage, checkpoint)`: how far along; `checkpoint` (JSON-able or None) lets a
  later attempt resume where this one stopped;
- `("result", value)`: the answer (picklable, e.g. a pydantic model);
- `("failure", type, message, non_retryable)`: a typed `ApplicationError` the target raised on purpose;
- `("error", description)`: any other exception, i.e. a bug or bad data the same input would hit again.
"""

from __future__ import annotations

import ctypes
import signal
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Generic, Protocol, TypeVar

from temporalio.exceptions import ApplicationError

ArgT = TypeVar("ArgT")
ResultT = TypeVar("ResultT")
ArgT_contra = TypeVar("ArgT_contra", contravariant=True)
ResultT_co = TypeVar("ResultT_co", covariant=True)


class Reporter:
    """Given to a target: `reporter(percent, stage, checkpoint)`; `reporter.resume` is the last checkpoint."""

    def __init__(self, send: Callable[[tuple[Any, ...]], None], resume: Any = None) -> None:
        self._send = send
        self.resume = resume

    def __call__(self, percent: int, stage: str, checkpoint: Any = None) -> None:
        self._send(("progress", max(0, min(100, int(percent))), stage, checkpoint))


class Target(Protocol, Generic[ArgT_contra, ResultT_co]):
    """A top-level function (picklable by reference) doing the work: `target(arg, reporter) -> result`."""

    def __call__(self, arg: ArgT_contra, reporter: Reporter, /) -> ResultT_co: ...


def silent_reporter(resume: Any = None) -> Reporter:
    """A reporter that drops progress: to call a target in-process (tests, scripts)."""
    return Reporter(lambda _message: None, resume)


def _die_with_parent() -> None:
    """If our parent dies (a SIGKILLed worker takes its fork server down), die too instead of burning CPU."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def child_main(target: Target[ArgT, ResultT], arg: ArgT, resume: Any, conn: Connection) -> None:
    _die_with_parent()
    try:
        result = target(arg, Reporter(conn.send, resume))
        conn.send(("result", result))
    except ApplicationError as failure:
        conn.send(("failure", failure.type, failure.message, failure.non_retryable))
    except Exception as error:  # reported to the parent, which decides what a retry can do about it
        conn.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        conn.close()
