"""The store: patients, sessions, task clips and results, on SQLite (one user, clip files beside it)
or a clinic's PostgreSQL server (clips inside it).

`store.choices` (what the schema allows) is light; the store itself (`store.database`, SQLAlchemy and
numpy with it) loads when one of its names is first used, so the command line can offer the
schema's choices without loading it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from synkimeter.store.choices import SCHEMA_VERSION, TASKS

if TYPE_CHECKING:
    from synkimeter.store.database import (
        DB_NAME,
        ENV_DATA_DIR,
        Clip,
        ImportResult,
        Patient,
        Programme,
        Session,
        Store,
        StoreError,
        data_dir,
    )

_FROM_DATABASE = {"DB_NAME", "ENV_DATA_DIR", "Clip", "ImportResult", "Patient", "Programme", "Session", "Store",
                  "StoreError", "data_dir"}


def __getattr__(name: str) -> Any:
    if name in _FROM_DATABASE:
        return getattr(importlib.import_module("synkimeter.store.database"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Store", "StoreError", "Patient", "Programme", "Session", "Clip", "ImportResult", "data_dir", "TASKS",
           "ENV_DATA_DIR", "DB_NAME", "SCHEMA_VERSION"]
