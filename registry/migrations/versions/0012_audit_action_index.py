"""audit log: an index on (action, id) to find the newest entry of an action

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""
from alembic import op


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_action_id", "audit_log", ["action", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_action_id", table_name="audit_log")
