"""gaveur segments, site production log, planted truths

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 14:16:50.210949

- gaveurs.segment / segment_updated_at: the performance segment the clustering writes back;
- site_daily_production: livers out of each site's processing line per open day (the Prophet series);
- planted_truths: what the demo generator planted, so ML results can score their recovery.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "planted_truths",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.String(length=10), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("truths", sa.JSON(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_planted_truths")),
    )
    op.create_table(
        "site_daily_production",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_code", sa.String(length=2), nullable=False),
        sa.Column("jour", sa.Date(), nullable=False),
        sa.Column("foies_produits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_code"], ["sites.code"], name=op.f("fk_site_daily_production_site_code_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_daily_production")),
        sa.UniqueConstraint("site_code", "jour", name="uq_site_daily_production_day"),
    )
    with op.batch_alter_table("gaveurs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("segment", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("segment_updated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gaveurs", schema=None) as batch_op:
        batch_op.drop_column("segment_updated_at")
        batch_op.drop_column("segment")
    op.drop_table("site_daily_production")
    op.drop_table("planted_truths")
