"""mobility_requests.other_options (configured options beyond wheelchair and companion);
campaign_config append-only in the database

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mobility_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("other_options", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER campaign_config_no_{verb.lower()} BEFORE {verb} ON campaign_config "
                "BEGIN SELECT RAISE(ABORT, 'campaign_config is append-only'); END"
            )
        # INSERT OR REPLACE deletes the row it replaces without firing DELETE triggers
        op.execute(
            "CREATE TRIGGER campaign_config_no_replace BEFORE INSERT ON campaign_config "
            "WHEN EXISTS (SELECT 1 FROM campaign_config WHERE id = NEW.id "
            "OR (key = NEW.key AND version = NEW.version)) "
            "BEGIN SELECT RAISE(ABORT, 'campaign_config is append-only'); END"
        )
    else:
        op.execute(
            "CREATE FUNCTION campaign_config_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'campaign_config is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER campaign_config_append_only BEFORE UPDATE OR DELETE ON campaign_config "
            "FOR EACH ROW EXECUTE FUNCTION campaign_config_append_only()"
        )
        op.execute(
            "CREATE TRIGGER campaign_config_no_truncate BEFORE TRUNCATE ON campaign_config "
            "FOR EACH STATEMENT EXECUTE FUNCTION campaign_config_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("update", "delete", "replace"):
            op.execute(f"DROP TRIGGER IF EXISTS campaign_config_no_{name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS campaign_config_no_truncate ON campaign_config")
        op.execute("DROP TRIGGER IF EXISTS campaign_config_append_only ON campaign_config")
        op.execute("DROP FUNCTION IF EXISTS campaign_config_append_only()")
    with op.batch_alter_table("mobility_requests", schema=None) as batch_op:
        batch_op.drop_column("other_options")
