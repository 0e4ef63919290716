"""`python -m bench.bench_csv_memory`: the worker's peak memory while exporting SQAL samples to CSV.

Each export runs in a fresh child process that imports everything, connects, and notes its peak RSS (the
baseline) before exporting; the export's cost is the peak RSS after it minus that baseline. Compared: one lot
(229 rows), all 502,078 samples of the demo farm streamed as the export does, and the same rows fetched at once
(what streaming avoids); the streamed export also with 5,000-row chunks instead of the default 1,000, to show its
memory follows the chunk, not the rows. A flat export keeps the 500,000-row figure close to the one-lot figure. On SQLite and,
unless --skip-postgres, PostgreSQL. Nothing here asserts: it prints figures.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.demo_databases import DEFAULT_ADMIN_URL, demo_database

MODES = {
    "one lot, streamed": ["--lot-id", "3472"],
    "all rows, streamed": [],
    "all rows, 5,000-row chunks": ["--chunk-rows", "5000"],
    "all rows, fetched at once": ["--fetch-all"],
}


def peak_mb() -> float:
    """Peak resident memory of this process image. VmHWM, not getrusage's ru_maxrss: the latter survives
    exec, so a child would inherit the peak of the parent that generated the demo farm."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def child(url: str, root: Path, lot_id: int | None, fetch_all: bool, chunk_rows: int) -> None:
    from sqlalchemy import text

    from gaveurs.artifacts import LocalArtifactStore
    from gaveurs.contracts.exports import SqalCsvInput
    from gaveurs.db.session import make_engine
    from gaveurs.exports.context import ExportContext
    from gaveurs.exports.csv_exports import CsvFilters, prepare_csv
    from gaveurs.exports.tables import export_sqal_data_csv
    from gaveurs.settings import Settings

    settings = Settings(artifact_dir=root / "artifacts", export_csv_chunk_rows=chunk_rows)
    engine = make_engine(url)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    baseline = peak_mb()
    began = time.perf_counter()
    if fetch_all:
        prepared = prepare_csv(engine, "sqal", CsvFilters(), settings=settings)
        with engine.connect() as connection:
            rows = connection.execute(prepared.query.select()).all()
        buffer = io.StringIO()
        csv.writer(buffer).writerows(prepared.query.format_row(row) for row in rows)
        count = len(rows)
    else:
        ctx = ExportContext(
            engine=engine,
            store=LocalArtifactStore(settings.artifact_dir),
            settings=settings,
            task_id="bench-memory",
            run_id=f"run-{os.getpid()}",
            generated_at=datetime.now(UTC),
        )
        count = export_sqal_data_csv(ctx, SqalCsvInput(lot_id=lot_id)).rows
    seconds = time.perf_counter() - began
    print(json.dumps({"rows": count, "seconds": seconds, "baseline_mb": baseline, "peak_mb": peak_mb()}))


def measure(url: str, root: Path, extra: list[str]) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.bench_csv_memory", "--child", url, "--root", str(root), *extra]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_csv_memory", description=__doc__)
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--lot-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--fetch-all", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--chunk-rows", type=int, default=1000, help=argparse.SUPPRESS)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--postgres-admin-url", default=os.environ.get("TEST_POSTGRES_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    args = parser.parse_args()
    if args.child:
        child(args.child, args.root, args.lot_id, args.fetch_all, args.chunk_rows)
        return

    for backend in ["sqlite"] if args.skip_postgres else ["sqlite", "postgres"]:
        with tempfile.TemporaryDirectory(prefix="gaveurs-bench-") as tmp:
            print(f"\n== {backend} ==")
            with demo_database(backend, Path(tmp), args.postgres_admin_url) as url:
                print(
                    f"{'export of SQAL samples':28} {'rows':>9} {'time':>7} {'baseline':>9} {'peak':>8} {'growth':>8}"
                )
                for name, extra in MODES.items():
                    f = measure(url, Path(tmp), extra)
                    growth = f["peak_mb"] - f["baseline_mb"]
                    print(
                        f"{name:28} {int(f['rows']):>9,} {f['seconds']:6.2f}s {f['baseline_mb']:7.1f}MB "
                        f"{f['peak_mb']:6.1f}MB {growth:+7.1f}MB",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
