"""Programme scoring: the programme a session was scored against, and an index for trends.

Additive: a file made by 0001 keeps every session; the new columns are empty for them.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as b:
        b.add_column(sa.Column("programme", sa.String))
        b.add_column(sa.Column("programme_def", sa.JSON))
    op.create_index("ix_sessions_person_exercise_started", "sessions", ["person", "exercise", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_sessions_person_exercise_started", "sessions")
    with op.batch_alter_table("sessions") as b:
        b.drop_column("programme_def")
        b.drop_column("programme")
