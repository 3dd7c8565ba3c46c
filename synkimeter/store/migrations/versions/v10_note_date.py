"""v10: a clinician's note carries its clinical date (`noted_on`, YYYY-MM-DD: the day it is about,
today unless the clinician says otherwise), beside `created`, the time it was typed. Notes kept before
have none: their day is the day they were typed.

Revision ID: v10
"""

import sqlalchemy as sa
from alembic import op

revision = "v10"
down_revision = "v9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notes") as batch:
        batch.add_column(sa.Column("noted_on", sa.Text))
