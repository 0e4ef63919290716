"""abattage plans: slaughter plans and their lots, written idempotently by plan key

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25 14:21:13.171386
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "abattage_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_key", sa.String(length=200), nullable=False),
        sa.Column("date_debut", sa.Date(), nullable=False),
        sa.Column("date_fin", sa.Date(), nullable=False),
        sa.Column("total_cost", sa.Float(), nullable=False),
        sa.Column("greedy_cost", sa.Float(), nullable=True),
        sa.Column("optimization_ratio", sa.Float(), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("solver_status", sa.String(length=40), nullable=False),
        sa.Column("solve_seconds", sa.Float(), nullable=False),
        sa.Column("n_lots", sa.Integer(), nullable=False),
        sa.Column("n_canards", sa.Integer(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abattage_plans")),
        sa.UniqueConstraint("plan_key", name=op.f("uq_abattage_plans_plan_key")),
    )
    with op.batch_alter_table("abattage_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_abattage_plans_created_at"), ["created_at"], unique=False)

    op.create_table(
        "abattage_plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("abattoir_id", sa.Integer(), nullable=False),
        sa.Column("date_abattage", sa.Date(), nullable=False),
        sa.Column("nb_canards", sa.Integer(), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=False),
        sa.Column("jours_attente", sa.SmallInteger(), nullable=False),
        sa.Column("cout_transport_eur", sa.Float(), nullable=False),
        sa.Column("cout_attente_eur", sa.Float(), nullable=False),
        sa.Column("cout_eur", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["abattoir_id"], ["abattoirs.id"], name=op.f("fk_abattage_plan_items_abattoir_id_abattoirs")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["lots_gavage.id"],
            name=op.f("fk_abattage_plan_items_lot_id_lots_gavage"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["abattage_plans.id"],
            name=op.f("fk_abattage_plan_items_plan_id_abattage_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abattage_plan_items")),
        sa.UniqueConstraint("plan_id", "lot_id", name="uq_abattage_plan_items_lot"),
    )
    with op.batch_alter_table("abattage_plan_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_abattage_plan_items_date_abattage"), ["date_abattage"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_abattage_plan_items_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_abattage_plan_items_plan_id"), ["plan_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("abattage_plan_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_abattage_plan_items_plan_id"))
        batch_op.drop_index(batch_op.f("ix_abattage_plan_items_lot_id"))
        batch_op.drop_index(batch_op.f("ix_abattage_plan_items_date_abattage"))

    op.drop_table("abattage_plan_items")
    with op.batch_alter_table("abattage_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_abattage_plans_created_at"))

    op.drop_table("abattage_plans")
