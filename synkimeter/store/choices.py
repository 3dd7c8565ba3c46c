"""The choices the store's schema allows: light to import (the command line offers them in its
help without loading the database layer)."""

from __future__ import annotations

SIDES = ("right", "left")
SESSION_KINDS = ("baseline", "follow-up", "self-check")
# What a clip can show: the guided tasks (usecases/protocol.py words each of them; a test checks the two agree).
TASKS = ("rest", "natural_blinking", "brow_lift", "gentle_closure", "forceful_blink", "smile", "snarl", "pucker")
SESSION_STATUSES = ("recording", "complete", "incomplete")
CLIP_STATUSES = ("recording", "complete", "incomplete", "failed")
PRACTICE_KINDS = ("blink", "pucker", "smile")
# What each kind's goal is measured in (usecases/practice.py judges in it): the affected mouth corner's
# movement during a blink (mm), the affected eye's narrowing during a pucker or smile (% of its rest height).
PRACTICE_UNITS = {"blink": "mm", "pucker": "%", "smile": "%"}
EVENT_KINDS = ("botox", "therapy-start", "therapy-stop", "therapy-change", "surgery", "other")
EVENT_SIDES = ("right", "left", "both")
# What the audit table records (issue 19): who read, exported or deleted which patient's data.
AUDIT_ACTIONS = ("read", "export", "delete", "copy")
# The clip files a clinic server keeps in the database (beside the rows, one backup holds all).
CLIP_FILE_KINDS = ("video", "landmarks", "summary")

# Alembic revisions are named v1, v2, ...: the same numbers as PRAGMA user_version before Alembic.
SCHEMA_VERSION = 12
SCHEMA_REVISION = f"v{SCHEMA_VERSION}"
# A clinic store's two group roles (synkimeter.store.clinic): each therapist's login is in one of them.
READ_WRITE_ROLE = "synkimeter_rw"
READ_ONLY_ROLE = "synkimeter_ro"
