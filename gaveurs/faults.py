"""Fault injection for tests and drills: named pause points inside activities, inert unless configured.

`FAULT_PAUSES='{"render_lot_report.before_store": 5}'` makes that activity wait 5 s at that point, ticking
(heartbeating) meanwhile, so a test can cancel a task or kill its worker at a known step of the real code.
Left unset, as in production, a pause point is a dictionary lookup.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from gaveurs.settings import get_settings

TICK_S = 0.1


def pause_seconds(point: str) -> float:
    return get_settings().fault_pauses.get(point, 0.0)


def pause_point(point: str, tick: Callable[[], None]) -> None:
    """Wait here for the configured time (none by default), calling `tick` (e.g. a heartbeat) as it waits."""
    deadline = time.monotonic() + pause_seconds(point)
    while time.monotonic() < deadline:
        tick()
        time.sleep(TICK_S)


async def pause_point_async(point: str, tick: Callable[[], None]) -> None:
    deadline = time.monotonic() + pause_seconds(point)
    while time.monotonic() < deadline:
        tick()
        await asyncio.sleep(TICK_S)
