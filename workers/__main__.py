"""`python -m workers ml_heavy` runs one queue's worker; `python -m workers all` runs all five (dev mode)."""

from __future__ import annotations

import argparse
import asyncio
import logging

from gaveurs.queues import TaskQueue
from workers.run import run_workers


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m workers", description=__doc__)
    parser.add_argument("queue", choices=[q.value for q in TaskQueue] + ["all"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    queues = list(TaskQueue) if args.queue == "all" else [TaskQueue(args.queue)]
    asyncio.run(run_workers(queues))


if __name__ == "__main__":
    main()
