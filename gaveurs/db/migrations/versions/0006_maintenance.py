"""maintenance: SQAL and feeding aggregates with their watermarks, weekly KPIs, health-check results

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-25 14:15:36.169602
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aggregate_watermarks",
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("sealed_before", sa.Date(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_aggregate_watermarks")),
    )
    op.create_table(
        "health_check_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_check_results")),
        sa.UniqueConstraint("workflow_id", "run_id", name="uq_health_check_results_run"),
    )
    with op.batch_alter_table("health_check_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_health_check_results_checked_at"), ["checked_at"], unique=False)

    op.create_table(
        "weekly_kpis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("iso_week", sa.String(length=8), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("site_code", sa.String(length=2), nullable=False),
        sa.Column("gaveur_id", sa.Integer(), nullable=True),
        sa.Column("lots_finished", sa.Integer(), nullable=False),
        sa.Column("ducks_placed", sa.Integer(), nullable=False),
        sa.Column("ducks_dead", sa.Integer(), nullable=False),
        sa.Column("mortality_pct", sa.Float(), nullable=True),
        sa.Column("mean_liver_g", sa.Float(), nullable=True),
        sa.Column("itm", sa.Float(), nullable=True),
        sa.Column("sqal_samples", sa.Integer(), nullable=False),
        sa.Column("sqal_score_mean", sa.Float(), nullable=True),
        sa.Column("grade_a_plus", sa.Integer(), nullable=False),
        sa.Column("grade_a", sa.Integer(), nullable=False),
        sa.Column("grade_b", sa.Integer(), nullable=False),
        sa.Column("grade_c", sa.Integer(), nullable=False),
        sa.Column("grade_reject", sa.Integer(), nullable=False),
        sa.Column("feedback_count", sa.Integer(), nullable=False),
        sa.Column("mean_rating", sa.Float(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weekly_kpis")),
        sa.UniqueConstraint("iso_week", "scope", name="uq_weekly_kpis_week_scope"),
    )
    with op.batch_alter_table("weekly_kpis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_weekly_kpis_gaveur_id"), ["gaveur_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_weekly_kpis_iso_week"), ["iso_week"], unique=False)
        batch_op.create_index(batch_op.f("ix_weekly_kpis_site_code"), ["site_code"], unique=False)

    op.create_table(
        "gavage_daily_aggregates",
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("site_code", sa.String(length=2), nullable=False),
        sa.Column("jour_gavage", sa.SmallInteger(), nullable=False),
        sa.Column("meals", sa.SmallInteger(), nullable=False),
        sa.Column("dose_total_g", sa.Float(), nullable=False),
        sa.Column("dose_mean_g", sa.Float(), nullable=False),
        sa.Column("weight_mean_g", sa.Float(), nullable=False),
        sa.Column("temperature_mean_c", sa.Float(), nullable=False),
        sa.Column("humidity_mean_pct", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["lots_gavage.id"],
            name=op.f("fk_gavage_daily_aggregates_lot_id_lots_gavage"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("lot_id", "day", name=op.f("pk_gavage_daily_aggregates")),
    )
    with op.batch_alter_table("gavage_daily_aggregates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gavage_daily_aggregates_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_gavage_daily_aggregates_site_code"), ["site_code"], unique=False)

    op.create_table(
        "sqal_daily_aggregates",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=16), nullable=False),
        sa.Column("site_code", sa.String(length=2), nullable=False),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.Column("score_sum", sa.Float(), nullable=False),
        sa.Column("score_mean", sa.Float(), nullable=False),
        sa.Column("score_min", sa.Float(), nullable=False),
        sa.Column("score_max", sa.Float(), nullable=False),
        sa.Column("grade_a_plus", sa.Integer(), nullable=False),
        sa.Column("grade_a", sa.Integer(), nullable=False),
        sa.Column("grade_b", sa.Integer(), nullable=False),
        sa.Column("grade_c", sa.Integer(), nullable=False),
        sa.Column("grade_reject", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["lots_gavage.id"],
            name=op.f("fk_sqal_daily_aggregates_lot_id_lots_gavage"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day", "lot_id", "device_id", name=op.f("pk_sqal_daily_aggregates")),
    )
    with op.batch_alter_table("sqal_daily_aggregates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sqal_daily_aggregates_site_code"), ["site_code"], unique=False)

    op.create_table(
        "sqal_hourly_aggregates",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=16), nullable=False),
        sa.Column("site_code", sa.String(length=2), nullable=False),
        sa.Column("sample_count", sa.Integer(), nullable=False),
        sa.Column("score_sum", sa.Float(), nullable=False),
        sa.Column("score_mean", sa.Float(), nullable=False),
        sa.Column("score_min", sa.Float(), nullable=False),
        sa.Column("score_max", sa.Float(), nullable=False),
        sa.Column("grade_a_plus", sa.Integer(), nullable=False),
        sa.Column("grade_a", sa.Integer(), nullable=False),
        sa.Column("grade_b", sa.Integer(), nullable=False),
        sa.Column("grade_c", sa.Integer(), nullable=False),
        sa.Column("grade_reject", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["lots_gavage.id"],
            name=op.f("fk_sqal_hourly_aggregates_lot_id_lots_gavage"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("day", "hour", "lot_id", "device_id", name=op.f("pk_sqal_hourly_aggregates")),
    )
    with op.batch_alter_table("sqal_hourly_aggregates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sqal_hourly_aggregates_site_code"), ["site_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sqal_hourly_aggregates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sqal_hourly_aggregates_site_code"))

    op.drop_table("sqal_hourly_aggregates")
    with op.batch_alter_table("sqal_daily_aggregates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sqal_daily_aggregates_site_code"))

    op.drop_table("sqal_daily_aggregates")
    with op.batch_alter_table("gavage_daily_aggregates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gavage_daily_aggregates_site_code"))
        batch_op.drop_index(batch_op.f("ix_gavage_daily_aggregates_day"))

    op.drop_table("gavage_daily_aggregates")
    with op.batch_alter_table("weekly_kpis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weekly_kpis_site_code"))
        batch_op.drop_index(batch_op.f("ix_weekly_kpis_iso_week"))
        batch_op.drop_index(batch_op.f("ix_weekly_kpis_gaveur_id"))

    op.drop_table("weekly_kpis")
    with op.batch_alter_table("health_check_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_check_results_checked_at"))

    op.drop_table("health_check_results")
    op.drop_table("aggregate_watermarks")
