"""requeue records rejected for a transient failure

Before this revision a record the ERP failed on five runs in a row (an outage, a proxy's HTML
page, a hostile reply) was rejected as if it were the record's fault, and no later run posted
it. Such a record goes back in line with a clean count; its error-queue entry stays open until
the record goes through, which resolves it as a person's retry would.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 23:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The classes only a system's failure raised; a record's own refusal has another class.
TRANSIENT = ('connection', 'rate_limit', 'parse')


def upgrade() -> None:
    bind = op.get_bind()
    open_errors = bind.execute(
        sa.text(
            "SELECT DISTINCT job_id, business_key FROM record_errors "
            "WHERE status = 'open' AND error_class IN :classes"
        ).bindparams(sa.bindparam('classes', expanding=True)),
        {'classes': list(TRANSIENT)},
    ).all()
    for job_id, business_key in open_errors:
        bind.execute(
            sa.text(
                "UPDATE work_items SET status = 'pending', attempts = 0, "
                "claimed_by = NULL, lease_until = NULL "
                "WHERE job_id = :job AND business_key = :key AND status = 'rejected'"
            ),
            {'job': job_id, 'key': business_key},
        )


def downgrade() -> None:
    pass  # the records requeued may have been carried out since; nothing to put back
