"""residents' requests to be contacted (a booking change asked for on the web)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_contact_requests_resident_id_residents"
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_contact_requests_booking_id_bookings"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_contact_requests"),
    )
    op.create_index("ix_contact_requests_resident_id", "contact_requests", ["resident_id"])
    op.create_index("ix_contact_requests_status", "contact_requests", ["status"])


def downgrade() -> None:
    op.drop_index("ix_contact_requests_status", table_name="contact_requests")
    op.drop_index("ix_contact_requests_resident_id", table_name="contact_requests")
    op.drop_table("contact_requests")
