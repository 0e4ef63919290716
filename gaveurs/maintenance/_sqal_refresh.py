"""The SQL of the SQAL aggregates: hourly buckets recomputed or merged, then their days summed.

Used by aggregates.refresh_continuous_aggregates inside its transaction; see that module for the design.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from gaveurs.maintenance._sql import Dialect, day_param, recreate_temp_table

GRADES = (("grade_a_plus", "A+"), ("grade_a", "A"), ("grade_b", "B"), ("grade_c", "C"), ("grade_reject", "REJECT"))  # fmt: skip
_GRADE_COLUMNS = ", ".join(column for column, _ in GRADES)
STATS = f"sample_count, score_sum, score_mean, score_min, score_max, {_GRADE_COLUMNS}"
KEYS = "day, hour, lot_id, device_id, site_code"
TEMP_TABLES = ("tmp_sqal_hours", "tmp_sqal_hourly", "tmp_sqal_delta", "tmp_sqal_days")
_EARLIEST = date(1, 1, 1)  # "nothing sealed"


@dataclass(frozen=True)
class SqalWork:
    """Rows `after < id <= upto` are new. Days before `sealed_before` have lost raw rows to retention."""

    after: int
    upto: int
    recompute_all: bool
    sealed_before: date | None


def _raw_stats() -> str:
    grades = ", ".join(
        f"SUM(CASE WHEN s.fusion_final_grade = '{grade}' THEN 1 ELSE 0 END) AS {column}"
        for column, grade in GRADES
    )
    return (
        "COUNT(*) AS sample_count, SUM(s.fusion_final_score) AS score_sum, "
        "AVG(s.fusion_final_score) AS score_mean, MIN(s.fusion_final_score) AS score_min, "
        f"MAX(s.fusion_final_score) AS score_max, {grades}"
    )


def _recompute_unsealed(connection: Connection, sql: Dialect, work: SqalWork) -> None:
    """tmp_sqal_hourly ← the touched (or all) buckets of unsealed days, from all their raw rows."""
    day, hour = sql.of(sql.day, "s.horodatage"), sql.of(sql.hour, "s.horodatage")
    params = {"after": work.after, "upto": work.upto, "sealed": work.sealed_before or _EARLIEST}
    if work.recompute_all:
        source = f"""
            SELECT {day} AS day, {hour} AS hour, s.lot_id, s.device_id, l.site_code, {_raw_stats()}
            FROM sensor_samples s JOIN lots_gavage l ON l.id = s.lot_id
            WHERE s.id <= :upto AND {day} >= :sealed
            GROUP BY {day}, {hour}, s.lot_id, s.device_id, l.site_code"""
    else:
        # The touched buckets as time ranges, so the recompute reads raw rows through (lot_id, horodatage).
        recreate_temp_table(
            connection,
            "tmp_sqal_hours",
            f"""SELECT DISTINCT {day} AS day, {hour} AS hour, s.lot_id, s.device_id,
                       {sql.of(sql.hour_start, "s.horodatage")} AS starts,
                       {sql.of(sql.hour_end, "s.horodatage")} AS ends
                FROM sensor_samples s WHERE s.id > :after AND s.id <= :upto AND {day} >= :sealed""",
            params,
            day_param("sealed"),
        )
        source = f"""
            SELECT b.day, b.hour, s.lot_id, s.device_id, l.site_code, {_raw_stats()}
            FROM tmp_sqal_hours b
            JOIN sensor_samples s ON s.lot_id = b.lot_id AND s.horodatage >= b.starts
                 AND s.horodatage < b.ends AND s.device_id = b.device_id
            JOIN lots_gavage l ON l.id = s.lot_id
            WHERE s.id <= :upto
            GROUP BY b.day, b.hour, s.lot_id, s.device_id, l.site_code"""
    recreate_temp_table(connection, "tmp_sqal_hourly", source, params, day_param("sealed"))


def _merge_sealed(connection: Connection, sql: Dialect, work: SqalWork) -> None:
    """tmp_sqal_hourly += sealed buckets as stored plus their new rows (their other raw rows are gone)."""
    day, hour = sql.of(sql.day, "s.horodatage"), sql.of(sql.hour, "s.horodatage")
    recreate_temp_table(
        connection,
        "tmp_sqal_delta",
        f"""SELECT {day} AS day, {hour} AS hour, s.lot_id, s.device_id, l.site_code, {_raw_stats()}
            FROM sensor_samples s JOIN lots_gavage l ON l.id = s.lot_id
            WHERE s.id > :after AND s.id <= :upto AND {day} < :sealed
            GROUP BY {day}, {hour}, s.lot_id, s.device_id, l.site_code""",
        {"after": work.after, "upto": work.upto, "sealed": work.sealed_before},
        day_param("sealed"),
    )
    grades = ", ".join(f"d.{column} + COALESCE(h.{column}, 0)" for column, _ in GRADES)
    connection.execute(
        text(f"""
            INSERT INTO tmp_sqal_hourly ({KEYS}, {STATS})
            SELECT d.day, d.hour, d.lot_id, d.device_id, d.site_code,
                   d.sample_count + COALESCE(h.sample_count, 0),
                   d.score_sum + COALESCE(h.score_sum, 0),
                   (d.score_sum + COALESCE(h.score_sum, 0)) / (d.sample_count + COALESCE(h.sample_count, 0)),
                   CASE WHEN h.score_min < d.score_min THEN h.score_min ELSE d.score_min END,
                   CASE WHEN h.score_max > d.score_max THEN h.score_max ELSE d.score_max END,
                   {grades}
            FROM tmp_sqal_delta d LEFT JOIN sqal_hourly_aggregates h
              ON h.day = d.day AND h.hour = d.hour AND h.lot_id = d.lot_id AND h.device_id = d.device_id""")
    )


def refresh_sqal(connection: Connection, sql: Dialect, work: SqalWork) -> tuple[int, int]:
    """Replace the touched hourly buckets, then recompute their days from the hourly rows.

    Returns (hourly rows written, daily rows written).
    """
    _recompute_unsealed(connection, sql, work)
    if work.sealed_before is not None:
        _merge_sealed(connection, sql, work)
    connection.execute(
        text("""DELETE FROM sqal_hourly_aggregates WHERE (day, hour, lot_id, device_id) IN (
                  SELECT day, hour, lot_id, device_id FROM tmp_sqal_hourly)""")
    )
    hourly = connection.execute(
        text(
            f"INSERT INTO sqal_hourly_aggregates ({KEYS}, {STATS}) SELECT {KEYS}, {STATS} FROM tmp_sqal_hourly"
        )
    ).rowcount

    # Days are always summed from the hourly rows, which are never deleted: right for sealed days too.
    recreate_temp_table(
        connection, "tmp_sqal_days", "SELECT DISTINCT day, lot_id, device_id FROM tmp_sqal_hourly"
    )
    connection.execute(
        text("""DELETE FROM sqal_daily_aggregates WHERE (day, lot_id, device_id) IN (
                  SELECT day, lot_id, device_id FROM tmp_sqal_days)""")
    )
    sums = ", ".join(f"SUM(h.{column})" for column, _ in GRADES)
    daily = connection.execute(
        text(f"""INSERT INTO sqal_daily_aggregates (day, lot_id, device_id, site_code, {STATS})
                 SELECT h.day, h.lot_id, h.device_id, h.site_code, SUM(h.sample_count), SUM(h.score_sum),
                        SUM(h.score_sum) / SUM(h.sample_count), MIN(h.score_min), MAX(h.score_max), {sums}
                 FROM sqal_hourly_aggregates h
                 JOIN tmp_sqal_days t ON t.day = h.day AND t.lot_id = h.lot_id AND t.device_id = h.device_id
                 GROUP BY h.day, h.lot_id, h.device_id, h.site_code""")
    ).rowcount
    return int(hourly), int(daily)
