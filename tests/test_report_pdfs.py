"""The three PDF reports (lot, site, weekly) as a reader sees them: rendered to PNG, not blank, numbered pages,
French figures that match the generated farm, identical bytes on a retry."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine
from temporalio.exceptions import ApplicationError

from gaveurs.contracts.exports import ReportType
from gaveurs.contracts.report_data import SiteReportData
from gaveurs.db.session import session_scope
from gaveurs.farm import queries
from gaveurs.farm.generator import FarmData
from gaveurs.farm.truths import TODAY
from gaveurs.reports.layout import ProgressCallback, fr_number
from gaveurs.reports.lot_pdf import render_lot_pdf
from gaveurs.reports.site_data import last_week, site_report_data, weekly_report_data
from gaveurs.reports.site_pdf import render_site_pdf, render_weekly_site_pdf
from tests.fixtures_pdf import assert_pages_readable, page_texts
from tests.test_farm_generator import as_array

GENERATED_AT = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
PERIOD = (date(2026, 8, 1), date(2026, 10, 31))


def progress_recorder() -> tuple[list[tuple[int, str]], ProgressCallback]:
    seen: list[tuple[int, str]] = []

    def record(percent: int, stage: str) -> None:
        seen.append((percent, stage))

    return seen, record


def assert_progress(seen: list[tuple[int, str]]) -> None:
    percents = [percent for percent, _ in seen]
    assert percents == sorted(percents) and percents[0] <= 10 and percents[-1] == 100
    assert "mise en page" in {stage for _, stage in seen}


# --------------------------------------------------------------------------------------------------- lot


@pytest.mark.parametrize("report_type", ["summary", "complete"])
def test_lot_report_of_the_seed_lot_renders_readable_pages(
    farm_engine: Engine, pdftoppm: str, tmp_path: Path, report_type: ReportType
) -> None:
    with session_scope(farm_engine) as session:
        data = queries.lot_report_data(session, 3472)
    assert data is not None
    seen, record = progress_recorder()
    pdf = render_lot_pdf(data, report_type, generated_at=GENERATED_AT, on_progress=record)
    assert_progress(seen)
    texts = assert_pages_readable(pdftoppm, pdf, tmp_path)
    first = texts[0]
    for expected in (
        f"Rapport de lot {data.code_lot}",
        "CANARDS PLACÉS",
        fr_number(data.nb_canards_places).replace("\xa0", " "),
        "MORTALITÉ",
        f"{fr_number(100 * data.nb_canards_morts / data.nb_canards_places, 1)} %",
        "POIDS DE FOIE",
        "ITM",
        "GRADES SQAL A+ ET A",
        "Courbe de gavage",
        "Qualité SQAL",
    ):
        assert expected in first, expected
    assert len(texts) == (1 if report_type == "summary" else 2)
    assert ("Détail des repas" in "".join(texts)) == (report_type == "complete")


# -------------------------------------------------------------------------------------------------- site


def expected_site(farm: FarmData, site: str, start: date, end: date) -> dict[str, object]:
    """The site report's figures computed straight from the generated tables (no SQL)."""
    lots = farm.table("lots_gavage")
    ids = as_array(farm, "lots_gavage", "id")
    begin = as_array(farm, "lots_gavage", "debut_gavage").astype("datetime64[D]")
    days = as_array(farm, "lots_gavage", "duree_gavage")
    sites = as_array(farm, "lots_gavage", "site_code")
    last_day = begin + (days - 1).astype("timedelta64[D]")
    chosen = (sites == site) & (begin <= np.datetime64(end)) & (last_day >= np.datetime64(start))
    placed = as_array(farm, "lots_gavage", "nb_canards_places")[chosen]
    dead = as_array(farm, "lots_gavage", "nb_canards_morts")[chosen]
    livers = [lots.column("poids_foie_moyen_g")[int(i)] for i in np.flatnonzero(chosen)]
    alive = placed - dead
    weighed = [(liver, a) for liver, a in zip(livers, alive.tolist(), strict=True) if liver is not None]
    samples = np.isin(as_array(farm, "sensor_samples", "lot_id"), ids[chosen])
    grades = as_array(farm, "sensor_samples", "fusion_final_grade")[samples]
    return {
        "lots": int(chosen.sum()),
        "placed": int(placed.sum()),
        "dead": int(dead.sum()),
        "liver": sum(liver * a for liver, a in weighed) / sum(a for _, a in weighed),
        "grades": {str(g): int((grades == g).sum()) for g in set(grades.tolist())},
        "feedbacks": int(np.isin(as_array(farm, "consumer_feedbacks", "lot_id"), ids[chosen]).sum()),
    }


@pytest.fixture
def site_data(farm_engine: Engine) -> SiteReportData:
    with session_scope(farm_engine) as session:
        return site_report_data(session, "LL", *PERIOD)


def test_site_figures_match_the_generated_farm(site_data: SiteReportData, small_farm: FarmData) -> None:
    truth = expected_site(small_farm, "LL", *PERIOD)
    k = site_data.kpis
    assert (k.lots, k.nb_canards_places, k.nb_canards_morts) == (
        truth["lots"],
        truth["placed"],
        truth["dead"],
    )
    assert k.poids_foie_moyen_g == pytest.approx(truth["liver"], abs=0.06)
    assert k.sqal_grades == truth["grades"]
    assert k.feedback_count == truth["feedbacks"]
    assert [line.debut_gavage for line in site_data.lots] == sorted(
        line.debut_gavage for line in site_data.lots
    )
    assert sum(g.lots for g in site_data.gaveurs) == k.lots
    days = sorted({row.jour_gavage for row in site_data.feeding_curve})
    assert days[0] == 1 and len(days) >= 10


def test_site_report_renders_readable_numbered_pages(
    site_data: SiteReportData, pdftoppm: str, tmp_path: Path
) -> None:
    seen, record = progress_recorder()
    pdf = render_site_pdf(site_data, generated_at=GENERATED_AT, on_progress=record)
    assert_progress(seen)
    texts = assert_pages_readable(pdftoppm, pdf, tmp_path)
    whole = "\n".join(texts)
    for expected in (
        "Rapport de site LL",
        "du 01/08/2026 au 31/10/2026",
        "Courbe de gavage moyenne",
        "Poids de foie par lot",
        "Qualité SQAL",
        "Résultats par gaveur",
        "Lots de la période",
        f"{site_data.kpis.lots} lots en gavage sur la période",
    ):
        assert expected in whole, expected
    for line in site_data.lots:
        assert line.code_lot in whole
    assert render_site_pdf(site_data, generated_at=GENERATED_AT) == pdf
    assert render_site_pdf(site_data, generated_at=GENERATED_AT + timedelta(seconds=60)) != pdf


def test_site_report_refuses_bad_requests(farm_engine: Engine) -> None:
    with session_scope(farm_engine) as session:
        cases: tuple[tuple[Callable[[], object], str, str], ...] = (
            (lambda: site_report_data(session, "ZZ", *PERIOD), "SiteNotFound", "site 'ZZ' not found"),
            (
                lambda: site_report_data(session, "LL", PERIOD[1], PERIOD[0]),
                "InvalidDateRange",
                "date_debut (2026-10-31) is after date_fin (2026-08-01)",
            ),
            (
                lambda: site_report_data(session, "LL", date(2020, 1, 1), date(2020, 1, 31)),
                "EmptySelection",
                "no lot was being fed between 2020-01-01 and 2020-01-31",
            ),
        )
        for call, kind, words in cases:
            with pytest.raises(ApplicationError) as caught:
                call()
            assert caught.value.type == kind and caught.value.non_retryable
            assert words in str(caught.value)


# ------------------------------------------------------------------------------------------------ weekly


def test_last_week_is_the_complete_week_before() -> None:
    assert last_week(date(2026, 11, 2)) == date(2026, 10, 26)  # a Monday: the week that just ended
    assert last_week(date(2026, 11, 1)) == date(2026, 10, 19)  # a Sunday: its week is not over
    assert last_week(date(2026, 11, 4)) == date(2026, 10, 26)


def test_weekly_report_counts_the_week_and_renders(
    farm_engine: Engine, small_farm: FarmData, pdftoppm: str, tmp_path: Path
) -> None:
    monday = last_week(TODAY + timedelta(days=1))
    with session_scope(farm_engine) as session:
        data = weekly_report_data(session, "LL", monday)
    sunday = monday + timedelta(days=6)
    site = as_array(small_farm, "lots_gavage", "site_code") == "LL"
    begin = as_array(small_farm, "lots_gavage", "debut_gavage").astype("datetime64[D]")
    started = site & (begin >= np.datetime64(monday)) & (begin <= np.datetime64(sunday))
    assert data.this_week.lots_mis_en_place == int(started.sum()) > 0
    assert (data.iso_year, data.iso_week) == (2026, 44)
    assert data.site.date_debut == monday and data.site.date_fin == sunday

    pdf = render_weekly_site_pdf(data, generated_at=GENERATED_AT)
    texts = assert_pages_readable(pdftoppm, pdf, tmp_path)
    assert "Rapport hebdomadaire · semaine 44" in texts[0]
    assert "La semaine en bref" in texts[0]
    assert re.search(rf"Lots mis en place\s+{data.this_week.lots_mis_en_place}\s", texts[0])


def test_a_week_without_lots_still_gets_its_report(
    farm_engine: Engine, pdftoppm: str, tmp_path: Path
) -> None:
    with session_scope(farm_engine) as session:
        data = weekly_report_data(session, "MT", date(2023, 6, 5))  # before the farm's first lot
    assert data.site.lots == [] and data.this_week.lots_mis_en_place == 0
    pdf = render_weekly_site_pdf(data, generated_at=GENERATED_AT)
    assert_pages_readable(pdftoppm, pdf, tmp_path, min_ink=0.005)
    assert "Aucun lot n'était en gavage" in page_texts(pdf)[0]
    with session_scope(farm_engine) as session, pytest.raises(ApplicationError, match="starts on a Monday"):
        weekly_report_data(session, "MT", date(2023, 6, 6))
