"""Runs a symbolic-regression fit in a child process, so cancelling the task can stop it at once.

The C++ search cannot be interrupted from Python; killing its process can.
"""

from __future__ import annotations

import ctypes
import signal
import sys
from multiprocessing.connection import Connection

import numpy as np

from gaveurs.contracts.ml import SymbolicFitRequest
from gaveurs.ml.symbolic import Engine, fit_symbolic


def _die_with_parent() -> None:
    """If the worker is SIGKILLed, take the fit down with it instead of leaving an orphan burning CPU."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def child_main(request_json: str, engine: Engine, conn: Connection) -> None:
    _die_with_parent()
    try:
        request = SymbolicFitRequest.model_validate_json(request_json)
        data = request.training_set
        fit = fit_symbolic(
            np.asarray(data.rows, dtype=float),
            np.asarray(data.targets, dtype=float),
            data.feature_names,
            reference=data.reference_features,
            engine=engine,
            restarts=request.restarts,
            generations=request.generations,
            target=data.target,
            on_restart=lambda done, total: conn.send(("progress", done, total)),
        )
        conn.send(("result", fit.model_dump_json()))
    except Exception as error:  # report any failure to the parent, which decides whether to retry
        conn.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        conn.close()
