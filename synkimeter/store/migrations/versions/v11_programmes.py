"""v11: the home programme a therapist sets a patient, per practice kind (blink, pucker, smile): how many
sets a day, how many repetitions per set, the goal in the practice's unit (mm for blink, % of the eye's
rest height for pucker and smile; none: the practice's own planned goal), from one day until another
(none: until it is ended or replaced).

Revision ID: v11
"""

import sqlalchemy as sa
from alembic import op

revision = "v11"
down_revision = "v10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "programmes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("sets_per_day", sa.Integer, nullable=False),
        sa.Column("repetitions", sa.Integer, nullable=False),
        sa.Column("goal", sa.Float),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("start_date", sa.Text, nullable=False),
        sa.Column("until_date", sa.Text),
        sa.Column("created", sa.Text, nullable=False),
        sa.CheckConstraint("kind IN ('blink', 'pucker', 'smile')", name="programmes_kind"),
        sa.CheckConstraint("sets_per_day > 0 AND repetitions > 0", name="programmes_counts"),
    )
    op.create_index("programmes_patient", "programmes", ["patient_id", "kind", "start_date"])
