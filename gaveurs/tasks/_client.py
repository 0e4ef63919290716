"""The one Temporal client a process's Celery-style calls share, and the loop the sync flavour runs on.

The async flavour awaits on the caller's event loop; the sync flavour submits the same coroutines to one
background event loop (a daemon thread), so a script needs no asyncio of its own. Both use the same client:
temporalio's client is not tied to the loop it was created on.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from temporalio.client import Client

from gaveurs.settings import Settings, get_settings
from gaveurs.temporal_client import connect

ResultT = TypeVar("ResultT")

_lock = threading.Lock()
_client: Client | None = None
_settings: Settings | None = None
_loop: asyncio.AbstractEventLoop | None = None


def configure(settings: Settings) -> None:
    """Use these settings (address, namespace) instead of the environment's; drops a client already made."""
    global _client, _settings
    with _lock:
        _settings, _client = settings, None


async def client() -> Client:
    global _client
    if _client is None:
        made = await connect(_settings or get_settings())
        with _lock:
            _client = _client or made
    return _client


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="gaveurs-tasks", daemon=True).start()
        return _loop


def run_sync(coroutine: Coroutine[Any, Any, ResultT], timeout: float | None = None) -> ResultT:
    """Run a coroutine on the background loop and wait for it (what the sync flavour does)."""
    future: Future[ResultT] = asyncio.run_coroutine_threadsafe(coroutine, _background_loop())
    return future.result(timeout)
