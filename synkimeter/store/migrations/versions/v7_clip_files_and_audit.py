"""v7 (clinic store): clip files inside the database (used on a clinic's PostgreSQL server, so one
backup holds everything) and the audit table: who read, exported or deleted which patient's data.

Revision ID: v7
"""

import sqlalchemy as sa
from alembic import op

revision = "v7"
down_revision = "v6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clip_files",
        sa.Column("clip_id", sa.Integer, sa.ForeignKey("clips.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.CheckConstraint("kind IN ('video', 'landmarks', 'summary')", name="clip_files_kind"),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("host", sa.Text, nullable=False, server_default=""),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("patient_id", sa.Integer),
        sa.Column("pseudonym", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.CheckConstraint("action IN ('read', 'export', 'delete', 'copy')", name="audit_action"),
    )
    op.create_index("audit_patient", "audit", ["pseudonym", "at"])
