"""`python -m workers ml_heavy` runs one queue's worker; `python -m workers all` runs all five (dev mode)."""

from __future__ import annotations

import argparse
import asyncio

from gaveurs.logs import configure_logging
from gaveurs.queues import TaskQueue
from gaveurs.settings import get_settings
from gaveurs.telemetry import install_runtime
from workers.run import run_workers


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m workers", description=__doc__)
    parser.add_argument("queue", choices=[q.value for q in TaskQueue] + ["all"])
    args = parser.parse_args()
    settings = get_settings()
    # JSON lines with the task's ids (LOG_FORMAT), and SDK + task metrics on METRICS_PORT, before connecting.
    configure_logging(settings)
    install_runtime(settings)
    queues = list(TaskQueue) if args.queue == "all" else [TaskQueue(args.queue)]
    asyncio.run(run_workers(queues, settings))


if __name__ == "__main__":
    main()
