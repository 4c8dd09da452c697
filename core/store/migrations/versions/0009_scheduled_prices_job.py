"""scheduled prices have their own job

A price uploaded effective from a later day used to be posted on its day by apply_uploads;
post_scheduled_prices posts it now. Its work items (whatever their status: a refused posting
must not be repeated by itself, a done one not again) and their error-queue entries move to
the new job, so nothing is posted twice and a retry from the queue still posts it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 07:20:00.000000
"""

import json

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OLD, NEW = 'apply_uploads', 'post_scheduled_prices'


def _scheduled(payload) -> bool:
    data = json.loads(payload) if payload else None
    return isinstance(data, dict) and bool(data.get('effective'))


def _move(source: str, target: str) -> None:
    bind = op.get_bind()
    for table in ('work_items', 'record_errors'):
        rows = bind.execute(
            sa.text(f"SELECT id, payload FROM {table} WHERE job_id = :job"), {'job': source}
        ).all()
        ids = [row_id for row_id, payload in rows if _scheduled(payload)]
        if ids:
            bind.execute(
                sa.text(f"UPDATE {table} SET job_id = :job WHERE id IN :ids").bindparams(
                    sa.bindparam('ids', expanding=True)
                ),
                {'job': target, 'ids': ids},
            )


def upgrade() -> None:
    _move(OLD, NEW)


def downgrade() -> None:
    _move(NEW, OLD)
