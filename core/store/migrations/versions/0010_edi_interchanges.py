"""EDI: control numbers per trading partner and the log of interchanges in and out

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 11:30:00.000000
"""

from alembic import op
import sqlalchemy as sa
import core.store.types


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('edi_control_numbers',
    sa.Column('partner', sa.String(length=80), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.Column('updated_at', core.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('partner', 'level', name=op.f('pk_edi_control_numbers'))
    )
    op.create_table('edi_interchanges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('partner', sa.String(length=80), nullable=False),
    sa.Column('sender', sa.String(length=40), nullable=False),
    sa.Column('receiver', sa.String(length=40), nullable=False),
    sa.Column('isa_control', sa.String(length=9), nullable=False),
    sa.Column('sets', sa.String(length=255), nullable=False),
    sa.Column('po_numbers', core.store.types.JsonText(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('at', core.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ack_due_at', core.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('acked_at', core.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_edi_interchanges')),
    sa.UniqueConstraint('direction', 'sender', 'isa_control',
                        name=op.f('uq_edi_interchanges_direction_sender_isa_control'))
    )
    with op.batch_alter_table('edi_interchanges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_edi_interchanges_partner'), ['partner'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('edi_interchanges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_edi_interchanges_partner'))
    op.drop_table('edi_interchanges')
    op.drop_table('edi_control_numbers')
