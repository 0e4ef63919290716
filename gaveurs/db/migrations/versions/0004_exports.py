"""exports: run-specific artifacts with seed-name aliases, traceability certificates

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("alias_path", sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_artifacts_alias_path"), ["alias_path"], unique=False)

    op.create_table(
        "certificates",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("code_lot", sa.String(length=12), nullable=False),
        sa.Column("certificate_type", sa.String(length=20), nullable=False),
        sa.Column("chain_head_hash", sa.String(length=64), nullable=False),
        sa.Column("previous_certificate_hash", sa.String(length=64), nullable=False),
        sa.Column("certificate_hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("public_key_id", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("scheme", sa.String(length=40), nullable=False),
        sa.Column("records", sa.JSON(), nullable=False),
        sa.Column("task_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("certificate_hash", name=op.f("uq_certificates_certificate_hash")),
        sa.UniqueConstraint(
            "previous_certificate_hash", name=op.f("uq_certificates_previous_certificate_hash")
        ),
        sa.UniqueConstraint("seq", name=op.f("uq_certificates_seq")),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificates_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificates_public_key_id"), ["public_key_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificates_public_key_id"))
        batch_op.drop_index(batch_op.f("ix_certificates_lot_id"))
    op.drop_table("certificates")

    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_artifacts_alias_path"))
        batch_op.drop_column("alias_path")
        batch_op.drop_column("run_id")
