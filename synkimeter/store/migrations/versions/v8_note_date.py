"""v8: a clinician's note carries its clinical date (`noted_on`, YYYY-MM-DD: the day it is about,
today unless the clinician says otherwise), beside `created`, the time it was typed. Notes kept before
have none: their day is the day they were typed.

Self-contained (one column added, nothing else): if another v8 is merged beside it, re-chain
`down_revision` and renumber.

Revision ID: v8
"""

import sqlalchemy as sa
from alembic import op

revision = "v8"
down_revision = "v7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notes") as batch:
        batch.add_column(sa.Column("noted_on", sa.Text))
