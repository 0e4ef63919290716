"""notifications: site managers, ledger columns for exactly-once e-mail and SMS, rate-limit buckets

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-25 14:13:57.264978
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_buckets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("refilled_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rate_limit_buckets")),
    )
    op.create_table(
        "site_managers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_code", sa.String(length=2), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("nom", sa.String(length=80), nullable=False),
        sa.Column("prenom", sa.String(length=80), nullable=False),
        sa.Column("telephone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(["site_code"], ["sites.code"], name=op.f("fk_site_managers_site_code_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_managers")),
    )
    with op.batch_alter_table("site_managers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_managers_site_code"), ["site_code"], unique=False)

    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.alter_column(
            "provider_id",
            existing_type=sa.VARCHAR(length=64),
            type_=sa.String(length=255),
            existing_nullable=True,
        )
        batch_op.create_unique_constraint(batch_op.f("uq_outbound_messages_provider_id"), ["provider_id"])


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outbound_messages_provider_id"), type_="unique")
        batch_op.alter_column(
            "provider_id",
            existing_type=sa.String(length=255),
            type_=sa.VARCHAR(length=64),
            existing_nullable=True,
        )
        batch_op.drop_column("last_error")

    with op.batch_alter_table("site_managers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_managers_site_code"))

    op.drop_table("site_managers")
    op.drop_table("rate_limit_buckets")
