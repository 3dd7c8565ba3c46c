"""v4: retraining practice sets (synkimeter.usecases.practice): one row per set, its attempts as JSON.

Revision ID: v4
"""

import sqlalchemy as sa
from alembic import op

revision = "v4"
down_revision = "v3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "practice_sets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("affected_side", sa.Text, nullable=False),
        sa.Column("target", sa.Float, nullable=False),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("judged", sa.Integer, nullable=False),
        sa.Column("clean", sa.Integer, nullable=False),
        sa.Column("median_value", sa.Float),
        sa.Column("duration_s", sa.Float),
        sa.Column("source_name", sa.Text, nullable=False, server_default=""),
        sa.Column("attempts_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("created", sa.Text, nullable=False),
        sa.CheckConstraint("kind IN ('blink', 'pucker', 'smile')", name="practice_sets_kind"),
        sa.CheckConstraint("affected_side IN ('right', 'left')", name="practice_sets_affected_side"),
        sa.CheckConstraint("unit IN ('mm', '%')", name="practice_sets_unit"),
        sa.CheckConstraint("clean <= judged AND judged <= attempts", name="practice_sets_counts"),
    )
    op.create_index("practice_sets_patient", "practice_sets", ["patient_id", "started_at"])
