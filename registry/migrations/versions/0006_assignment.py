"""designated appointments: slot support (transport seats, wheelchair), venue distances by
district, the transport flag of a booking, and the days a resident cannot come

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slot_support",
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("transport_seats", sa.Integer(), server_default="0", nullable=False),
        sa.Column("transport_booked", sa.Integer(), server_default="0", nullable=False),
        sa.Column("wheelchair", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("pickup_minutes", sa.Integer(), server_default="45", nullable=False),
        sa.CheckConstraint(
            "transport_booked >= 0 AND transport_booked <= transport_seats",
            name="ck_slot_support_within_seats",
        ),
        sa.CheckConstraint("pickup_minutes >= 0", name="ck_slot_support_pickup_non_negative"),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["slots.id"], name="fk_slot_support_slot_id_slots", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("slot_id", name="pk_slot_support"),
    )
    op.create_table(
        "venue_distances",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(length=64), nullable=False),
        sa.Column("distance_m", sa.Integer(), nullable=False),
        sa.CheckConstraint("distance_m >= 0", name="ck_venue_distances_non_negative"),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venues.id"],
            name="fk_venue_distances_venue_id_venues",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("venue_id", "district", name="pk_venue_distances"),
    )
    op.create_table(
        "unavailable_days",
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_unavailable_days_resident_id_residents"
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_unavailable_days_booking_id_bookings"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["operators.id"], name="fk_unavailable_days_created_by_operators"
        ),
        sa.PrimaryKeyConstraint("resident_id", "day", name="pk_unavailable_days"),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("transport", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("transport")
    op.drop_table("unavailable_days")
    op.drop_table("venue_distances")
    op.drop_table("slot_support")
