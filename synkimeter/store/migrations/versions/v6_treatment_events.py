"""v6: treatment events on a patient's timeline: botulinum toxin injections (side, muscles, units,
product), therapy started/stopped/changed, surgery, other; dated by day.

Revision ID: v6
"""

import sqlalchemy as sa
from alembic import op

revision = "v6"
down_revision = "v5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "treatment_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("date", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("side", sa.Text),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("units", sa.Float),
        sa.Column("muscles", sa.Text, nullable=False, server_default=""),
        sa.Column("product", sa.Text, nullable=False, server_default=""),
        sa.Column("created", sa.Text, nullable=False),
        sa.CheckConstraint("kind IN ('botox', 'therapy-start', 'therapy-stop', 'therapy-change', 'surgery', "
                           "'other')", name="treatment_events_kind"),
        sa.CheckConstraint("side IN ('right', 'left', 'both')", name="treatment_events_side"),
    )
    op.create_index("treatment_events_patient", "treatment_events", ["patient_id", "date"])
