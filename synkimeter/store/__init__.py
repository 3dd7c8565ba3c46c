"""The local store: patients, sessions, task clips and results (SQLite beside plain clip files),
trends over sessions, and the `import`/`report`/`patients`/`export` commands."""

from synkimeter.store.database import (
    DB_NAME,
    ENV_DATA_DIR,
    TASKS,
    Clip,
    ImportResult,
    Patient,
    Session,
    Store,
    StoreError,
    data_dir,
)
from synkimeter.store.schema import SCHEMA_VERSION

__all__ = ["Store", "StoreError", "Patient", "Session", "Clip", "ImportResult", "data_dir", "TASKS",
           "ENV_DATA_DIR", "DB_NAME", "SCHEMA_VERSION"]
