"""The lot PDF report: rendering, the artifact store and its index, and the two exports activities."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.exports import lot_pdf_report
from activities.exports.cleanup import discard_export_run
from activities.shared.artifacts import discard_task_artifacts
from gaveurs.artifact_records import find_artifact, record_artifact, resolve_artifact
from gaveurs.artifacts import ArtifactStore, StoredFile, UnsafeArtifactPath, run_tag
from gaveurs.contracts.export_runs import ExportRun, LotPdfReportRequest
from gaveurs.contracts.exports import FeedingRow, LotPdfReportInput, LotReportData
from gaveurs.db.migrate import upgrade
from gaveurs.db.models import Artifact
from gaveurs.db.session import make_engine, session_scope
from gaveurs.farm import queries
from gaveurs.reports.charts import nice_step
from gaveurs.reports.lot_pdf import fr_number, grade_counts, render_lot_pdf
from gaveurs.settings import get_settings
from tests.fixtures_db import LoadedFarms

PROJECT = Path(__file__).resolve().parent.parent
GENERATED_AT = datetime(2026, 1, 8, 13, 15, 42, tzinfo=UTC)
# Only the per-meal table prints this row (day 7, evening): temperature 23.4 °C, humidity 71.2 %.
MARKER_DAY, MARKER_TEMPERATURE, MARKER_HUMIDITY = 7, 23.4, 71.2


def feeding_rows(days: int = 12) -> list[FeedingRow]:
    rows = []
    for day in range(1, days + 1):
        for meal, extra in (("matin", 0.0), ("soir", 15.0)):
            marker = day == MARKER_DAY and meal == "soir"
            rows.append(
                FeedingRow(
                    jour_gavage=day,
                    repas=meal,
                    dose_moyenne_g=180.0 + 25.0 * day + extra,
                    poids_moyen_g=5450.0 + 95.0 * day,
                    temperature_stabule_c=MARKER_TEMPERATURE if marker else 18.0 + 0.1 * day,
                    humidite_stabule_pct=MARKER_HUMIDITY if marker else 62.0 + day % 4,
                )
            )
    return rows


def lot(**overrides: Any) -> LotReportData:
    fields: dict[str, Any] = {
        "lot_id": 3472,
        "code_lot": "LL2601001",
        "site_code": "LL",
        "site_nom": "Lanne-Lafitte",
        "gaveur": "Jean-Pierre Laborde",
        "genetique": "mulard",
        "statut": "termine",
        "debut_gavage": date(2026, 1, 5),
        "duree_gavage": 12,
        "nb_canards_places": 1000,
        "nb_canards_morts": 23,
        "poids_moyen_initial_g": 5450.0,
        "poids_foie_moyen_g": 585.4,
        "itm": 16.42,
        "feeding": feeding_rows(),
        "sqal_grades": {"A+": 412, "A": 1230, "B": 520, "C": 96, "REJECT": 18},
        "sqal_score_moyen": 0.812,
        "feedback_count": 14,
        "feedback_rating_moyen": 4.21,
    }
    fields.update(overrides)
    return LotReportData(**fields)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    # Non-breaking spaces (thousands, units) become plain ones so assertions read naturally.
    return "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


def page_count(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


# ----------------------------------------------------------------------------------------------- rendering


def test_summary_has_title_key_figures_curve_and_grades_but_no_meal_table() -> None:
    pdf = render_lot_pdf(lot(), "summary", generated_at=GENERATED_AT)
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert page_count(pdf) == 1
    text = pdf_text(pdf)
    for expected in (
        "Rapport de lot LL2601001",
        "Lanne-Lafitte",
        "Jean-Pierre Laborde",
        "Rapport de synthèse",
        "généré le 08/01/2026 à 13:15 UTC",
        "23 (2,3 %)",
        "585 g",
        "dans la fenêtre objectif 400–700 g",
        "+35 g",
        "16,42 kg maïs / kg foie",
        "14 avis · note moyenne 4,2 / 5",
        "Courbe de gavage",
        "Jour de gavage",  # axis title: the chart was drawn
        "Repas du soir",  # legend
        "Qualité SQAL",
        "1 230",
        "54,0 %",
        "Total",
    ):
        assert expected in text, expected
    assert "Détail des repas" not in text
    assert "23,4" not in text
    assert "71,2" not in text


def test_complete_adds_the_per_meal_table() -> None:
    pdf = render_lot_pdf(lot(), "complete", generated_at=GENERATED_AT)
    assert page_count(pdf) == 2
    text = pdf_text(pdf)
    assert "Rapport complet" in text
    assert "Détail des repas" in text
    assert "Température (°C)" in text
    # Cell by cell: day, meal, dose, weight, temperature, humidity.
    assert re.search(rf"\b{MARKER_DAY}\s+Soir\s+370\s+6 115\s+23,4\s+71,2\b", text), "day 7 evening row"
    # One line per meal: 12 days of matin and soir, each labelled in the table only.
    assert len(re.findall(r"\bMatin\b", text)) == 12
    assert len(re.findall(r"\bSoir\b", text)) == 12
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None
    assert metadata.title == "Rapport de lot LL2601001"


@pytest.mark.parametrize("report_type", ["summary", "complete"])
def test_rendering_is_byte_identical_for_the_same_inputs(report_type: Any) -> None:
    first = render_lot_pdf(lot(), report_type, generated_at=GENERATED_AT)
    again = render_lot_pdf(lot(), report_type, generated_at=GENERATED_AT)
    assert first == again
    later = render_lot_pdf(lot(), report_type, generated_at=GENERATED_AT + timedelta(minutes=1))
    assert later != first  # the timestamp is in the document, so equality above is not vacuous


def test_rendering_is_byte_identical_across_processes() -> None:
    """A retry may land on another worker process: hash seeds and import order must not leak into the bytes."""
    script = (
        "import sys; from datetime import datetime; "
        "from gaveurs.contracts.exports import LotReportData; from gaveurs.reports import render_lot_pdf; "
        "data = LotReportData.model_validate_json(sys.stdin.buffer.read()); "
        f"pdf = render_lot_pdf(data, 'complete', generated_at=datetime.fromisoformat('{GENERATED_AT.isoformat()}')); "
        "sys.stdout.buffer.write(pdf)"
    )
    outputs = [
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=PROJECT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            input=lot().model_dump_json().encode(),
            capture_output=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    ]
    assert outputs[0] == outputs[1] == render_lot_pdf(lot(), "complete", generated_at=GENERATED_AT)


def test_lot_without_liver_weight_sqal_or_feedback_shows_dashes() -> None:
    data = lot(
        statut="en_gavage",
        poids_foie_moyen_g=None,
        itm=None,
        sqal_grades={},
        sqal_score_moyen=None,
        feedback_count=0,
        feedback_rating_moyen=None,
    )
    for report_type in ("summary", "complete"):
        text = pdf_text(render_lot_pdf(data, report_type, generated_at=GENERATED_AT))
        assert re.search(r"Poids de foie moyen\s+—\s+\(pas encore pesé", text)
        assert re.search(r"ITM\s+—", text)
        assert re.search(r"Score SQAL moyen\s+—", text)
        assert "Aucun avis" in text
        assert "Aucun échantillon SQAL pour ce lot." in text
        assert "En gavage" in text


def test_liver_weight_outside_the_window_is_flagged() -> None:
    text = pdf_text(render_lot_pdf(lot(poids_foie_moyen_g=742.0), "summary", generated_at=GENERATED_AT))
    assert "742 g" in text
    assert "hors de la fenêtre objectif 400–700 g" in text
    assert "+192 g" in text


def test_lot_without_feeding_rows_still_renders() -> None:
    data = lot(feeding=[], nb_canards_places=0, nb_canards_morts=0)
    for report_type in ("summary", "complete"):
        text = pdf_text(render_lot_pdf(data, report_type, generated_at=GENERATED_AT))
        assert "Aucune donnée de gavage enregistrée pour ce lot." in text
        assert "Jour de gavage" not in text
    assert "Aucun repas enregistré." in text  # the last loop pass was "complete"


def test_naive_generated_at_is_read_as_utc() -> None:
    naive = GENERATED_AT.replace(tzinfo=None)
    assert render_lot_pdf(lot(), "summary", generated_at=naive) == render_lot_pdf(
        lot(), "summary", generated_at=GENERATED_AT
    )


def test_unknown_report_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown report type"):
        render_lot_pdf(lot(), "draft", generated_at=GENERATED_AT)  # type: ignore[arg-type]


def test_french_number_formatting() -> None:
    assert fr_number(1234567.25, 1) == "1\xa0234\xa0567,2"
    assert fr_number(-0.04, 1) == "0,0"
    assert fr_number(549.6) == "550"


def test_grades_come_in_quality_order_with_unknown_ones_last() -> None:
    assert grade_counts({"REJECT": 2, "A": 3, "ZZ": 1}) == [
        ("A+", 0),
        ("A", 3),
        ("B", 0),
        ("C", 0),
        ("REJECT", 2),
        ("ZZ", 1),
    ]


@pytest.mark.parametrize(
    ("span", "step"), [(345.0, 100.0), (290.0, 50.0), (12.0, 2.0), (13.0, 2.5), (0.0, 1.0), (1500.0, 250.0)]
)
def test_axis_steps_are_round_numbers(span: float, step: float) -> None:
    assert nice_step(span) == step


# ------------------------------------------------------------------------------------------ artifact store


@pytest.mark.parametrize(
    "unsafe", ["../etc/passwd", "/etc/passwd", "reports/../../x", ".hidden", "", "a/.b/c"]
)
def test_artifact_store_refuses_unsafe_paths(tmp_path: Path, unsafe: str) -> None:
    store = ArtifactStore(tmp_path / "store")
    with pytest.raises(UnsafeArtifactPath):
        store.write(unsafe, b"x")
    with pytest.raises(UnsafeArtifactPath):
        store.resolve(unsafe)
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "store").exists() or not any((tmp_path / "store").rglob("*"))


def test_artifact_store_round_trips_with_size_and_sha256(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    content = b"%PDF-1.4 not really a pdf\n" * 100
    stored = store.write("reports/lot_1_summary_20260108.pdf", content)
    assert stored == StoredFile(
        path="reports/lot_1_summary_20260108.pdf",
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    assert store.resolve(stored.path).read_bytes() == content
    assert [p.name for p in (tmp_path / "reports").iterdir()] == [
        "lot_1_summary_20260108.pdf"
    ]  # no temp left


# ---------------------------------------------------------------------------------------- artifact records


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'gaveurs.db'}"
    upgrade(url)
    return url


def test_record_artifact_is_an_upsert_by_path(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    first = StoredFile(path="reports/lot_9_complete_20260108.pdf", size_bytes=100, sha256="a" * 64)
    retry = StoredFile(path=first.path, size_bytes=120, sha256="b" * 64)
    t0 = datetime(2026, 1, 8, 13, 0, tzinfo=UTC)

    def record(session: Any, stored: StoredFile, created_at: datetime, task_id: str) -> Artifact:
        return record_artifact(
            session,
            stored,
            kind="lot_pdf_report",
            content_type="application/pdf",
            task_id=task_id,
            lot_id=9,
            created_at=created_at,
            expires_at=created_at + timedelta(days=30),
        )

    with session_scope(engine) as session:
        row_id = record(session, first, t0, "task-1").id
    with session_scope(engine) as session:
        # Same session sees its own earlier row refreshed, not a stale copy from the identity map.
        loaded = find_artifact(session, first.path)
        assert loaded is not None and loaded.sha256 == "a" * 64
        again = record(session, retry, t0 + timedelta(minutes=5), "task-2")
        assert again is loaded
        assert again.id == row_id
        assert (again.size_bytes, again.sha256, again.task_id) == (120, "b" * 64, "task-2")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Artifact)) == 1
        row = find_artifact(session, first.path)
        assert row is not None
        assert row.created_at.replace(tzinfo=UTC) == t0 + timedelta(minutes=5)
        assert row.expires_at is not None
        assert row.expires_at.replace(tzinfo=UTC) == t0 + timedelta(minutes=5, days=30)
        assert find_artifact(session, "reports/missing.pdf") is None
    engine.dispose()


# ---------------------------------------------------------------------------------------------- activities


@pytest.fixture
def farm_copy(tmp_path: Path, loaded_farms: LoadedFarms) -> str:
    """A private copy of the small farm (SQLite), which the activities may write artifact rows into."""
    shared = make_url(loaded_farms.url("sqlite")).database
    assert shared is not None
    copy = tmp_path / "farm.db"
    shutil.copyfile(shared, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def isolated_settings(tmp_path: Path, farm_copy: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    artifact_dir = tmp_path / "artifacts"
    monkeypatch.setenv("DATABASE_URL", farm_copy)
    monkeypatch.setenv("ARTIFACT_DIR", str(artifact_dir))
    get_settings.cache_clear()
    yield artifact_dir
    get_settings.cache_clear()


RUN_ID = "0199d7a5-3b2c-7e41-9f00-12ab34cd56ef"


def run(task_id: str = "lot-pdf-3472-complete.34cd56ef", run_id: str = RUN_ID) -> ExportRun:
    return ExportRun(task_id=task_id, run_id=run_id, generated_at=GENERATED_AT)


def activity_env() -> tuple[ActivityEnvironment, list[tuple[Any, ...]]]:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, activity_type="render_lot_report")
    beats: list[tuple[Any, ...]] = []
    env.on_heartbeat = lambda *details: beats.append(details)
    return env, beats


def test_render_activity_is_idempotent(isolated_settings: Path, farm_copy: str) -> None:
    request = LotPdfReportRequest(run=run(), params=LotPdfReportInput(lot_id=3472, report_type="complete"))
    env, beats = activity_env()
    first = env.run(lot_pdf_report.render_lot_report, request)
    again = env.run(lot_pdf_report.render_lot_report, request)

    assert first == again
    # This run's own file; the seed's name without the run tag is its alias.
    own = f"reports/lot_3472_complete_20260108_r{run_tag(RUN_ID)}.pdf"
    assert first.pdf_url == f"/exports/{own}"
    assert first.generated_at == GENERATED_AT
    pdf = (isolated_settings / own).read_bytes()
    engine = make_engine(farm_copy)
    with session_scope(engine) as session:
        data = queries.lot_report_data(session, 3472)
    assert data is not None
    assert pdf == render_lot_pdf(data, "complete", generated_at=GENERATED_AT)
    assert (first.file_size, first.sha256) == (len(pdf), hashlib.sha256(pdf).hexdigest())
    # Progress is in the heartbeats: every attempt reports its stages, in order, the last one saving the file.
    stages = [details[0].percent for details in beats]
    assert stages == sorted(stages[: len(stages) // 2]) * 2 and len(stages) >= 6
    assert beats[-1][0].stage == "enregistrement du fichier"

    with session_scope(engine) as session:
        rows = session.scalars(select(Artifact)).all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.path, row.alias_path, row.sha256, row.size_bytes) == (
            own,
            "reports/lot_3472_complete_20260108.pdf",
            first.sha256,
            len(pdf),
        )
        assert (row.task_id, row.run_id, row.lot_id, row.kind, row.content_type) == (
            "lot-pdf-3472-complete.34cd56ef",
            RUN_ID,
            3472,
            "lot_pdf_report",
            "application/pdf",
        )
        assert row.expires_at is not None
        assert row.expires_at.replace(tzinfo=UTC) == GENERATED_AT + timedelta(days=30)
    engine.dispose()


def test_lookup_activity_finds_the_lot_and_its_site(isolated_settings: Path) -> None:
    env, _ = activity_env()
    found = env.run(lot_pdf_report.find_report_lot, LotPdfReportInput(lot_id=3472))
    assert found.lot_id == 3472 and found.site_code in {"LL", "LS", "MT"}


def test_an_unknown_lot_is_non_retryable(isolated_settings: Path) -> None:
    env, _ = activity_env()
    missing = LotPdfReportInput(lot_id=999999)
    for attempt in (
        lambda: env.run(lot_pdf_report.find_report_lot, missing),
        lambda: env.run(lot_pdf_report.render_lot_report, LotPdfReportRequest(run=run(), params=missing)),
    ):
        with pytest.raises(ApplicationError) as caught:
            attempt()
        assert caught.value.type == "LotNotFound"
        assert caught.value.non_retryable
        assert "lot 999999 not found" in str(caught.value)
    assert not isolated_settings.exists() or not any(p.is_file() for p in isolated_settings.rglob("*"))


@pytest.mark.parametrize("discard", ["task", "run"])
def test_discarding_removes_the_runs_file_and_row(
    isolated_settings: Path, farm_copy: str, discard: str
) -> None:
    env, _ = activity_env()
    params = LotPdfReportInput(lot_id=3472, report_type="summary")
    earlier = env.run(
        lot_pdf_report.render_lot_report,
        LotPdfReportRequest(run=run("earlier.0a1b2c3d", "r-1"), params=params),
    )
    doomed_run = run("doomed.0a1b2c3d", "r-2")
    result = env.run(lot_pdf_report.render_lot_report, LotPdfReportRequest(run=doomed_run, params=params))
    path = isolated_settings / result.pdf_url.removeprefix("/exports/")
    assert path.is_file()
    if discard == "task":
        assert env.run(discard_task_artifacts, "doomed.0a1b2c3d") == 1
        assert env.run(discard_task_artifacts, "doomed.0a1b2c3d") == 0
    else:
        assert env.run(discard_export_run, doomed_run) == 1
        assert env.run(discard_export_run, doomed_run) == 0
    assert not path.exists()
    # The earlier run keeps its file, and the seed's name serves it again.
    assert (isolated_settings / earlier.pdf_url.removeprefix("/exports/")).is_file()
    engine = make_engine(farm_copy)
    with session_scope(engine) as session:
        assert [row.path for row in session.scalars(select(Artifact))] == [
            earlier.pdf_url.removeprefix("/exports/")
        ]
        alias = resolve_artifact(session, "reports/lot_3472_summary_20260108.pdf")
        assert alias is not None and alias.sha256 == earlier.sha256
    engine.dispose()
