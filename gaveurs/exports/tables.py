"""Whole exports that produce tables: the three row CSVs and the batch zip of many lots."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from gaveurs.artifacts import ArtifactBackend
from gaveurs.contracts.exports import (
    BatchLotsCsvInput,
    BatchLotsCsvResult,
    ConsumerFeedbacksCsvInput,
    CsvExportKind,
    CsvExportResult,
    GavageCsvInput,
    SqalCsvInput,
)
from gaveurs.exports.batch import BatchCheckpoint, BatchPlan, finish_batch, plan_batch, run_batch_step
from gaveurs.exports.context import ExportContext, day_tag, url_of
from gaveurs.exports.csv_exports import CsvFilters, prepare_csv
from gaveurs.exports.csv_stream import write_csv

CSV = "text/csv; charset=utf-8"
ZIP = "application/zip"


def csv_alias(kind: CsvExportKind, filters: CsvFilters, ctx: ExportContext) -> str:
    """`exports/gavage_lot_3472_20260101-20260131_20260108.csv`: what, which lot, which days, generated when."""
    parts = [kind, f"lot_{filters.lot_id}" if filters.lot_id is not None else "all"]
    if filters.date_debut or filters.date_fin:
        start = day_tag(filters.date_debut) if filters.date_debut else "debut"
        end = day_tag(filters.date_fin) if filters.date_fin else "fin"
        parts.append(f"{start}-{end}")
    parts.append(day_tag(ctx.stamp))
    return f"exports/{'_'.join(parts)}.csv"


def export_csv(ctx: ExportContext, kind: CsvExportKind, filters: CsvFilters) -> CsvExportResult:
    """Count, then stream the rows into this run's CSV. Raises InvalidDateRange, LotNotFound, EmptySelection
    before any file is opened."""
    ctx.progress(2, "sélection des lignes")
    prepared = prepare_csv(ctx.engine, kind, filters, settings=ctx.settings)
    with ctx.open_artifact(
        csv_alias(kind, filters, ctx), kind=f"{kind}_csv", content_type=CSV, lot_id=filters.lot_id
    ) as out:
        rows = write_csv(
            ctx.engine,
            prepared.query,
            out,
            chunk_rows=ctx.settings.export_csv_chunk_rows,
            expected_rows=prepared.rows,
            on_progress=ctx.on_progress,
        )
        stored = out.commit()
    ctx.progress(100, "export prêt")
    return CsvExportResult(
        export=kind,
        lot_id=filters.lot_id,
        date_debut=filters.date_debut,
        date_fin=filters.date_fin,
        csv_url=url_of(stored.path),
        rows=rows,
        file_size=stored.size_bytes,
        sha256=stored.sha256,
        generated_at=ctx.stamp,
    )


def export_gavage_data_csv(ctx: ExportContext, params: GavageCsvInput) -> CsvExportResult:
    return export_csv(ctx, "gavage", CsvFilters(params.lot_id, params.date_debut, params.date_fin))


def export_sqal_data_csv(ctx: ExportContext, params: SqalCsvInput) -> CsvExportResult:
    return export_csv(ctx, "sqal", CsvFilters(params.lot_id, params.date_debut, params.date_fin))


def export_consumer_feedbacks_csv(ctx: ExportContext, params: ConsumerFeedbacksCsvInput) -> CsvExportResult:
    return export_csv(ctx, "feedbacks", CsvFilters(None, params.date_debut, params.date_fin))


def batch_staging_key(task_id: str, run_id: str) -> str:
    """One staging area per run: parts of different runs (or tasks) never mix."""
    return hashlib.sha256(f"{task_id}|{run_id}".encode()).hexdigest()[:20]


def discard_batch_parts(store: ArtifactBackend, task_id: str, run_id: str) -> None:
    """Drop a cancelled batch's part files (its published files go with delete_task_artifacts)."""
    store.staging(batch_staging_key(task_id, run_id)).clear()


def batch_alias(plan: BatchPlan, ctx: ExportContext) -> str:
    selection = hashlib.sha256(",".join(map(str, plan.lot_ids)).encode()).hexdigest()[:8]
    return f"exports/lots_{len(plan.lot_ids)}_{selection}_{day_tag(ctx.stamp)}.zip"


def publish_batch(
    ctx: ExportContext, plan: BatchPlan, checkpoint: BatchCheckpoint, *, resumed_steps: int = 0
) -> BatchLotsCsvResult:
    """The last step: zip the parts into this run's file, then drop the staging area."""
    staging = ctx.store.staging(batch_staging_key(ctx.task_id, ctx.run_id))
    with ctx.open_artifact(batch_alias(plan, ctx), kind="lots_batch_zip", content_type=ZIP) as out:
        finish_batch(staging, plan, checkpoint, out, on_progress=ctx.on_progress)
        stored = out.commit()
    staging.clear()
    ctx.progress(100, "export prêt")
    return BatchLotsCsvResult(
        lots=len(plan.lot_ids),
        csv_url=url_of(stored.path),
        rows=sum(checkpoint.rows.values()),
        files={f"{part}.csv": rows for part, rows in checkpoint.rows.items()},
        file_size=stored.size_bytes,
        sha256=stored.sha256,
        generated_at=ctx.stamp,
        resumed_steps=resumed_steps,
    )


def batch_export_lots_csv(
    ctx: ExportContext,
    params: BatchLotsCsvInput,
    *,
    checkpoint: BatchCheckpoint | None = None,
    on_checkpoint: Callable[[BatchCheckpoint], None] | None = None,
    lots_per_step: int = 50,
) -> BatchLotsCsvResult:
    """`batch_export_lots_csv` in one call: plan, every remaining step, publish.

    `checkpoint` resumes a batch a previous attempt left half-done; `on_checkpoint` is called after each step
    (the activity heartbeats it). Raises EmptySelection, SelectionTooLarge, LotNotFound.
    """
    plan = plan_batch(ctx.engine, params.lot_ids, generated_at=ctx.stamp, lots_per_step=lots_per_step)
    staging = ctx.store.staging(batch_staging_key(ctx.task_id, ctx.run_id))
    done = checkpoint or BatchCheckpoint()
    while done.steps_done < plan.steps:
        done = run_batch_step(
            ctx.engine,
            staging,
            plan,
            done,
            chunk_rows=ctx.settings.export_csv_chunk_rows,
            on_progress=ctx.on_progress,
        )
        if on_checkpoint is not None:
            on_checkpoint(done)
    return publish_batch(ctx, plan, done)
