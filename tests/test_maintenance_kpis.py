"""calculate_weekly_kpis against KPIs computed in Python from the generator's raw rows, on both backends."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, func, select
from temporalio.exceptions import ApplicationError

from gaveurs.contracts.maintenance import WeeklyKpisInput
from gaveurs.db.models import WeeklyKpi
from gaveurs.db.session import session_scope
from gaveurs.farm.generator import FarmData
from gaveurs.maintenance.weekly_kpis import calculate_weekly_kpis, previous_iso_week, week_bounds
from tests.maintenance_support import GRADE_COLUMNS, as_utc, farm_samples, loaded_engine


@pytest.fixture
def engine(database_url: str, small_farm: FarmData) -> Iterator[Engine]:
    engine = loaded_engine(database_url, small_farm)
    try:
        yield engine
    finally:
        engine.dispose()


def column(farm: FarmData, table: str, name: str) -> list[Any]:
    return farm.table(table).values(name)


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def expected_kpis(farm: FarmData, week: str) -> dict[str, dict[str, Any]]:
    """The week's rows by scope, from the raw generated rows (no SQL)."""
    monday, sunday = week_bounds(week)
    ids = column(farm, "lots_gavage", "id")
    lot = {
        lot_id: dict(zip(("site", "gaveur", "start", "duration", "status", "placed", "dead", "liver"), values, strict=True))
        for lot_id, *values in zip(
            ids, *(column(farm, "lots_gavage", n) for n in ("site_code", "gaveur_id", "debut_gavage", "duree_gavage", "statut", "nb_canards_places", "nb_canards_morts", "poids_foie_moyen_g")),
            strict=True,
        )
    }  # fmt: skip
    corn_kg: defaultdict[int, float] = defaultdict(float)
    for lot_id, dose in zip(column(farm, "gavage_data_lots", "lot_id"), column(farm, "gavage_data_lots", "dose_moyenne_g"), strict=True):  # fmt: skip
        corn_kg[lot_id] += dose / 1000
    scopes: dict[str, dict[str, Any]] = {}

    def scope_rows(lot_id: int) -> list[dict[str, Any]]:
        facts = lot[lot_id]
        keys = [(f"site:{facts['site']}", None), (f"gaveur:{facts['gaveur']}", facts["gaveur"])]
        rows = []
        for scope, gaveur in keys:
            rows.append(scopes.setdefault(scope, blank(facts["site"], gaveur)))
        return rows

    def blank(site: str, gaveur: int | None) -> dict[str, Any]:
        return {"site_code": site, "gaveur_id": gaveur, "lots": 0, "placed": 0, "dead": 0, "survivors": 0,
                "liver": 0.0, "corn": 0.0, "scores": [], "grades": Counter(), "ratings": []}  # fmt: skip

    for site in column(farm, "sites", "code"):
        scopes[f"site:{site}"] = blank(site, None)
    for lot_id, facts in lot.items():
        start = facts["start"] if isinstance(facts["start"], date) else facts["start"].astype(date)
        last_day = start + timedelta(days=facts["duration"] - 1)
        if (
            facts["status"] in ("termine", "abattu")
            and facts["liver"] is not None
            and monday <= last_day <= sunday
        ):
            survivors = facts["placed"] - facts["dead"]
            for row in scope_rows(lot_id):
                row["lots"] += 1
                row["placed"] += facts["placed"]
                row["dead"] += facts["dead"]
                row["survivors"] += survivors
                row["liver"] += facts["liver"] * survivors
                row["corn"] += corn_kg[lot_id] * survivors
    for sample in farm_samples(farm):
        if monday <= sample.stamp.date() <= sunday:
            for row in scope_rows(sample.lot_id):
                row["scores"].append(sample.score)
                row["grades"][GRADE_COLUMNS[sample.grade]] += 1
    feedback = zip(column(farm, "consumer_feedbacks", "lot_id"), column(farm, "consumer_feedbacks", "rating"), np.asarray(farm.table("consumer_feedbacks").column("created_at")), strict=True)  # fmt: skip
    for lot_id, rating, created in feedback:
        if monday <= as_utc(created).date() <= sunday:
            for row in scope_rows(lot_id):
                row["ratings"].append(rating)

    return {
        scope: {
            "site_code": r["site_code"], "gaveur_id": r["gaveur_id"], "week_start": monday,
            "lots_finished": r["lots"], "ducks_placed": r["placed"], "ducks_dead": r["dead"],
            "mortality_pct": 100 * r["dead"] / r["placed"] if r["placed"] else None,
            "mean_liver_g": r["liver"] / r["survivors"] if r["survivors"] else None,
            "itm": r["corn"] / (r["liver"] / 1000) if r["liver"] else None,
            "sqal_samples": len(r["scores"]),
            "sqal_score_mean": sum(r["scores"]) / len(r["scores"]) if r["scores"] else None,
            **{name: r["grades"][name] for name in GRADE_COLUMNS.values()},
            "feedback_count": len(r["ratings"]),
            "mean_rating": sum(r["ratings"]) / len(r["ratings"]) if r["ratings"] else None,
        }
        for scope, r in scopes.items()
    }  # fmt: skip


def stored_kpis(engine: Engine, week: str) -> dict[str, dict[str, Any]]:
    with session_scope(engine) as session:
        rows = session.scalars(select(WeeklyKpi).where(WeeklyKpi.iso_week == week)).all()
        return {
            row.scope: {c.name: getattr(row, c.name) for c in WeeklyKpi.__table__.columns if c.name not in ("id", "iso_week", "scope", "computed_at")}
            for row in rows
        }  # fmt: skip


def assert_same(stored: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]]) -> None:
    assert stored.keys() == expected.keys()
    for scope, values in expected.items():
        for name, value in values.items():
            if isinstance(value, float):
                assert stored[scope][name] == pytest.approx(value, rel=1e-9), (scope, name)
            else:
                assert stored[scope][name] == value, (scope, name)


def busiest_weeks(farm: FarmData) -> list[str]:
    """Weeks that exercise every figure: most lots ending, most SQAL samples, most feedback, the last one."""
    ends = Counter(
        iso_week(start.astype(date) + timedelta(days=int(duration) - 1))
        for start, duration in zip(np.asarray(farm.table("lots_gavage").column("debut_gavage")), column(farm, "lots_gavage", "duree_gavage"), strict=True)
    )  # fmt: skip
    samples = Counter(iso_week(s.stamp.date()) for s in farm_samples(farm))
    ratings = Counter(iso_week(as_utc(c).date()) for c in np.asarray(farm.table("consumer_feedbacks").column("created_at")))  # fmt: skip
    last = iso_week(farm.truths.today - timedelta(days=1))
    return sorted(
        {ends.most_common(1)[0][0], samples.most_common(1)[0][0], ratings.most_common(1)[0][0], last}
    )


def test_kpis_equal_the_raw_rows_for_busy_weeks(engine: Engine, small_farm: FarmData) -> None:
    weeks = busiest_weeks(small_farm)
    assert len(weeks) >= 3
    for week in weeks:
        result = calculate_weekly_kpis(engine, week)
        expected = expected_kpis(small_farm, week)
        assert_same(stored_kpis(engine, week), expected)
        assert result.rows_upserted == len(expected) and result.rows_deleted == 0
        assert {row.scope for row in result.sites} == {f"site:{code}" for code in ("LL", "LS", "MT")}
        assert len(result.gaveurs) == len(expected) - 3
        assert result.week_start == week_bounds(week)[0] and result.week_end == week_bounds(week)[1]
    # Every figure is exercised somewhere, not only zeros.
    everything = [row for week in weeks for row in stored_kpis(engine, week).values()]
    for name in ("lots_finished", "sqal_samples", "feedback_count", "grade_a", "grade_reject"):
        assert any(row[name] for row in everything), name
    assert any(row["itm"] and 2 < row["itm"] < 20 for row in everything)


def test_a_quiet_week_has_site_rows_of_zeros(engine: Engine) -> None:
    result = calculate_weekly_kpis(engine, "2023-W10")
    assert [row.scope for row in result.sites] == ["site:LL", "site:LS", "site:MT"] and result.gaveurs == []
    assert all(
        row.lots_finished == 0 and row.mortality_pct is None and row.mean_rating is None
        for row in result.sites
    )


def test_recomputing_a_week_upserts_and_drops_scopes_that_no_longer_apply(
    engine: Engine, small_farm: FarmData
) -> None:
    week = busiest_weeks(small_farm)[0]
    first = calculate_weekly_kpis(engine, week, now=datetime(2026, 11, 2, 7, tzinfo=UTC))
    with session_scope(engine) as session:
        stale = WeeklyKpi(**{**first.gaveurs[0].model_dump(), "scope": "gaveur:9999", "gaveur_id": 9999}, computed_at=datetime.now(UTC))  # fmt: skip
        session.add(stale)
        ids_before = dict(session.execute(select(WeeklyKpi.scope, WeeklyKpi.id).where(WeeklyKpi.iso_week == week)).all())  # fmt: skip
    again = calculate_weekly_kpis(engine, week, now=datetime(2026, 11, 9, 7, tzinfo=UTC))
    assert again.rows_deleted == 1 and again.rows_upserted == first.rows_upserted
    assert_same(stored_kpis(engine, week), expected_kpis(small_farm, week))
    with session_scope(engine) as session:
        ids_after = dict(session.execute(select(WeeklyKpi.scope, WeeklyKpi.id).where(WeeklyKpi.iso_week == week)).all())  # fmt: skip
        computed = set(session.scalars(select(WeeklyKpi.computed_at).where(WeeklyKpi.iso_week == week)))
        total = session.scalar(select(func.count()).select_from(WeeklyKpi))
    # Same rows updated in place (an upsert), not deleted and re-inserted.
    assert ids_after == {scope: ident for scope, ident in ids_before.items() if scope != "gaveur:9999"}
    assert {as_utc(c) for c in computed} == {datetime(2026, 11, 9, 7, tzinfo=UTC)}
    assert total == len(ids_after)


@pytest.mark.parametrize("bad", ["2026-W54", "2026-44", "2026-W4", "semaine 44", ""])
def test_a_malformed_week_is_a_clear_non_retryable_error(bad: str) -> None:
    with pytest.raises(ApplicationError) as raised:
        week_bounds(bad)
    assert (
        raised.value.type == "InvalidIsoWeek"
        and raised.value.non_retryable
        and "2026-W44" in str(raised.value)
    )


def test_the_scheduled_run_reports_the_previous_week_in_paris() -> None:
    # Monday 2 November 2026 is in ISO week 45; the 07:00 run (06:00 UTC) reports week 44.
    assert previous_iso_week(datetime(2026, 11, 2, 6, tzinfo=UTC)) == "2026-W44"
    # 00:30 on that Monday in Paris is still Sunday in UTC: the week is taken in Paris.
    assert previous_iso_week(datetime(2026, 11, 1, 23, 30, tzinfo=UTC)) == "2026-W44"
    assert previous_iso_week(datetime(2026, 1, 5, 6, tzinfo=UTC)) == "2026-W01"
    assert previous_iso_week(datetime(2027, 1, 4, 6, tzinfo=UTC)) == "2026-W53"


def test_the_input_refuses_a_week_the_year_does_not_have() -> None:
    assert WeeklyKpisInput(iso_week="2026-W53").iso_week == "2026-W53"  # 2026 has 53 ISO weeks
    for bad, why in (("2025-W53", "2025 has no week 53"), ("2026-W00", "no week 00"), ("2026-W4", "pattern")):
        with pytest.raises(ValidationError, match=why):
            WeeklyKpisInput(iso_week=bad)
