"""returned postcards: scans (or AI-OCR rows) as read, and the review queue

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "postcard_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("image_hash", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("barcode", sa.String(length=32), nullable=True),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("readings", sa.JSON(), nullable=False),
        sa.Column("note_image", sa.Text(), nullable=False),
        sa.Column("card_image", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("intent_id", sa.Integer(), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_postcard_scans_resident_id_residents"
        ),
        sa.ForeignKeyConstraint(
            ["intent_id"], ["intents.id"], name="fk_postcard_scans_intent_id_intents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_postcard_scans"),
        sa.UniqueConstraint("image_hash", name="uq_postcard_scans_image_hash"),
    )
    op.create_index("ix_postcard_scans_barcode", "postcard_scans", ["barcode"])
    op.create_index("ix_postcard_scans_resident_id", "postcard_scans", ["resident_id"])
    op.create_index("ix_postcard_scans_status", "postcard_scans", ["status"])
    op.create_table(
        "postcard_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["postcard_scans.id"], name="fk_postcard_reviews_scan_id_postcard_scans"
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["operators.id"], name="fk_postcard_reviews_resolved_by_operators"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_postcard_reviews"),
        sa.UniqueConstraint("scan_id", name="uq_postcard_reviews_scan_id"),
    )
    op.create_index("ix_postcard_reviews_status", "postcard_reviews", ["status"])


def downgrade() -> None:
    op.drop_index("ix_postcard_reviews_status", table_name="postcard_reviews")
    op.drop_table("postcard_reviews")
    op.drop_index("ix_postcard_scans_status", table_name="postcard_scans")
    op.drop_index("ix_postcard_scans_resident_id", table_name="postcard_scans")
    op.drop_index("ix_postcard_scans_barcode", table_name="postcard_scans")
    op.drop_table("postcard_scans")
