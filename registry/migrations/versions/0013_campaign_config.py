"""campaign_config: versions of the settings an admin edits (wrap-up codes, retry policy...)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign_config",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["operators.id"], name=op.f("fk_campaign_config_created_by_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_config")),
        sa.UniqueConstraint("key", "version", name="uq_campaign_config_key_version"),
    )


def downgrade() -> None:
    op.drop_table("campaign_config")
