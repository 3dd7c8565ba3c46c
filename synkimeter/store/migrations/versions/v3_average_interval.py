"""v3: the 95 % interval of the blink-averaged peak (the headline per-side score), filled in for
existing results from their JSON.

Revision ID: v3
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "v3"
down_revision = "v2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for side in ("right", "left"):
        op.add_column("results", sa.Column(f"{side}_average_ci_low_mm", sa.Float))
        op.add_column("results", sa.Column(f"{side}_average_ci_high_mm", sa.Float))
    bind = op.get_bind()
    update = sa.text("UPDATE results SET right_average_ci_low_mm = :rl, right_average_ci_high_mm = :rh, "
                     "left_average_ci_low_mm = :ll, left_average_ci_high_mm = :lh WHERE id = :id")
    for row_id, text in bind.execute(sa.text("SELECT id, summary_json FROM results")).fetchall():
        try:
            oo = json.loads(text).get("ocular_oral", {})
        except (ValueError, AttributeError):
            continue
        values = {}
        for side, key in (("right", "r"), ("left", "l")):
            ci = (oo.get(side) or {}).get("average_ci95_mm") or [None, None]
            values[f"{key}l"] = ci[0] if len(ci) > 0 else None
            values[f"{key}h"] = ci[1] if len(ci) > 1 else None
        bind.execute(update, {**values, "id": row_id})
