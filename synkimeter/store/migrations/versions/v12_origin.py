"""v12 (issue 31): where a row came from. A patient's file taken in from another store (`synkimeter
receive`) gives every row it adds the id it has in the file (`origin`), so taking the same file in
twice adds nothing and a newer file adds only what is new. Rows made here get one when they are first
shared. Unique per table: two rows never claim the same origin (NULLs, the rows never shared, repeat).

Revision ID: v12
"""

import sqlalchemy as sa
from alembic import op

revision = "v12"
down_revision = "v11"
branch_labels = None
depends_on = None

TABLES = ("patients", "sessions", "clips", "practice_sets", "notes", "treatment_events", "saq_answers", "programmes")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("origin", sa.Text))
        op.create_index(f"{table}_origin", table, ["origin"], unique=True)
