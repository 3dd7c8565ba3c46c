"""The store's practice sets (schema v4): a v2 and a v3 database migrate, sets go in and come back."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from legacy_store import MIGRATIONS

from synkimeter.store import DB_NAME, SCHEMA_VERSION, Store, StoreError


def _old_database(folder: Path, version: int) -> Path:
    """A database as synkimeter wrote it at schema `version`, with one patient and one result."""
    folder.mkdir(parents=True)
    conn = sqlite3.connect(folder / DB_NAME)
    for v, step in MIGRATIONS:
        if v <= version:
            step(conn)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("INSERT INTO patients (pseudonym, affected_side, created) VALUES ('OLD-2', 'right', '2024-01-01T00:00:00')")
    conn.execute("INSERT INTO sessions (patient_id, started_at, kind, status) VALUES (1, '2024-01-02T09:00:00', 'baseline', 'complete')")
    conn.execute("INSERT INTO clips (session_id, task, status, created) VALUES (1, 'natural_blinking', 'complete', '2024-01-02')")
    summary = {"ocular_oral": {"right": {"median_mm": 2.6, "average_peak_mm": 2.4}, "left": {"median_mm": 0.8}}}
    conn.execute("INSERT INTO results (clip_id, summary_json, created, right_median_mm, left_median_mm, affected_side) "
                 "VALUES (1, ?, '2024-01-02', 2.6, 0.8, 'right')", (json.dumps(summary),))
    conn.commit()
    conn.close()
    return folder


def _record(day: str, clean: int = 15, judged: int = 20, target: float = 1.3) -> dict:
    return {"started_at": f"{day}T18:00:00", "kind": "blink", "affected_side": "right", "target": target, "unit": "mm",
            "attempts": judged, "judged": judged, "clean": clean, "median_value": 0.9, "duration_s": 85.0,
            "source_name": "Camera 0", "attempts_json": [{"number": 1, "value": 0.9, "clean": True}]}


@pytest.mark.parametrize("version", [2, 3])
def test_old_database_gains_practice_sets(tmp_path, version):
    assert SCHEMA_VERSION >= 4
    folder = _old_database(tmp_path / f"v{version}", version)
    with Store(folder) as store:
        assert store.schema_version == SCHEMA_VERSION
        (patient,) = store.patients()
        (row,) = store.results(patient)
        assert row["right_median_mm"] == 2.6  # the old result is intact
        assert store.practice_sets(patient) == []
        set_id = store.add_practice_set(patient, _record("2024-02-01"))
        (kept,) = store.practice_sets(patient)
        assert kept["id"] == set_id and kept["clean"] == 15 and kept["judged"] == 20 and kept["target"] == 1.3
        assert kept["attempts_json"] == [{"number": 1, "value": 0.9, "clean": True}]
    assert (folder / f"{DB_NAME}.v{version}.bak").is_file()
    with sqlite3.connect(folder / f"{DB_NAME}.v{version}.bak") as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "practice_sets" not in tables and conn.execute("PRAGMA user_version").fetchone()[0] == version
    with Store(folder) as store:  # reopening does not migrate again, the set is still there
        assert store.schema_version == SCHEMA_VERSION
        assert len(store.practice_sets(store.patients()[0])) == 1


def test_practice_sets_order_kind_and_checks(tmp_path):
    with Store(tmp_path / "s") as store:
        patient = store.add_patient("P-1", "left")
        store.add_practice_set(patient, _record("2025-03-02"))
        store.add_practice_set(patient, _record("2025-03-01"))
        store.add_practice_set(patient, {**_record("2025-03-03"), "kind": "pucker", "unit": "%", "target": 12.0})
        assert [s["started_at"][:10] for s in store.practice_sets(patient)] == ["2025-03-01", "2025-03-02", "2025-03-03"]
        assert [s["kind"] for s in store.practice_sets(patient, "pucker")] == ["pucker"]
        with pytest.raises(StoreError, match="one of blink"):
            store.add_practice_set(patient, {**_record("2025-03-04"), "kind": "wink"})
        with pytest.raises(StoreError):
            store.add_practice_set(patient, {**_record("2025-03-04"), "clean": 30})  # more clean than judged
        with pytest.raises(StoreError, match="not a date"):
            store.add_practice_set(patient, {**_record("2025-03-04"), "started_at": "yesterday"})
        assert len(store.practice_sets(patient)) == 3
        other = store.add_patient("P-2")
        assert store.practice_sets(other) == []
