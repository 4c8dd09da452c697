"""EDI: transaction sets received and sent, AS2 messages as received, and what the EDI page
shows of an interchange

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 13:40:00.000000
"""

from alembic import op
import sqlalchemy as sa
import core.store.types


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('edi_interchanges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('parsed', core.store.types.JsonText(), nullable=True))
        batch_op.add_column(sa.Column('ack_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('processed_at', core.store.types.UtcDateTime(timezone=True), nullable=True)
        )
    op.create_table('edi_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interchange_id', sa.Integer(), nullable=False),
    sa.Column('partner', sa.String(length=80), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('set_id', sa.String(length=3), nullable=False),
    sa.Column('gs_control', sa.String(length=9), nullable=False),
    sa.Column('st_control', sa.String(length=9), nullable=False),
    sa.Column('po_number', sa.String(length=80), nullable=True),
    sa.Column('order_number', sa.String(length=80), nullable=True),
    sa.Column('trigger', sa.String(length=120), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('duplicate_of', core.store.types.JsonText(), nullable=True),
    sa.Column('at', core.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ack_due_at', core.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('acked_at', core.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('ack_code', sa.String(length=2), nullable=True),
    sa.Column('ack_interchange_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['interchange_id'], ['edi_interchanges.id'],
                            name=op.f('fk_edi_documents_interchange_id_edi_interchanges')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_edi_documents')),
    sa.UniqueConstraint('partner', 'trigger', name=op.f('uq_edi_documents_partner_trigger'))
    )
    with op.batch_alter_table('edi_documents', schema=None) as batch_op:
        batch_op.create_index('ix_edi_documents_partner_gs_st',
                              ['partner', 'direction', 'gs_control', 'st_control'], unique=False)
        batch_op.create_index(batch_op.f('ix_edi_documents_interchange_id'), ['interchange_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_edi_documents_order_number'), ['order_number'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_edi_documents_po_number'), ['po_number'],
                              unique=False)
    op.create_table('as2_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('as2_from', sa.String(length=128), nullable=False),
    sa.Column('as2_to', sa.String(length=128), nullable=False),
    sa.Column('headers', core.store.types.JsonText(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('received_at', core.store.types.UtcDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', core.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('mdn_sent_at', core.store.types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_as2_messages')),
    sa.UniqueConstraint('message_id', name=op.f('uq_as2_messages_message_id'))
    )


def downgrade() -> None:
    op.drop_table('as2_messages')
    with op.batch_alter_table('edi_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_edi_documents_po_number'))
        batch_op.drop_index(batch_op.f('ix_edi_documents_order_number'))
        batch_op.drop_index(batch_op.f('ix_edi_documents_interchange_id'))
        batch_op.drop_index('ix_edi_documents_partner_gs_st')
    op.drop_table('edi_documents')
    with op.batch_alter_table('edi_interchanges', schema=None) as batch_op:
        batch_op.drop_column('processed_at')
        batch_op.drop_column('ack_id')
        batch_op.drop_column('parsed')
        batch_op.drop_column('channel')
