"""The progress callback every fit takes: `on_progress(percent, stage)`, percent 0–100, stage in French."""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[int, str], None]


def no_progress(percent: int, stage: str) -> None:
    """The default: nobody is listening."""
