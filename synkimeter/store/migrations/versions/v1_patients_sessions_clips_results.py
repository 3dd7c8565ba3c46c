"""v1: patients, their sessions, the task clips and each clip's result.

Revision ID: v1
"""

import sqlalchemy as sa
from alembic import op

revision = "v1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pseudonym", sa.Text, nullable=False, unique=True),
        sa.Column("affected_side", sa.Text),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        sa.Column("created", sa.Text, nullable=False),
        sa.CheckConstraint("affected_side IN ('right', 'left')", name="patients_affected_side"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("protocol", sa.Text, nullable=False, server_default=""),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.Text, nullable=False, server_default="recording"),
        sa.Column("host", sa.Text, nullable=False, server_default=""),
        sa.Column("pid", sa.Integer),
        sa.Column("pid_start", sa.Text, nullable=False, server_default=""),
        sa.CheckConstraint("kind IN ('baseline', 'follow-up', 'self-check')", name="sessions_kind"),
        sa.CheckConstraint("status IN ('recording', 'complete', 'incomplete')", name="sessions_status"),
    )
    op.create_index("sessions_patient", "sessions", ["patient_id", "started_at"])
    op.create_table(
        "clips",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("task", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="recording"),
        sa.Column("video_path", sa.Text),
        sa.Column("landmarks_path", sa.Text),
        sa.Column("summary_path", sa.Text),
        sa.Column("source_name", sa.Text, nullable=False, server_default=""),
        sa.Column("error", sa.Text),
        sa.Column("created", sa.Text, nullable=False),
        sa.CheckConstraint("status IN ('recording', 'complete', 'incomplete', 'failed')", name="clips_status"),
    )
    op.create_index("clips_session", "clips", ["session_id"])
    op.create_table(
        "results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("clip_id", sa.Integer, sa.ForeignKey("clips.id", ondelete="CASCADE"), nullable=False, unique=True),
        sa.Column("summary_json", sa.Text, nullable=False),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("fps", sa.Float),
        sa.Column("duration_s", sa.Float),
        sa.Column("frames", sa.Integer),
        sa.Column("face_frames", sa.Integer),
        sa.Column("mm_per_px", sa.Float),
        sa.Column("affected_side", sa.Text),
        sa.Column("severity", sa.Text),
        sa.Column("asymmetry_mm", sa.Float),
        *[sa.Column(f"{side}_{name}", sa.Integer if name == "n" else sa.Float)
          for side in ("right", "left")
          for name in ("median_mm", "ci_low_mm", "ci_high_mm", "coupled_fraction", "n", "correlation")],
    )
