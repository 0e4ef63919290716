"""`python -m bench.bench_exports`: how long each export takes on the demo farm, beside the seed's figures.

Runs the plain whole-export functions (load, render, publish through the artifact store and its index) on a
temporary SQLite demo farm and, unless --skip-postgres, a temporary PostgreSQL one. Each export runs --repeat
times as distinct runs (each publishes its own file); the median and worst are printed with the seed's Celery
figure and the 10x target (seed's lower bound / 10). Nothing here asserts: it prints figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.demo_databases import DEFAULT_ADMIN_URL, demo_database
from gaveurs.artifacts import LocalArtifactStore
from gaveurs.contracts.certificates import BlockchainCertificateInput
from gaveurs.contracts.exports import (
    BatchLotsCsvInput,
    ConsumerFeedbacksCsvInput,
    GavageCsvInput,
    LotPdfReportInput,
    SitePdfReportInput,
    SqalCsvInput,
    WeeklyReportsInput,
)
from gaveurs.db.session import make_engine
from gaveurs.exports.context import ExportContext
from gaveurs.exports.documents import (
    export_certificate,
    export_lot_pdf_report,
    export_site_pdf_report,
    export_weekly_reports,
)
from gaveurs.exports.tables import (
    batch_export_lots_csv,
    export_consumer_feedbacks_csv,
    export_gavage_data_csv,
    export_sqal_data_csv,
)
from gaveurs.settings import Settings

GENERATED_AT = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)  # the Monday after the demo farm's today
SIZE_KEYS = ("rows", "lots", "records")

# name, seed's figure (s), lower bound (s), the export
EXPORTS: list[tuple[str, str, float, Callable[[ExportContext], Any]]] = [
    ("generate_lot_pdf_report (3472, complete)", "10–60 s", 10,
     lambda ctx: export_lot_pdf_report(ctx, LotPdfReportInput(lot_id=3472, report_type="complete"))),
    ("generate_site_pdf_report (LL, 3 months)", "20–90 s", 20,
     lambda ctx: export_site_pdf_report(ctx, SitePdfReportInput(
         site_code="LL", date_debut=date(2026, 8, 1), date_fin=date(2026, 10, 31)))),
    ("export_gavage_data_csv (lot 3472)", "5–30 s", 5,
     lambda ctx: export_gavage_data_csv(ctx, GavageCsvInput(lot_id=3472))),
    ("export_gavage_data_csv (all lots)", "5–30 s", 5,
     lambda ctx: export_gavage_data_csv(ctx, GavageCsvInput())),
    ("export_sqal_data_csv (lot 3472)", "5–30 s", 5,
     lambda ctx: export_sqal_data_csv(ctx, SqalCsvInput(lot_id=3472))),
    ("export_sqal_data_csv (all 502,078 rows)", "5–30 s", 5,
     lambda ctx: export_sqal_data_csv(ctx, SqalCsvInput())),
    ("export_consumer_feedbacks_csv (2026)", "5–20 s", 5,
     lambda ctx: export_consumer_feedbacks_csv(ctx, ConsumerFeedbacksCsvInput(
         date_debut=date(2026, 1, 1), date_fin=date(2026, 12, 31)))),
    ("generate_blockchain_certificate (3472)", "2–10 s", 2,
     lambda ctx: export_certificate(ctx, BlockchainCertificateInput(lot_id=3472))),
    ("batch_export_lots_csv (100 lots)", "10–60 s", 10,
     lambda ctx: batch_export_lots_csv(ctx, BatchLotsCsvInput(lot_ids=list(range(3400, 3500))))),
    ("weekly_reports_generation (3 sites)", "2–5 min", 120,
     lambda ctx: export_weekly_reports(ctx, WeeklyReportsInput())),
]  # fmt: skip


def size_of(result: Any) -> str:
    for key in SIZE_KEYS:
        value = getattr(result, key, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,} {key}"
    reports = getattr(result, "reports", None)
    if reports is not None:
        return f"{len(reports)} PDFs"
    return ""


def bench_backend(url: str, root: Path, repeat: int) -> None:
    settings = Settings(
        artifact_dir=root / "artifacts",
        certificate_key_file=root / "keys" / "certificate.pem",
        export_pseudonym_key_file=root / "keys" / "pseudonym.key",
    )
    engine = make_engine(url)
    store = LocalArtifactStore(settings.artifact_dir)
    print(f"\n{'export':44} {'median':>8} {'worst':>8}  {'output':>16}  {'seed':>9}  {'10x target':>10}")
    try:
        for index, (name, seed, lower, run) in enumerate(EXPORTS):
            times = []
            result: Any = None
            for attempt in range(repeat):
                ctx = ExportContext(
                    engine=engine,
                    store=store,
                    settings=settings,
                    task_id=f"bench-{index}",
                    run_id=f"{os.getpid()}-{index}-{attempt}",
                    generated_at=GENERATED_AT,
                )
                began = time.perf_counter()
                result = run(ctx)
                times.append(time.perf_counter() - began)
            median = statistics.median(times)
            target = lower / 10
            verdict = "met" if median <= target else "MISSED"
            print(
                f"{name:44} {median:7.2f}s {max(times):7.2f}s  {size_of(result):>16}  {seed:>9}  "
                f"≤{target:5.1f}s {verdict}",
                flush=True,
            )
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_exports", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument(
        "--postgres-admin-url", default=os.environ.get("TEST_POSTGRES_ADMIN_URL", DEFAULT_ADMIN_URL)
    )
    args = parser.parse_args()
    backends = ["sqlite"] if args.skip_postgres else ["sqlite", "postgres"]
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="gaveurs-bench-") as tmp:
            print(f"\n== {backend} ==")
            with demo_database(backend, Path(tmp), args.postgres_admin_url) as url:
                bench_backend(url, Path(tmp), args.repeat)


if __name__ == "__main__":
    main()
