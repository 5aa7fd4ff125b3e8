"""idempotency keys: client_key on bookings and mobility_requests

A client that resends a request after a dropped connection sends the same key; the registry then
returns the record the first request created instead of creating a second one. NULL for records
made without a key (many NULLs are allowed by a unique index on both databases).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("bookings", "mobility_requests")


def upgrade() -> None:
    for table in TABLES:
        # SQLite adds a nullable column and an index in place: batch mode needs no table copy.
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("client_key", sa.String(length=64), nullable=True))
            batch_op.create_index(f"ix_{table}_client_key", ["client_key"], unique=True)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_client_key")
            batch_op.drop_column("client_key")
