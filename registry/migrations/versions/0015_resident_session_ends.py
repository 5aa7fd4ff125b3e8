"""residents' page sessions ended by the resident before their cookie expires

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resident_session_ends",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid", name="pk_resident_session_ends"),
    )
    op.create_index(
        "ix_resident_session_ends_expires_at", "resident_session_ends", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_resident_session_ends_expires_at", table_name="resident_session_ends")
    op.drop_table("resident_session_ends")
