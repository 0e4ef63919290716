"""farm schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 02:23:17.887033
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "abattoirs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nom", sa.String(length=80), nullable=False),
        sa.Column("capacite_journaliere", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abattoirs")),
        sa.UniqueConstraint("nom", name=op.f("uq_abattoirs_nom")),
    )
    op.create_table(
        "artifacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("content_type", sa.String(length=80), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.String(length=200), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifacts")),
        sa.UniqueConstraint("path", name=op.f("uq_artifacts_path")),
    )
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_artifacts_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_artifacts_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_artifacts_task_id"), ["task_id"], unique=False)

    op.create_table(
        "ml_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_name", sa.String(length=60), nullable=False),
        sa.Column("workflow_id", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("site_code", sa.String(length=2), nullable=True),
        sa.Column("engine", sa.String(length=40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ml_results")),
        sa.UniqueConstraint("workflow_id", "run_id", name="uq_ml_results_run"),
    )
    with op.batch_alter_table("ml_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ml_results_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_ml_results_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ml_results_task_name"), ["task_name"], unique=False)

    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_messages")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbound_messages_idempotency_key")),
    )
    op.create_table(
        "sites",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("nom", sa.String(length=80), nullable=False),
        sa.Column("region", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_sites")),
    )
    op.create_table(
        "abattoir_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("abattoir_id", sa.Integer(), nullable=False),
        sa.Column("site_code", sa.String(length=2), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=False),
        sa.Column("cout_par_canard_eur", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["abattoir_id"],
            ["abattoirs.id"],
            name=op.f("fk_abattoir_routes_abattoir_id_abattoirs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_code"], ["sites.code"], name=op.f("fk_abattoir_routes_site_code_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abattoir_routes")),
        sa.UniqueConstraint("abattoir_id", "site_code", name="uq_abattoir_routes_pair"),
    )
    op.create_table(
        "gaveurs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_code", sa.String(length=2), nullable=False),
        sa.Column("nom", sa.String(length=80), nullable=False),
        sa.Column("prenom", sa.String(length=80), nullable=False),
        sa.Column("telephone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(["site_code"], ["sites.code"], name=op.f("fk_gaveurs_site_code_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gaveurs")),
    )
    with op.batch_alter_table("gaveurs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gaveurs_site_code"), ["site_code"], unique=False)

    op.create_table(
        "lots_gavage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_lot", sa.String(length=12), nullable=False),
        sa.Column("site_code", sa.String(length=2), nullable=False),
        sa.Column("gaveur_id", sa.Integer(), nullable=False),
        sa.Column("genetique", sa.String(length=20), nullable=False),
        sa.Column("debut_gavage", sa.Date(), nullable=False),
        sa.Column("duree_gavage", sa.SmallInteger(), nullable=False),
        sa.Column("statut", sa.String(length=12), nullable=False),
        sa.Column("nb_canards_places", sa.Integer(), nullable=False),
        sa.Column("nb_canards_morts", sa.Integer(), nullable=False),
        sa.Column("poids_moyen_initial_g", sa.Float(), nullable=False),
        sa.Column("poids_foie_moyen_g", sa.Float(), nullable=True),
        sa.Column("date_abattage", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["gaveur_id"], ["gaveurs.id"], name=op.f("fk_lots_gavage_gaveur_id_gaveurs")),
        sa.ForeignKeyConstraint(["site_code"], ["sites.code"], name=op.f("fk_lots_gavage_site_code_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lots_gavage")),
        sa.UniqueConstraint("code_lot", name=op.f("uq_lots_gavage_code_lot")),
    )
    with op.batch_alter_table("lots_gavage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lots_gavage_debut_gavage"), ["debut_gavage"], unique=False)
        batch_op.create_index(batch_op.f("ix_lots_gavage_gaveur_id"), ["gaveur_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lots_gavage_site_code"), ["site_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_lots_gavage_statut"), ["statut"], unique=False)

    op.create_table(
        "consumer_feedbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("email", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["lots_gavage.id"],
            name=op.f("fk_consumer_feedbacks_lot_id_lots_gavage"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consumer_feedbacks")),
    )
    with op.batch_alter_table("consumer_feedbacks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consumer_feedbacks_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_consumer_feedbacks_lot_id"), ["lot_id"], unique=False)

    op.create_table(
        "gavage_data_lots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("jour_gavage", sa.SmallInteger(), nullable=False),
        sa.Column("repas", sa.String(length=5), nullable=False),
        sa.Column("dose_moyenne_g", sa.Float(), nullable=False),
        sa.Column("poids_moyen_g", sa.Float(), nullable=False),
        sa.Column("temperature_stabule_c", sa.Float(), nullable=False),
        sa.Column("humidite_stabule_pct", sa.Float(), nullable=False),
        sa.Column("horodatage", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["lots_gavage.id"],
            name=op.f("fk_gavage_data_lots_lot_id_lots_gavage"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gavage_data_lots")),
        sa.UniqueConstraint("lot_id", "jour_gavage", "repas", name="uq_gavage_data_lots_meal"),
    )
    op.create_table(
        "sensor_samples",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=16), nullable=False),
        sa.Column("horodatage", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tof_volume_mm3", sa.Float(), nullable=False),
        sa.Column("spectral_ratio", sa.Float(), nullable=False),
        sa.Column("fusion_final_score", sa.Float(), nullable=False),
        sa.Column("fusion_final_grade", sa.String(length=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["lots_gavage.id"],
            name=op.f("fk_sensor_samples_lot_id_lots_gavage"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensor_samples")),
    )
    with op.batch_alter_table("sensor_samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sensor_samples_horodatage"), ["horodatage"], unique=False)
        batch_op.create_index("ix_sensor_samples_lot_time", ["lot_id", "horodatage"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sensor_samples", schema=None) as batch_op:
        batch_op.drop_index("ix_sensor_samples_lot_time")
        batch_op.drop_index(batch_op.f("ix_sensor_samples_horodatage"))

    op.drop_table("sensor_samples")
    op.drop_table("gavage_data_lots")
    with op.batch_alter_table("consumer_feedbacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consumer_feedbacks_lot_id"))
        batch_op.drop_index(batch_op.f("ix_consumer_feedbacks_created_at"))

    op.drop_table("consumer_feedbacks")
    with op.batch_alter_table("lots_gavage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lots_gavage_statut"))
        batch_op.drop_index(batch_op.f("ix_lots_gavage_site_code"))
        batch_op.drop_index(batch_op.f("ix_lots_gavage_gaveur_id"))
        batch_op.drop_index(batch_op.f("ix_lots_gavage_debut_gavage"))

    op.drop_table("lots_gavage")
    with op.batch_alter_table("gaveurs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gaveurs_site_code"))

    op.drop_table("gaveurs")
    op.drop_table("abattoir_routes")
    op.drop_table("sites")
    op.drop_table("outbound_messages")
    with op.batch_alter_table("ml_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ml_results_task_name"))
        batch_op.drop_index(batch_op.f("ix_ml_results_lot_id"))
        batch_op.drop_index(batch_op.f("ix_ml_results_created_at"))

    op.drop_table("ml_results")
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_artifacts_task_id"))
        batch_op.drop_index(batch_op.f("ix_artifacts_lot_id"))
        batch_op.drop_index(batch_op.f("ix_artifacts_expires_at"))

    op.drop_table("artifacts")
    op.drop_table("abattoirs")
