"""The first history schema: sessions with their sets, reps and faults.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("natural_key", sa.String, unique=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("person", sa.String),
        sa.Column("exercise", sa.String, nullable=False),
        sa.Column("exercise_name", sa.String, nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("video_path", sa.String),
        sa.Column("annotated_path", sa.String),
        sa.Column("view", sa.String, nullable=False),
        sa.Column("side", sa.String, nullable=False),
        sa.Column("rep_count", sa.Integer, nullable=False),
        sa.Column("frames_with_pose", sa.Float, nullable=False),
        sa.Column("video", sa.JSON, nullable=False),
        sa.Column("warnings", sa.JSON, nullable=False),
        sa.Column("extras", sa.JSON, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_sessions_exercise", "sessions", ["exercise"])
    op.create_table(
        "sets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("index", sa.Integer, nullable=False),
        sa.Column("reps", sa.Integer, nullable=False),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("end_s", sa.Float, nullable=False),
        sa.Column("rest_before_s", sa.Float),
        sa.UniqueConstraint("session_id", "index"),
    )
    op.create_index("ix_sets_session_id", "sets", ["session_id"])
    op.create_table(
        "reps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("index", sa.Integer, nullable=False),
        sa.Column("set_index", sa.Integer),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("end_s", sa.Float, nullable=False),
        sa.Column("peak_s", sa.Float, nullable=False),
        sa.Column("rom", sa.Float),
        sa.Column("rom_unit", sa.String, nullable=False),
        sa.Column("full_range", sa.Boolean, nullable=False),
        sa.Column("concentric_s", sa.Float, nullable=False),
        sa.Column("eccentric_s", sa.Float, nullable=False),
        sa.Column("hold_s", sa.Float, nullable=False),
        sa.Column("side", sa.String, nullable=False),
        sa.Column("metrics", sa.JSON, nullable=False),
        sa.Column("faults", sa.JSON, nullable=False),
        sa.UniqueConstraint("session_id", "index"),
    )
    op.create_index("ix_reps_session_id", "reps", ["session_id"])
    op.create_table(
        "faults",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("fault", sa.String, nullable=False),
        sa.Column("message", sa.String, nullable=False),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("end_s", sa.Float, nullable=False),
        sa.Column("rep", sa.Integer),
        sa.Column("severity", sa.String, nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("detail", sa.String),
    )
    op.create_index("ix_faults_session_id", "faults", ["session_id"])
    op.create_index("ix_faults_fault", "faults", ["fault"])


def downgrade() -> None:
    for t in ("faults", "reps", "sets", "sessions"):
        op.drop_table(t)
