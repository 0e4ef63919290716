"""calculate_weekly_kpis: per site and per gaveur KPIs of one ISO week, upserted into `weekly_kpis`.

What a week counts (days are UTC dates; the ISO week runs Monday to Sunday):
- lots finished: finished lots (status termine/abattu, liver weight known) whose last feeding day,
  debut_gavage + duree_gavage − 1, falls in the week; ducks placed and dead, mortality % = dead / placed,
  mean liver weight per surviving duck, and ITM = corn eaten / liver produced over those surviving ducks
  (Σ dose_totale_kg × survivors / Σ liver_kg × survivors);
- SQAL grade mix and mean score of the samples measured during the week, read from the daily aggregates
  (they outlive raw-sample retention, so an old week can be recomputed);
- consumer feedback received during the week: count and mean rating.
Each is attributed to the lot's site and gaveur. Every site gets a row; a gaveur gets one when something of
the week concerns them. Recomputing a week upserts its rows and deletes the scopes that no longer apply.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, delete, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from gaveurs.contracts.maintenance import WeeklyKpiRow, WeeklyKpisResult
from gaveurs.db.models import Site, WeeklyKpi
from gaveurs.errors import InvalidIsoWeek
from gaveurs.maintenance._sql import ProgressCallback, day_param, no_progress, stamp, utc
from gaveurs.maintenance.aggregates import refresh_continuous_aggregates

FARM_TIME_ZONE = ZoneInfo("Europe/Paris")
_LONGEST_FEEDING_DAYS = 60  # generous bound on duree_gavage, to narrow the lots read for a week
_GRADE_COLUMNS = ("grade_a_plus", "grade_a", "grade_b", "grade_c", "grade_reject")
_ISO_WEEK = re.compile(r"(?P<year>\d{4})-W(?P<week>\d{2})")


def week_bounds(iso_week: str) -> tuple[date, date]:
    """Monday and Sunday of `2026-W44`; raises InvalidIsoWeek for anything else (2026-W4, 2026-W54 …)."""
    match = _ISO_WEEK.fullmatch(iso_week)
    try:
        if match is None:
            raise ValueError(iso_week)
        monday = date.fromisocalendar(int(match["year"]), int(match["week"]), 1)
    except ValueError:
        raise InvalidIsoWeek.error(f"{iso_week!r} is not an ISO week such as 2026-W44") from None
    return monday, monday + timedelta(days=6)


def previous_iso_week(moment: datetime) -> str:
    """The ISO week before the one `moment` falls in, in Paris (a Monday 07:00 run reports last week)."""
    local = utc(moment).astimezone(FARM_TIME_ZONE).date() - timedelta(days=7)
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class _Tally:
    site_code: str
    gaveur_id: int | None
    lots: int = 0
    placed: int = 0
    dead: int = 0
    survivors: int = 0
    liver_g_x_survivors: float = 0.0
    corn_kg_x_survivors: float = 0.0
    sqal_samples: int = 0
    score_sum: float = 0.0
    grades: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_GRADE_COLUMNS, 0))
    feedbacks: int = 0
    rating_sum: int = 0

    def row(self, iso_week: str, week_start: date) -> WeeklyKpiRow:
        scope = f"site:{self.site_code}" if self.gaveur_id is None else f"gaveur:{self.gaveur_id}"
        liver_kg = self.liver_g_x_survivors / 1000
        return WeeklyKpiRow(
            iso_week=iso_week,
            scope=scope,
            week_start=week_start,
            site_code=self.site_code,
            gaveur_id=self.gaveur_id,
            lots_finished=self.lots,
            ducks_placed=self.placed,
            ducks_dead=self.dead,
            mortality_pct=100 * self.dead / self.placed if self.placed else None,
            mean_liver_g=self.liver_g_x_survivors / self.survivors if self.survivors else None,
            itm=self.corn_kg_x_survivors / liver_kg if liver_kg else None,
            sqal_samples=self.sqal_samples,
            sqal_score_mean=self.score_sum / self.sqal_samples if self.sqal_samples else None,
            feedback_count=self.feedbacks,
            mean_rating=self.rating_sum / self.feedbacks if self.feedbacks else None,
            **self.grades,
        )


class _Tallies(dict[tuple[str, int | None], _Tally]):
    """One tally per site and per gaveur; every figure is added to both."""

    def both(self, site_code: str, gaveur_id: int) -> tuple[_Tally, _Tally]:
        return self.of(site_code, None), self.of(site_code, gaveur_id)

    def of(self, site_code: str, gaveur_id: int | None) -> _Tally:
        key = (site_code, gaveur_id)
        if key not in self:
            self[key] = _Tally(site_code, gaveur_id)
        return self[key]


def _add_finished_lots(connection: Connection, tallies: _Tallies, monday: date, sunday: date) -> None:
    lots = connection.execute(
        text("""
            SELECT l.id, l.site_code, l.gaveur_id, l.debut_gavage, l.duree_gavage, l.nb_canards_places,
                   l.nb_canards_morts, l.poids_foie_moyen_g, SUM(g.dose_moyenne_g) / 1000.0
            FROM lots_gavage l JOIN gavage_data_lots g ON g.lot_id = l.id
            WHERE l.statut IN ('termine', 'abattu') AND l.poids_foie_moyen_g IS NOT NULL
              AND l.debut_gavage BETWEEN :earliest AND :sunday
            GROUP BY l.id, l.site_code, l.gaveur_id, l.debut_gavage, l.duree_gavage, l.nb_canards_places,
                     l.nb_canards_morts, l.poids_foie_moyen_g""").bindparams(
            day_param("earliest"), day_param("sunday")
        ),
        {"earliest": monday - timedelta(days=_LONGEST_FEEDING_DAYS), "sunday": sunday},
    ).all()
    for _id, site, gaveur, start, duration, placed, dead, liver, corn_kg in lots:
        start = start if isinstance(start, date) else date.fromisoformat(start)
        if not monday <= start + timedelta(days=int(duration) - 1) <= sunday:
            continue
        survivors = int(placed) - int(dead)
        for tally in tallies.both(site, int(gaveur)):
            tally.lots += 1
            tally.placed += int(placed)
            tally.dead += int(dead)
            tally.survivors += survivors
            tally.liver_g_x_survivors += float(liver) * survivors
            tally.corn_kg_x_survivors += float(corn_kg) * survivors


def _add_sqal(connection: Connection, tallies: _Tallies, monday: date, sunday: date) -> None:
    grades = ", ".join(f"SUM(a.{column})" for column in _GRADE_COLUMNS)
    rows = connection.execute(
        text(f"""
            SELECT l.site_code, l.gaveur_id, SUM(a.sample_count), SUM(a.score_sum), {grades}
            FROM sqal_daily_aggregates a JOIN lots_gavage l ON l.id = a.lot_id
            WHERE a.day BETWEEN :monday AND :sunday
            GROUP BY l.site_code, l.gaveur_id""").bindparams(day_param("monday"), day_param("sunday")),
        {"monday": monday, "sunday": sunday},
    ).all()
    for site, gaveur, samples, score_sum, *grade_counts in rows:
        for tally in tallies.both(site, int(gaveur)):
            tally.sqal_samples += int(samples)
            tally.score_sum += float(score_sum)
            for column, count in zip(_GRADE_COLUMNS, grade_counts, strict=True):
                tally.grades[column] += int(count)


def _add_feedback(connection: Connection, tallies: _Tallies, monday: date, sunday: date) -> None:
    begins = datetime.combine(monday, datetime.min.time(), UTC)
    rows = connection.execute(
        text("""
            SELECT l.site_code, l.gaveur_id, COUNT(*), SUM(f.rating)
            FROM consumer_feedbacks f JOIN lots_gavage l ON l.id = f.lot_id
            WHERE f.created_at >= :begins AND f.created_at < :ends
            GROUP BY l.site_code, l.gaveur_id""").bindparams(stamp("begins"), stamp("ends")),
        {"begins": begins, "ends": begins + timedelta(days=7)},
    ).all()
    for site, gaveur, count, rating_sum in rows:
        for tally in tallies.both(site, int(gaveur)):
            tally.feedbacks += int(count)
            tally.rating_sum += int(rating_sum)


def _store(
    connection: Connection, iso_week: str, rows: list[WeeklyKpiRow], computed_at: datetime
) -> tuple[int, int]:
    """Upsert the week's rows, then delete its scopes that are gone; returns (upserted, deleted)."""
    if rows:
        values: list[dict[str, Any]] = [{**row.model_dump(), "computed_at": computed_at} for row in rows]
        kept = {"iso_week", "scope"}
        if connection.dialect.name == "sqlite":
            sqlite_stmt = sqlite_insert(WeeklyKpi).values(values)
            updates = {name: sqlite_stmt.excluded[name] for name in values[0] if name not in kept}
            connection.execute(
                sqlite_stmt.on_conflict_do_update(index_elements=["iso_week", "scope"], set_=updates)
            )
        else:
            pg_stmt = postgresql_insert(WeeklyKpi).values(values)
            updates = {name: pg_stmt.excluded[name] for name in values[0] if name not in kept}
            connection.execute(
                pg_stmt.on_conflict_do_update(index_elements=["iso_week", "scope"], set_=updates)
            )
    stale = connection.execute(
        delete(WeeklyKpi).where(
            WeeklyKpi.iso_week == iso_week, WeeklyKpi.scope.not_in([row.scope for row in rows])
        )
    ).rowcount
    return len(rows), int(stale)


def calculate_weekly_kpis(
    engine: Engine,
    iso_week: str,
    *,
    refresh_aggregates: bool = True,
    now: datetime | None = None,
    on_progress: ProgressCallback = no_progress,
) -> WeeklyKpisResult:
    """Compute and store the KPIs of `iso_week` (e.g. `2026-W44`); see the module docstring for definitions.

    The SQAL figures come from the aggregates, so they are refreshed first (incremental, usually nothing to
    do) unless the caller just did. Raises InvalidIsoWeek for a malformed week.
    """
    started = time.perf_counter()
    monday, sunday = week_bounds(iso_week)
    computed_at = utc(now or datetime.now(UTC))
    if refresh_aggregates:
        on_progress(5, "mise à jour des agrégats SQAL")
        refresh_continuous_aggregates(engine, now=computed_at)
    on_progress(30, f"indicateurs de la semaine {iso_week}")
    with engine.begin() as connection:
        tallies = _Tallies()
        for site in connection.scalars(select(Site.code).order_by(Site.code)):
            tallies.of(site, None)
        _add_finished_lots(connection, tallies, monday, sunday)
        _add_sqal(connection, tallies, monday, sunday)
        _add_feedback(connection, tallies, monday, sunday)
        rows = [
            tallies[key].row(iso_week, monday) for key in sorted(tallies, key=lambda k: (k[0], k[1] or 0))
        ]
        on_progress(80, "enregistrement")
        upserted, deleted = _store(connection, iso_week, rows, computed_at)
    on_progress(100, "indicateurs enregistrés")
    by_scope: defaultdict[bool, list[WeeklyKpiRow]] = defaultdict(list)
    for row in rows:
        by_scope[row.gaveur_id is None].append(row)
    return WeeklyKpisResult(
        iso_week=iso_week,
        week_start=monday,
        week_end=sunday,
        sites=by_scope[True],
        gaveurs=by_scope[False],
        rows_upserted=upserted,
        rows_deleted=deleted,
        duration_s=round(time.perf_counter() - started, 3),
    )
