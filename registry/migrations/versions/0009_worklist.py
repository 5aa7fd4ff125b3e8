"""the callback worklist: items to call back and the outcome of each attempt

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worklist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_ref", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("proposed_slot_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "resident_id IS NOT NULL OR phone IS NOT NULL", name="ck_worklist_items_has_whom"
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name="fk_worklist_items_resident_id_residents"
        ),
        sa.ForeignKeyConstraint(
            ["proposed_slot_id"], ["slots.id"], name="fk_worklist_items_proposed_slot_id_slots"
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by"], ["operators.id"], name="fk_worklist_items_claimed_by_operators"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_worklist_items"),
        sa.UniqueConstraint("source_ref", name="uq_worklist_items_source_ref"),
    )
    op.create_index("ix_worklist_items_reason", "worklist_items", ["reason"])
    op.create_index("ix_worklist_items_resident_id", "worklist_items", ["resident_id"])
    op.create_index(
        "ix_worklist_items_state_due", "worklist_items", ["state", "next_attempt_at"]
    )
    op.create_table(
        "worklist_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("call_later_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("call_linkedid", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["worklist_items.id"], name="fk_worklist_attempts_item_id_worklist_items"
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_worklist_attempts_operator_id_operators"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_worklist_attempts"),
    )
    op.create_index("ix_worklist_attempts_item_id", "worklist_attempts", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_worklist_attempts_item_id", table_name="worklist_attempts")
    op.drop_table("worklist_attempts")
    op.drop_index("ix_worklist_items_state_due", table_name="worklist_items")
    op.drop_index("ix_worklist_items_resident_id", table_name="worklist_items")
    op.drop_index("ix_worklist_items_reason", table_name="worklist_items")
    op.drop_table("worklist_items")
