"""upload row status index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 14:10:00.000000
"""

from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # apply_uploads looks for scheduled prices on every run (every 10 seconds).
    with op.batch_alter_table('upload_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upload_rows_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('upload_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upload_rows_status'))
