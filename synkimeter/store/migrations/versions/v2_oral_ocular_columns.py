"""v2: oral-ocular measurement (eye narrowing during mouth tasks) and the blink-triggered average peak
as queryable columns; the average peak is filled in for existing results from their JSON.

Revision ID: v2
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "v2"
down_revision = "v1"
branch_labels = None
depends_on = None

SIDES = ("right", "left")
RESULT_COLUMNS = ("average_peak_mm", "fissure_open_mm", "fissure_open_se_mm", "fissure_active_mm",
                  "fissure_active_se_mm", "narrowing_pct", "narrowing_ci_low_pct", "narrowing_ci_high_pct")


def stored_ocular_oral(bind):
    """(result id, its stored `ocular_oral` dict) for every result whose JSON can be read."""
    for row_id, text in bind.execute(sa.text("SELECT id, summary_json FROM results")).fetchall():
        try:
            yield row_id, json.loads(text).get("ocular_oral", {})
        except (ValueError, AttributeError):
            continue


def upgrade() -> None:
    for side in SIDES:
        for name in RESULT_COLUMNS:
            op.add_column("results", sa.Column(f"{side}_{name}", sa.Float))
    op.add_column("sessions", sa.Column("ocular_score", sa.Float))
    op.add_column("sessions", sa.Column("ocular_ci_low", sa.Float))
    op.add_column("sessions", sa.Column("ocular_ci_high", sa.Float))
    op.add_column("sessions", sa.Column("ocular_affected_side", sa.Text))
    bind = op.get_bind()
    update = sa.text("UPDATE results SET right_average_peak_mm = :r, left_average_peak_mm = :l WHERE id = :id")
    for row_id, oo in list(stored_ocular_oral(bind)):
        right, left = ((oo.get(side) or {}).get("average_peak_mm") for side in SIDES)
        bind.execute(update, {"r": right, "l": left, "id": row_id})
