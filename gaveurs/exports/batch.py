"""`batch_export_lots_csv`: many lots in one zip of three CSVs (lots, gavage meals, SQAL samples).

One zip rather than one CSV: the three row shapes differ, and flattening them into one file would repeat every
lot column on each of hundreds of thousands of sample rows.

A large batch runs as resumable steps. `plan_batch` checks the selection; each `run_batch_step` exports one
slice of lots into part files in the store's staging area (each part written atomically) and returns the
next `BatchCheckpoint`; `finish_batch` streams the parts, in order, into the zip. The activity layer records the
checkpoint in its heartbeat: a worker restarted mid-batch resumes at the first slice not yet done, on any host
that reaches the store. Re-running a slice rewrites the same parts, so a step replayed after a crash is harmless.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel, Field
from sqlalchemy import Engine, case, func, select
from sqlalchemy.orm import Session

from gaveurs.artifacts import StagingArea
from gaveurs.contracts.exports import MAX_BATCH_LOTS
from gaveurs.db.models import ConsumerFeedback, GavageData, Gaveur, Lot, SensorSample
from gaveurs.errors import EmptySelection, LotNotFound, SelectionTooLarge
from gaveurs.exports.csv_exports import GAVAGE_HEADER, SQAL_HEADER, CsvFilters, gavage_query, sqal_query
from gaveurs.exports.csv_stream import cell, write_csv
from gaveurs.reports.layout import NBSP, SQAL_GRADES, ByteSink, ProgressCallback, as_utc

PARTS = ("lots", "gavage", "sqal")
LOTS_HEADER = (
    "lot_id", "code_lot", "site_code", "gaveur", "genetique", "debut_gavage", "duree_gavage", "statut",
    "date_abattage", "nb_canards_places", "nb_canards_morts", "mortalite_pct", "poids_moyen_initial_g",
    "poids_foie_moyen_g", "dose_totale_kg", "itm", "repas_enregistres", "echantillons_sqal", "score_sqal_moyen",
    *(f"grade_{g.replace('+', '_plus').lower()}" for g in SQAL_GRADES), "avis", "note_moyenne",
)  # fmt: skip
HEADERS = {"lots": LOTS_HEADER, "gavage": GAVAGE_HEADER, "sqal": SQAL_HEADER}


class BatchPlan(BaseModel):
    lot_ids: list[int]  # existing lots, deduplicated, ascending: the files list them in this order
    lots_per_step: int = Field(gt=0)
    generated_at: datetime

    @property
    def steps(self) -> int:
        return -(-len(self.lot_ids) // self.lots_per_step)

    def step_lots(self, step: int) -> list[int]:
        return self.lot_ids[step * self.lots_per_step : (step + 1) * self.lots_per_step]


class BatchCheckpoint(BaseModel):
    """How far a batch got: the slices done and the rows they wrote. Small, so it fits in a heartbeat."""

    steps_done: int = 0
    rows: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(PARTS, 0))


def plan_batch(
    engine: Engine, lot_ids: Sequence[int], *, generated_at: datetime, lots_per_step: int = 50
) -> BatchPlan:
    """Check the selection; raises EmptySelection, SelectionTooLarge or LotNotFound (naming the missing ids)."""
    wanted = sorted(set(lot_ids))
    if not wanted:
        raise EmptySelection.error("batch export: lot_ids is empty")
    if len(wanted) > MAX_BATCH_LOTS:
        raise SelectionTooLarge.error(
            f"batch export: {len(wanted)} lots asked, at most {MAX_BATCH_LOTS} per batch", lots=len(wanted)
        )
    with Session(engine) as session:
        known = set(session.scalars(select(Lot.id).where(Lot.id.in_(wanted))))
    missing = [lot_id for lot_id in wanted if lot_id not in known]
    if missing:
        shown = ", ".join(str(lot_id) for lot_id in missing[:10]) + (" …" if len(missing) > 10 else "")
        raise LotNotFound.error(
            f"batch export: {len(missing)} lot{'s' if len(missing) > 1 else ''} not found: {shown}",
            missing=missing[:100],
        )
    return BatchPlan(lot_ids=wanted, lots_per_step=lots_per_step, generated_at=generated_at)


def _lot_lines(engine: Engine, lot_ids: list[int]) -> list[list[str]]:
    """One summary line per lot, every aggregate computed in SQL for the slice at once."""
    feeding = (
        select(
            GavageData.lot_id.label("lot_id"),
            func.count().label("meals"),
            (func.sum(GavageData.dose_moyenne_g) / 1000.0).label("dose_kg"),
        )
        .where(GavageData.lot_id.in_(lot_ids))
        .group_by(GavageData.lot_id)
        .subquery()
    )
    sqal = (
        select(
            SensorSample.lot_id.label("lot_id"),
            func.count().label("samples"),
            func.avg(SensorSample.fusion_final_score).label("score"),
            *(
                func.sum(case((SensorSample.fusion_final_grade == grade, 1), else_=0)).label(f"g{i}")
                for i, grade in enumerate(SQAL_GRADES)
            ),
        )
        .where(SensorSample.lot_id.in_(lot_ids))
        .group_by(SensorSample.lot_id)
        .subquery()
    )
    feedback = (
        select(
            ConsumerFeedback.lot_id.label("lot_id"),
            func.count().label("feedbacks"),
            func.avg(ConsumerFeedback.rating).label("rating"),
        )
        .where(ConsumerFeedback.lot_id.in_(lot_ids))
        .group_by(ConsumerFeedback.lot_id)
        .subquery()
    )
    grade_columns = [sqal.c[f"g{i}"] for i in range(len(SQAL_GRADES))]
    query = (
        select(
            Lot,
            Gaveur.prenom,
            Gaveur.nom,
            feeding.c.meals,
            feeding.c.dose_kg,
            sqal.c.samples,
            sqal.c.score,
            feedback.c.feedbacks,
            feedback.c.rating,
            *grade_columns,
        )
        .join(Gaveur, Gaveur.id == Lot.gaveur_id)
        .outerjoin(feeding, feeding.c.lot_id == Lot.id)
        .outerjoin(sqal, sqal.c.lot_id == Lot.id)
        .outerjoin(feedback, feedback.c.lot_id == Lot.id)
        .where(Lot.id.in_(lot_ids))
        .order_by(Lot.id)
    )
    lines = []
    with Session(engine) as session:
        for lot, prenom, nom, meals, dose, samples, score, feedbacks, rating, *grades in session.execute(
            query
        ):
            dose_kg = None if dose is None else float(dose)
            liver = lot.poids_foie_moyen_g
            values = (
                lot.id, lot.code_lot, lot.site_code, f"{prenom} {nom}", lot.genetique, lot.debut_gavage,
                lot.duree_gavage, lot.statut, lot.date_abattage, lot.nb_canards_places, lot.nb_canards_morts,
                round(100.0 * lot.nb_canards_morts / lot.nb_canards_places, 2) if lot.nb_canards_places else None,
                lot.poids_moyen_initial_g, liver, None if dose_kg is None else round(dose_kg, 3),
                None if dose_kg is None or liver is None else round(dose_kg / (liver / 1000), 2),
                int(meals or 0), int(samples or 0), None if score is None else round(float(score), 4),
                *(int(count or 0) for count in grades),
                int(feedbacks or 0), None if rating is None else round(float(rating), 2),
            )  # fmt: skip
            lines.append([cell(value) for value in values])
    return lines


def _part_name(step: int, part: str) -> str:
    return f"part-{step:05d}-{part}.csv"


def parts_present(staging: StagingArea, checkpoint: BatchCheckpoint) -> bool:
    """Whether every part the checkpoint counts as done is in the staging area: a checkpoint is worth resuming
    from only then (an abandoned batch's parts may have been swept meanwhile)."""
    return all(
        staging.exists(_part_name(step, part)) for step in range(checkpoint.steps_done) for part in PARTS
    )


class _Ticking:
    """A sink that calls `tick` before each chunk it passes on: a long slice still shows it is alive."""

    def __init__(self, sink: ByteSink, tick: Callable[[], None]) -> None:
        self._sink = sink
        self._tick = tick

    def write(self, data: bytes, /) -> int:
        self._tick()
        return self._sink.write(data)


def run_batch_step(
    engine: Engine,
    staging: StagingArea,
    plan: BatchPlan,
    checkpoint: BatchCheckpoint,
    *,
    chunk_rows: int = 1000,
    on_progress: ProgressCallback | None = None,
    tick: Callable[[], None] | None = None,
) -> BatchCheckpoint:
    """Export the next slice of lots into its three part files; returns the checkpoint after it.

    `tick` is called before each chunk of rows is written (the activity heartbeats there, so a slice of lots
    with very many samples never looks like a dead worker).
    """
    step = checkpoint.steps_done
    if step >= plan.steps:
        return checkpoint
    lot_ids = plan.step_lots(step)
    rows = dict(checkpoint.rows)
    with staging.open_writer(_part_name(step, "lots")) as writer:
        lines = _lot_lines(engine, lot_ids)
        buffer = io.StringIO()
        csv.writer(buffer).writerows(lines)
        writer.write(buffer.getvalue().encode("utf-8"))
        writer.commit()
    rows["lots"] += len(lines)
    for part, query in (("gavage", gavage_query), ("sqal", sqal_query)):
        with staging.open_writer(_part_name(step, part)) as writer:
            sink: ByteSink = writer if tick is None else _Ticking(writer, tick)
            rows[part] += write_csv(
                engine, query(CsvFilters(), lot_ids), sink, chunk_rows=chunk_rows, include_header=False
            )
            writer.commit()
    done = BatchCheckpoint(steps_done=step + 1, rows=rows)
    if on_progress is not None:
        on_progress(5 + 85 * done.steps_done // plan.steps, f"lots {done.steps_done}/{plan.steps} exportés")
    return done


def finish_batch(
    staging: StagingArea,
    plan: BatchPlan,
    checkpoint: BatchCheckpoint,
    out: ByteSink,
    *,
    on_progress: ProgressCallback | None = None,
) -> None:
    """Stream the parts into the zip `out`: lots.csv, gavage.csv, sqal.csv, each header then slices in order.

    The zip is byte-identical for the same parts and `generated_at` (fixed member times, order and
    compression), so a retried finish rewrites the same file.
    """
    if checkpoint.steps_done != plan.steps:
        raise RuntimeError(f"batch not finished: {checkpoint.steps_done} of {plan.steps} steps done")
    stamp = as_utc(plan.generated_at)
    # zipfile wants a full file object; it only calls write (and tell, which the artifact writers have).
    with zipfile.ZipFile(cast(Any, out), "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, part in enumerate(PARTS):
            info = zipfile.ZipInfo(f"{part}.csv", date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as member:
                header = io.StringIO()
                csv.writer(header).writerow(HEADERS[part])
                member.write(header.getvalue().encode("utf-8"))
                for step in range(plan.steps):
                    with staging.open_reader(_part_name(step, part)) as source:
                        while chunk := source.read(1 << 20):
                            member.write(chunk)
            if on_progress is not None:
                on_progress(90 + 3 * (index + 1), f"archive{NBSP}: {part}.csv")
