"""CSV exports streamed from the database: content equal to the generated farm, the same bytes from SQLite
and PostgreSQL and whatever the chunk size, personal data kept out, resumable batches."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, event
from temporalio.exceptions import ApplicationError

from gaveurs.artifacts import LocalArtifactStore
from gaveurs.db.session import make_engine
from gaveurs.exports.batch import (
    LOTS_HEADER,
    BatchCheckpoint,
    finish_batch,
    plan_batch,
    run_batch_step,
)
from gaveurs.exports.csv_exports import (
    FEEDBACK_HEADER,
    GAVAGE_HEADER,
    SQAL_HEADER,
    CsvFilters,
    feedback_query,
    prepare_csv,
    pseudonymiser,
)
from gaveurs.exports.csv_stream import iter_chunks, text_cell, write_csv
from gaveurs.farm.generator import FarmData
from gaveurs.settings import Settings
from tests.fixtures_db import LoadedFarms, postgres_or_skip
from tests.test_farm_generator import as_array

GENERATED_AT = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
KEY = b"test pseudonym key"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(export_pseudonym_key=KEY.decode(), artifact_dir=tmp_path / "artifacts")


def export(
    engine: Engine, kind: str, filters: CsvFilters, settings: Settings, chunk_rows: int = 5000
) -> bytes:
    prepared = prepare_csv(engine, kind, filters, settings=settings)  # type: ignore[arg-type]
    out = io.BytesIO()
    rows = write_csv(engine, prepared.query, out, chunk_rows=chunk_rows, expected_rows=prepared.rows)
    assert rows == prepared.rows
    return out.getvalue()


def parse(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def in_days(stamps: np.ndarray, start: date, end: date) -> np.ndarray:
    day = stamps.astype("datetime64[D]")
    return (day >= np.datetime64(start)) & (day <= np.datetime64(end))


# ---------------------------------------------------------------------------------------------- content


def test_gavage_csv_of_a_lot_is_its_meals_in_order(
    farm_engine: Engine, small_farm: FarmData, settings: Settings
) -> None:
    rows = parse(export(farm_engine, "gavage", CsvFilters(lot_id=3472), settings))
    assert rows[0] == list(GAVAGE_HEADER)
    mine = as_array(small_farm, "gavage_data_lots", "lot_id") == 3472
    doses = as_array(small_farm, "gavage_data_lots", "dose_moyenne_g")[mine]
    assert len(rows) - 1 == int(mine.sum()) > 0
    assert [float(r[6]) for r in rows[1:]] == doses.tolist()  # generated in (day, meal) order
    assert [(int(r[3]), r[4]) for r in rows[1:3]] == [(1, "matin"), (1, "soir")]
    assert rows[1][5].endswith("T06:00:00Z") and rows[2][5].endswith("T18:00:00Z")
    assert {r[0] for r in rows[1:]} == {"3472"}


def test_sqal_csv_filters_by_lot_and_days(
    farm_engine: Engine, small_farm: FarmData, settings: Settings
) -> None:
    lots = as_array(small_farm, "sensor_samples", "lot_id")
    stamps = as_array(small_farm, "sensor_samples", "horodatage")
    start, end = date(2025, 3, 1), date(2025, 6, 30)
    rows = parse(export(farm_engine, "sqal", CsvFilters(date_debut=start, date_fin=end), settings))
    assert rows[0] == list(SQAL_HEADER)
    assert len(rows) - 1 == int(in_days(stamps, start, end).sum()) > 100
    keys = [(int(r[0]), r[3], int(r[2])) for r in rows[1:]]
    assert keys == sorted(keys)  # lot, then time
    lot = int(lots[in_days(stamps, start, end)][0])
    one = parse(export(farm_engine, "sqal", CsvFilters(lot_id=lot, date_debut=start, date_fin=end), settings))
    assert len(one) - 1 == int(((lots == lot) & in_days(stamps, start, end)).sum())
    assert {r[8] for r in one[1:]} <= {"A+", "A", "B", "C", "REJECT"}


def test_feedback_csv_keeps_emails_out(farm_engine: Engine, small_farm: FarmData, settings: Settings) -> None:
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    content = export(farm_engine, "feedbacks", CsvFilters(date_debut=start, date_fin=end), settings)
    rows = parse(content)
    assert rows[0] == list(FEEDBACK_HEADER)
    created = as_array(small_farm, "consumer_feedbacks", "created_at")
    chosen = in_days(created, start, end)
    assert len(rows) - 1 == int(chosen.sum())
    assert b"@" not in content and b"example.fr" not in content
    emails = dict(
        zip(
            as_array(small_farm, "consumer_feedbacks", "id").tolist(),
            small_farm.table("consumer_feedbacks").column("email"),
            strict=True,
        )
    )
    for row in rows[1:]:
        email = emails[int(row[0])]
        expected = "" if email is None else hmac.new(KEY, email.encode(), hashlib.sha256).hexdigest()[:16]
        assert row[7] == expected
    assert sum(1 for row in rows[1:] if row[7]) > 10


def test_free_text_cannot_become_a_spreadsheet_formula() -> None:
    assert text_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert text_cell("+33 6 12") == "'+33 6 12" and text_cell("@SUM(A1)") == "'@SUM(A1)"
    assert text_cell("Très bon, fondant") == "Très bon, fondant" and text_cell(None) == ""
    query = feedback_query(CsvFilters(), pseudonymiser(KEY))
    row = query.format_row(
        (datetime(2026, 1, 3, 10, 0), 7, 3472, "LL2601001", "LL", 5, "=1+1", " Client@Example.FR ")
    )
    assert row[6] == "'=1+1"
    assert row[7] == hmac.new(KEY, b"client@example.fr", hashlib.sha256).hexdigest()[:16]


# --------------------------------------------------------------------------------- streaming, two backends


@pytest.fixture(scope="module")
def both_backends(loaded_farms: LoadedFarms) -> Iterator[tuple[Engine, Engine]]:
    postgres_or_skip()
    sqlite, postgres = make_engine(loaded_farms.url("sqlite")), make_engine(loaded_farms.url("postgres"))
    yield sqlite, postgres
    sqlite.dispose()
    postgres.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("kind", "filters"),
    [
        ("sqal", CsvFilters()),
        ("gavage", CsvFilters(date_debut=date(2026, 1, 1))),
        ("feedbacks", CsvFilters(date_fin=date(2025, 6, 30))),
    ],
)
def test_same_bytes_from_sqlite_and_postgresql_whatever_the_chunk(
    both_backends: tuple[Engine, Engine], settings: Settings, kind: str, filters: CsvFilters
) -> None:
    sqlite, postgres = both_backends
    reference = export(sqlite, kind, filters, settings)
    assert len(parse(reference)) > 100
    assert export(postgres, kind, filters, settings) == reference
    # Tiny chunks: hundreds of keyset pages on SQLite, hundreds of server-side fetches on PostgreSQL.
    assert export(sqlite, kind, filters, settings, chunk_rows=37) == reference
    assert export(postgres, kind, filters, settings, chunk_rows=37) == reference


def test_postgresql_streams_from_a_server_side_cursor_sqlite_pages_by_key(
    farm_engine: Engine, settings: Settings
) -> None:
    prepared = prepare_csv(farm_engine, "sqal", CsvFilters(), settings=settings)
    executed: list[tuple[str, str]] = []

    def watch(conn: object, cursor: object, statement: str, *args: object) -> None:
        executed.append((type(cursor).__name__, statement))

    event.listen(farm_engine, "before_cursor_execute", watch)
    try:
        chunks = [len(chunk) for chunk in iter_chunks(farm_engine, prepared.query, 1000)]
    finally:
        event.remove(farm_engine, "before_cursor_execute", watch)
    assert sum(chunks) == prepared.rows and max(chunks) <= 1000 and len(chunks) == -(-prepared.rows // 1000)
    if farm_engine.dialect.name == "postgresql":
        # One query whose rows stay on the server and come over 1,000 at a time (after SET TIME ZONE).
        queries = [kind for kind, statement in executed if not statement.startswith("SET ")]
        assert queries == ["ServerCursor"]
    else:
        pages = [statement for _, statement in executed if "LIMIT" in statement]
        assert len(pages) == len(chunks) + (prepared.rows % 1000 == 0)
        assert all("sensor_samples.horodatage, sensor_samples.id) >" in page for page in pages[1:])


def test_streaming_can_resume_after_a_key(farm_engine: Engine, settings: Settings) -> None:
    query = prepare_csv(
        farm_engine, "gavage", CsvFilters(date_debut=date(2026, 6, 1)), settings=settings
    ).query
    rows = [tuple(row) for chunk in iter_chunks(farm_engine, query, 100) for row in chunk]
    cut = len(rows) // 3
    after = rows[cut - 1][: len(query.keys)]
    rest = [tuple(row) for chunk in iter_chunks(farm_engine, query, 100, after=after) for row in chunk]
    assert rest == rows[cut:] and len(rest) > 100


def test_progress_rises_to_the_end(farm_engine: Engine, settings: Settings) -> None:
    prepared = prepare_csv(farm_engine, "sqal", CsvFilters(), settings=settings)
    seen: list[int] = []
    write_csv(
        farm_engine,
        prepared.query,
        io.BytesIO(),
        chunk_rows=1000,
        expected_rows=prepared.rows,
        on_progress=lambda percent, _: seen.append(percent),
    )
    assert len(seen) == -(-prepared.rows // 1000) and seen == sorted(seen) and seen[-1] == 95


# --------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kind", "filters", "error", "words"),
    [
        ("gavage", CsvFilters(lot_id=999999), "LotNotFound", "lot 999999 not found"),
        (
            "sqal",
            CsvFilters(date_debut=date(2026, 2, 1), date_fin=date(2026, 1, 1)),
            "InvalidDateRange",
            "date_debut (2026-02-01) is after date_fin (2026-01-01)",
        ),
        (
            "sqal",
            CsvFilters(date_debut=date(2021, 1, 1), date_fin=date(2021, 12, 31)),
            "EmptySelection",
            "no SQAL samples for all lots from 2021-01-01 to 2021-12-31",
        ),
        (
            "feedbacks",
            CsvFilters(date_fin=date(2022, 1, 1)),
            "EmptySelection",
            "no consumer feedbacks for all lots from the start to 2022-01-01",
        ),
    ],
)
def test_bad_filters_raise_typed_errors(
    farm_engine: Engine, settings: Settings, kind: str, filters: CsvFilters, error: str, words: str
) -> None:
    with pytest.raises(ApplicationError) as caught:
        prepare_csv(farm_engine, kind, filters, settings=settings)  # type: ignore[arg-type]
    assert caught.value.type == error and caught.value.non_retryable
    assert words in str(caught.value)


# ------------------------------------------------------------------------------------------------- batch


def lots_of(farm: FarmData, count: int) -> list[int]:
    status = as_array(farm, "lots_gavage", "statut")
    return [int(i) for i in as_array(farm, "lots_gavage", "id")[status == "abattu"][:count]]


def test_batch_resumes_after_an_interruption_with_identical_bytes(
    farm_engine: Engine, small_farm: FarmData, tmp_path: Path
) -> None:
    store = LocalArtifactStore(tmp_path / "artifacts")
    lot_ids = [*lots_of(small_farm, 23), 3472]
    plan = plan_batch(farm_engine, [*lot_ids, lot_ids[0]], generated_at=GENERATED_AT, lots_per_step=5)
    assert plan.lot_ids == sorted(set(lot_ids)) and plan.steps == 5

    def run(staging_key: str, crash_after: int | None) -> tuple[bytes, BatchCheckpoint]:
        staging = store.staging(staging_key)
        checkpoint = BatchCheckpoint()
        heartbeat = checkpoint.model_dump_json()  # what Temporal keeps of the last heartbeat
        while checkpoint.steps_done < plan.steps:
            checkpoint = run_batch_step(farm_engine, staging, plan, checkpoint, chunk_rows=50)
            if checkpoint.steps_done == crash_after:
                # The worker dies after writing this step's parts but before heartbeating: the retry starts
                # from the last heartbeat and replays the step.
                crash_after = None
                checkpoint = BatchCheckpoint.model_validate_json(heartbeat)
                continue
            heartbeat = checkpoint.model_dump_json()
        out = io.BytesIO()
        finish_batch(staging, plan, checkpoint, out)
        return out.getvalue(), checkpoint

    straight, done = run("straight", None)
    resumed, done_again = run("resumed", 3)
    assert resumed == straight and done_again == done

    archive = zipfile.ZipFile(io.BytesIO(straight))
    assert archive.namelist() == ["lots.csv", "gavage.csv", "sqal.csv"]
    lots_csv = parse(archive.read("lots.csv"))
    assert lots_csv[0] == list(LOTS_HEADER) and [int(r[0]) for r in lots_csv[1:]] == plan.lot_ids
    gavage_lots = as_array(small_farm, "gavage_data_lots", "lot_id")
    sample_lots = as_array(small_farm, "sensor_samples", "lot_id")
    gavage = parse(archive.read("gavage.csv"))
    sqal = parse(archive.read("sqal.csv"))
    assert gavage[0] == list(GAVAGE_HEADER) and sqal[0] == list(SQAL_HEADER)
    assert len(gavage) - 1 == done.rows["gavage"] == int(np.isin(gavage_lots, plan.lot_ids).sum())
    assert len(sqal) - 1 == done.rows["sqal"] == int(np.isin(sample_lots, plan.lot_ids).sum())
    row_3472 = next(r for r in lots_csv[1:] if r[0] == "3472")
    assert int(row_3472[LOTS_HEADER.index("repas_enregistres")]) == int((gavage_lots == 3472).sum())
    assert int(row_3472[LOTS_HEADER.index("echantillons_sqal")]) == int((sample_lots == 3472).sum())


@pytest.mark.parametrize(
    ("lot_ids", "error", "words"),
    [
        ([], "EmptySelection", "lot_ids is empty"),
        (list(range(1, 502)), "SelectionTooLarge", "501 lots asked, at most 500"),
        ([3472, 999998, 999999], "LotNotFound", "2 lots not found: 999998, 999999"),
    ],
)
def test_batch_selection_errors(farm_engine: Engine, lot_ids: list[int], error: str, words: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        plan_batch(farm_engine, lot_ids, generated_at=GENERATED_AT)
    assert caught.value.type == error and words in str(caught.value)
