"""venue reception: check-ins on bookings, every scan kept once, reception accounts bound to a venue

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (a batch copy of ``bookings`` on SQLite would risk its partial unique
    # index); the foreign keys are added where ALTER TABLE can add them (PostgreSQL).
    op.add_column("bookings", sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("bookings", sa.Column("checked_in_desk", sa.String(length=64), nullable=True))
    op.add_column("bookings", sa.Column("checked_in_by", sa.Integer(), nullable=True))
    op.add_column("operators", sa.Column("venue_id", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name != "sqlite":
        op.create_foreign_key(
            "fk_bookings_checked_in_by_operators", "bookings", "operators", ["checked_in_by"], ["id"]
        )
        op.create_foreign_key("fk_operators_venue_id_venues", "operators", "venues", ["venue_id"], ["id"])
    op.create_table(
        "checkin_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.String(length=64), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("desk", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("barcode", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"], name="fk_checkin_scans_venue_id_venues"),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_checkin_scans_operator_id_operators"
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_checkin_scans_resident_id_residents"
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name="fk_checkin_scans_booking_id_bookings"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_checkin_scans"),
        sa.UniqueConstraint("scan_id", name="uq_checkin_scans_scan_id"),
    )
    op.create_index("ix_checkin_scans_venue_id", "checkin_scans", ["venue_id"])
    op.create_index("ix_checkin_scans_resident_id", "checkin_scans", ["resident_id"])


def downgrade() -> None:
    op.drop_index("ix_checkin_scans_resident_id", table_name="checkin_scans")
    op.drop_index("ix_checkin_scans_venue_id", table_name="checkin_scans")
    op.drop_table("checkin_scans")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_operators_venue_id_venues", "operators", type_="foreignkey")
        op.drop_constraint("fk_bookings_checked_in_by_operators", "bookings", type_="foreignkey")
    for table, column in (("operators", "venue_id"), ("bookings", "checked_in_by"),
                          ("bookings", "checked_in_desk"), ("bookings", "checked_in_at")):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
