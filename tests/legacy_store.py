"""The store's SQLite schema as released before Alembic, frozen: its hand-written steps v1-v6 (PRAGMA
user_version). The tests build stores of those versions with it, as users have them, and check that
today's store takes them forward."""

from __future__ import annotations

import json
import sqlite3
from typing import Callable

SIDES = ("right", "left")
SESSION_KINDS = ("baseline", "follow-up", "self-check")
# What a clip can show: the guided tasks.
TASKS = ("rest", "natural_blinking", "gentle_closure", "forceful_blink", "smile", "pucker")
SESSION_STATUSES = ("recording", "complete", "incomplete")
CLIP_STATUSES = ("recording", "complete", "incomplete", "failed")

V1 = """
CREATE TABLE patients (
    id INTEGER PRIMARY KEY,
    pseudonym TEXT NOT NULL UNIQUE,
    affected_side TEXT CHECK (affected_side IN ('right', 'left')),
    notes TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    started_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('baseline', 'follow-up', 'self-check')),
    protocol TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'recording' CHECK (status IN ('recording', 'complete', 'incomplete')),
    host TEXT NOT NULL DEFAULT '',
    pid INTEGER,
    pid_start TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_patient ON sessions(patient_id, started_at);
CREATE TABLE clips (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    task TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'recording' CHECK (status IN ('recording', 'complete', 'incomplete', 'failed')),
    video_path TEXT,
    landmarks_path TEXT,
    summary_path TEXT,
    source_name TEXT NOT NULL DEFAULT '',
    error TEXT,
    created TEXT NOT NULL
);
CREATE INDEX clips_session ON clips(session_id);
CREATE TABLE results (
    id INTEGER PRIMARY KEY,
    clip_id INTEGER NOT NULL UNIQUE REFERENCES clips(id) ON DELETE CASCADE,
    summary_json TEXT NOT NULL,
    created TEXT NOT NULL,
    fps REAL,
    duration_s REAL,
    frames INTEGER,
    face_frames INTEGER,
    mm_per_px REAL,
    affected_side TEXT,
    severity TEXT,
    asymmetry_mm REAL,
    right_median_mm REAL, right_ci_low_mm REAL, right_ci_high_mm REAL,
    right_coupled_fraction REAL, right_n INTEGER, right_correlation REAL,
    left_median_mm REAL, left_ci_low_mm REAL, left_ci_high_mm REAL,
    left_coupled_fraction REAL, left_n INTEGER, left_correlation REAL
);
"""

# v2: oral-ocular measurement (eye narrowing during mouth tasks) and the blink-triggered average
# peak as queryable columns; the average peak is filled in for existing results from their JSON.
V2_RESULT_COLUMNS = [
    f"{side}_{name} REAL"
    for side in SIDES
    for name in ("average_peak_mm", "fissure_open_mm", "fissure_open_se_mm", "fissure_active_mm",
                 "fissure_active_se_mm", "narrowing_pct", "narrowing_ci_low_pct", "narrowing_ci_high_pct")
]
V2_SESSION_COLUMNS = ["ocular_score REAL", "ocular_ci_low REAL", "ocular_ci_high REAL", "ocular_affected_side TEXT"]


def _v1(conn: sqlite3.Connection) -> None:
    for statement in V1.split(";"):
        if statement.strip():
            conn.execute(statement)


def _stored_ocular_oral(conn: sqlite3.Connection):
    """(result id, its stored `ocular_oral` dict) for every result whose JSON can be read: what a
    migration back-fills new columns from."""
    for row_id, text in conn.execute("SELECT id, summary_json FROM results").fetchall():
        try:
            yield row_id, json.loads(text).get("ocular_oral", {})
        except (ValueError, AttributeError):
            continue


def _v2(conn: sqlite3.Connection) -> None:
    for column in V2_RESULT_COLUMNS:
        conn.execute(f"ALTER TABLE results ADD COLUMN {column}")
    for column in V2_SESSION_COLUMNS:
        conn.execute(f"ALTER TABLE sessions ADD COLUMN {column}")
    for row_id, oo in _stored_ocular_oral(conn):
        values = [(oo.get(side) or {}).get("average_peak_mm") for side in SIDES]
        conn.execute("UPDATE results SET right_average_peak_mm = ?, left_average_peak_mm = ? WHERE id = ?",
                     (*values, row_id))


# v3: the 95 % interval of the blink-averaged peak (the headline per-side score of `analyze`, the trend
# view and the report), filled in for existing results from their JSON.
V3_RESULT_COLUMNS = [f"{side}_{name} REAL" for side in SIDES for name in ("average_ci_low_mm", "average_ci_high_mm")]


def _v3(conn: sqlite3.Connection) -> None:
    for column in V3_RESULT_COLUMNS:
        conn.execute(f"ALTER TABLE results ADD COLUMN {column}")
    for row_id, oo in _stored_ocular_oral(conn):
        values = []
        for side in SIDES:
            ci = (oo.get(side) or {}).get("average_ci95_mm") or [None, None]
            values += [ci[0] if len(ci) > 0 else None, ci[1] if len(ci) > 1 else None]
        conn.execute("UPDATE results SET right_average_ci_low_mm = ?, right_average_ci_high_mm = ?, "
                     "left_average_ci_low_mm = ?, left_average_ci_high_mm = ? WHERE id = ?", (*values, row_id))


# v4: retraining practice sets (synkimeter.usecases.practice): one row per set, its attempts as JSON.
PRACTICE_KINDS = ("blink", "pucker", "smile")
V4 = """
CREATE TABLE practice_sets (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    started_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('blink', 'pucker', 'smile')),
    affected_side TEXT NOT NULL CHECK (affected_side IN ('right', 'left')),
    target REAL NOT NULL,
    unit TEXT NOT NULL CHECK (unit IN ('mm', '%')),
    attempts INTEGER NOT NULL,
    judged INTEGER NOT NULL,
    clean INTEGER NOT NULL,
    median_value REAL,
    duration_s REAL,
    source_name TEXT NOT NULL DEFAULT '',
    attempts_json TEXT NOT NULL DEFAULT '[]',
    created TEXT NOT NULL,
    CHECK (clean <= judged AND judged <= attempts)
);
CREATE INDEX practice_sets_patient ON practice_sets(patient_id, started_at);
"""


def _v4(conn: sqlite3.Connection) -> None:
    for statement in V4.split(";"):
        if statement.strip():
            conn.execute(statement)


# v5: clinicians' notes, dated, on a patient (and, if given, one of the patient's sessions).
V5 = """
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    session_id INTEGER REFERENCES sessions(id) ON DELETE CASCADE,
    created TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX notes_patient ON notes(patient_id, created);
"""


def _v5(conn: sqlite3.Connection) -> None:
    for statement in V5.split(";"):
        if statement.strip():
            conn.execute(statement)


# v6: treatment events on a patient's timeline (issue 18): botulinum toxin injections (side, muscles,
# units, product), therapy started/stopped/changed, surgery, other; dated by day.
EVENT_KINDS = ("botox", "therapy-start", "therapy-stop", "therapy-change", "surgery", "other")
EVENT_SIDES = ("right", "left", "both")
V6 = """
CREATE TABLE treatment_events (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    date TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('botox', 'therapy-start', 'therapy-stop', 'therapy-change', 'surgery', 'other')),
    side TEXT CHECK (side IN ('right', 'left', 'both')),
    detail TEXT NOT NULL DEFAULT '',
    units REAL,
    muscles TEXT NOT NULL DEFAULT '',
    product TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL
);
CREATE INDEX treatment_events_patient ON treatment_events(patient_id, date);
"""


def _v6(conn: sqlite3.Connection) -> None:
    for statement in V6.split(";"):
        if statement.strip():
            conn.execute(statement)


MIGRATIONS: list[tuple[int, Callable[[sqlite3.Connection], None]]] = [(1, _v1), (2, _v2), (3, _v3), (4, _v4), (5, _v5),
                                                                      (6, _v6)]
SCHEMA_VERSION = MIGRATIONS[-1][0]
