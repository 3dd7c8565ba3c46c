"""v8: the patient's Synkinesis Assessment Questionnaire (SAQ) answers, dated by day: nine answers 1-5
(synkimeter.core.questionnaire; the total is computed from them, never stored).

Revision ID: v8
"""

import sqlalchemy as sa
from alembic import op

revision = "v8"
down_revision = "v7"
branch_labels = None
depends_on = None

ITEMS = 9


def upgrade() -> None:
    op.create_table(
        "saq_answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("patient_id", sa.Integer, sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("date", sa.Text, nullable=False),
        *[sa.Column(f"item{i}", sa.Integer, nullable=False) for i in range(1, ITEMS + 1)],
        sa.Column("created", sa.Text, nullable=False),
        *[sa.CheckConstraint(f"item{i} BETWEEN 1 AND 5", name=f"saq_answers_item{i}") for i in range(1, ITEMS + 1)],
    )
    op.create_index("saq_answers_patient", "saq_answers", ["patient_id", "date"])
