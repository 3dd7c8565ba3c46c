"""The store's schema: the tables as SQLAlchemy Core sees them, and the choices they allow.

The tables are created and changed only by the Alembic migrations in `store/migrations/versions`
(one per schema version, never edited once released: add the next one); this module describes the
newest schema for the queries. SQLite stores from before Alembic carry their version in PRAGMA
user_version and are taken up from there.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
)

from synkimeter.store.choices import (  # noqa: F401  (re-exported: the schema's choices)
    AUDIT_ACTIONS,
    CLIP_FILE_KINDS,
    CLIP_STATUSES,
    EVENT_KINDS,
    EVENT_SIDES,
    PRACTICE_KINDS,
    PRACTICE_UNITS,
    SCHEMA_REVISION,
    SCHEMA_VERSION,
    SESSION_KINDS,
    SESSION_STATUSES,
    SIDES,
    TASKS,
)

metadata = MetaData()

patients = Table(
    "patients", metadata,
    Column("id", Integer, primary_key=True),
    Column("pseudonym", Text, nullable=False, unique=True),
    Column("affected_side", Text),
    Column("notes", Text, nullable=False, server_default=""),
    Column("created", Text, nullable=False),
    Column("origin", Text),
)

sessions = Table(
    "sessions", metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("protocol", Text, nullable=False, server_default=""),
    Column("notes", Text, nullable=False, server_default=""),
    Column("status", Text, nullable=False, server_default="recording"),
    Column("host", Text, nullable=False, server_default=""),
    Column("pid", Integer),
    Column("pid_start", Text, nullable=False, server_default=""),
    Column("ocular_score", Float), Column("ocular_ci_low", Float), Column("ocular_ci_high", Float),
    Column("ocular_affected_side", Text),
    Column("origin", Text),
)

clips = Table(
    "clips", metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("task", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="recording"),
    Column("video_path", Text), Column("landmarks_path", Text), Column("summary_path", Text),
    Column("source_name", Text, nullable=False, server_default=""),
    Column("error", Text),
    Column("created", Text, nullable=False),
    Column("origin", Text),
)

RESULT_SIDE_COLUMNS = ("median_mm", "ci_low_mm", "ci_high_mm", "coupled_fraction", "n", "correlation",
                       "average_peak_mm", "fissure_open_mm", "fissure_open_se_mm", "fissure_active_mm",
                       "fissure_active_se_mm", "narrowing_pct", "narrowing_ci_low_pct", "narrowing_ci_high_pct",
                       "average_ci_low_mm", "average_ci_high_mm")

results = Table(
    "results", metadata,
    Column("id", Integer, primary_key=True),
    Column("clip_id", Integer, ForeignKey("clips.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("summary_json", Text, nullable=False),
    Column("created", Text, nullable=False),
    Column("fps", Float), Column("duration_s", Float), Column("frames", Integer), Column("face_frames", Integer),
    Column("mm_per_px", Float), Column("affected_side", Text), Column("severity", Text), Column("asymmetry_mm", Float),
    *[Column(f"{side}_{name}", Integer if name == "n" else Float) for side in SIDES for name in RESULT_SIDE_COLUMNS],
)

practice_sets = Table(
    "practice_sets", metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
    Column("started_at", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("affected_side", Text, nullable=False),
    Column("target", Float, nullable=False),
    Column("unit", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("judged", Integer, nullable=False),
    Column("clean", Integer, nullable=False),
    Column("median_value", Float),
    Column("duration_s", Float),
    Column("source_name", Text, nullable=False, server_default=""),
    Column("attempts_json", Text, nullable=False, server_default="[]"),
    Column("created", Text, nullable=False),
    Column("origin", Text),
)

notes = Table(
    "notes", metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
    Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE")),
    Column("created", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("noted_on", Text),  # v10: the clinical date (YYYY-MM-DD) the note is about; NULL: the day it was typed
    Column("origin", Text),
)

treatment_events = Table(
    "treatment_events", metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
    Column("date", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("side", Text),
    Column("detail", Text, nullable=False, server_default=""),
    Column("units", Float),
    Column("muscles", Text, nullable=False, server_default=""),
    Column("product", Text, nullable=False, server_default=""),
    Column("created", Text, nullable=False),
    Column("origin", Text),
)

# v7 (issue 19): on a clinic server the clip files live in the database, written in the same
# transaction as the clip's rows; a single-user SQLite store keeps them as files beside it.
clip_files = Table(
    "clip_files", metadata,
    Column("clip_id", Integer, ForeignKey("clips.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    CheckConstraint("kind IN ('video', 'landmarks', 'summary')", name="clip_files_kind"),
)

# v8 (issue 27): the patient's Synkinesis Assessment Questionnaire, nine answers 1-5 per day answered
# (synkimeter.core.questionnaire computes the total from them).
SAQ_ITEM_COLUMNS = tuple(f"item{i}" for i in range(1, 10))
saq_answers = Table(
    "saq_answers", metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
    Column("date", Text, nullable=False),
    *[Column(name, Integer, nullable=False) for name in SAQ_ITEM_COLUMNS],
    Column("created", Text, nullable=False),
    Column("origin", Text),
)

# v11 (issue 31): the home programme the therapist sets, per practice kind; `goal` in `unit` (the
# practice's: mm for blink, % for pucker and smile), None: the practice plans its own goal.
programmes = Table(
    "programmes", metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", Integer, ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("sets_per_day", Integer, nullable=False),
    Column("repetitions", Integer, nullable=False),
    Column("goal", Float),
    Column("unit", Text, nullable=False),
    Column("start_date", Text, nullable=False),
    Column("until_date", Text),
    Column("created", Text, nullable=False),
    Column("origin", Text),
    CheckConstraint("kind IN ('blink', 'pucker', 'smile')", name="programmes_kind"),
    CheckConstraint("sets_per_day > 0 AND repetitions > 0", name="programmes_counts"),
)

# No foreign key to patients: the record of a deletion outlives what was deleted.
audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("host", Text, nullable=False, server_default=""),
    Column("action", Text, nullable=False),
    Column("patient_id", Integer),
    Column("pseudonym", Text, nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    CheckConstraint("action IN ('read', 'export', 'delete', 'copy')", name="audit_action"),
)

# The indexes the migrations made: the queries look a patient's rows up by date.
Index("sessions_patient", sessions.c.patient_id, sessions.c.started_at)
Index("clips_session", clips.c.session_id)
Index("practice_sets_patient", practice_sets.c.patient_id, practice_sets.c.started_at)
Index("notes_patient", notes.c.patient_id, notes.c.created)
Index("treatment_events_patient", treatment_events.c.patient_id, treatment_events.c.date)
Index("saq_answers_patient", saq_answers.c.patient_id, saq_answers.c.date)
Index("programmes_patient", programmes.c.patient_id, programmes.c.kind, programmes.c.start_date)
Index("audit_patient", audit.c.pseudonym, audit.c.at)
# v12 (issue 31): where a received row came from (unique: taking a file in twice adds nothing).
for _table in (patients, sessions, clips, practice_sets, notes, treatment_events, saq_answers, programmes):
    Index(f"{_table.name}_origin", _table.c.origin, unique=True)
