"""upload simulation

An upload can be simulated against the ERP before it is submitted: the upload keeps the
latest request (state, who, when, counts) and each row what the ERP would answer.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00.000000
"""

from alembic import op
import sqlalchemy as sa

import core.store.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('simulation', core.store.types.JsonText(), nullable=True))
    with op.batch_alter_table('upload_rows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('simulation', core.store.types.JsonText(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('upload_rows', schema=None) as batch_op:
        batch_op.drop_column('simulation')
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_column('simulation')
