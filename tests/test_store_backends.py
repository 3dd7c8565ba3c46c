"""The store's behaviour on both of its backends: SQLite (one user, files beside it) and a real
PostgreSQL server (a clinic's, clips inside the database). Every test here runs on each."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest
from test_store import HISTORY, make_history, sim_clip

from synkimeter.store import Store, StoreError
from synkimeter.usecases.saving import save_clip
from synkimeter.usecases.trends import patient_trends


@pytest.fixture(params=["sqlite", "postgresql"])
def open_store(request, tmp_path, monkeypatch):
    """A function opening the store under test (each call a new connection, as a second program would)."""
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    if request.param == "sqlite":
        return lambda: Store(tmp_path / "data")
    database = request.getfixturevalue("postgres_db")
    return lambda: Store(url=database.url, folder=tmp_path / "local")


def test_round_trip_with_files_results_and_trends(open_store, tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(np.random.default_rng(0).bytes(300_000))
    with open_store() as store:
        assert store.schema_version == 9
        patient = make_history(store)
        analysis, series = sim_clip(coupling_right=1.5, seed=99)
        session = store.start_session(patient, "follow-up", started_at="2025-09-01T10:00:00")
        clip = save_clip(store, store.begin_clip(session, "natural_blinking"), analysis=analysis, series=series,
                         video=video)
        store.finish_session(session)
    with open_store() as store:  # another program reads it back
        patient = store.require_patient("PX-0042")
        sessions = store.sessions(patient)
        assert [s.kind for s in sessions] == [k for _d, k, _c, _p in HISTORY] + ["follow-up"]
        assert all(s.status == "complete" for s in sessions)
        clip = store.clip(clip.id)
        assert clip.status == "complete" and clip.video_path and clip.landmarks_path
        assert store.clip_bytes(clip, "video") == video.read_bytes()
        loaded = store.load_series(clip)
        assert np.allclose(np.asarray(loaded.points[:]), np.asarray(series.points[:]).astype(np.float32))
        summary = store.summary(clip)
        assert summary["ocular_oral"]["right"]["average_peak_mm"] == pytest.approx(
            analysis.summary["ocular_oral"]["right"]["average_peak_mm"])
        assert json.loads(store.clip_bytes(clip, "summary"))["task"] == "natural_blinking"
        rows = store.results(patient)
        assert len(rows) == 3 * 4 + 1 and all(r["right_average_peak_mm"] is not None for r in rows
                                              if r["task"] == "natural_blinking")
        pucker = [r for r in rows if r["task"] == "pucker"]
        assert all(r["right_narrowing_pct"] is not None for r in pucker)  # the session's scores were written
        assert sessions[0].ocular_score is not None
        trends = patient_trends(store, patient)
        headline = [c for c in trends.changes if c.metric.key == "ocular_oral_average_peak" and c.side == "right"]
        assert headline and headline[0].change < 0  # 2.6 mm at baseline down to 0.9 mm
        assert store.verify(deep=True) == []
        assert store.complete_clip_count() == 13


def test_records_are_managed_and_deletions_audited(open_store):
    with open_store() as store:
        patient = make_history(store, tasks=("natural_blinking",))
        s1, s2, s3 = store.sessions(patient)
        store.add_note(patient, "Botox due next month.", s2)
        event = store.add_event(patient, "botox", "2025-02-01", side="right", units=7.5, muscles="orbicularis oculi")
        set_id = store.add_practice_set(patient, {
            "started_at": "2025-02-02T08:00:00", "kind": "blink", "affected_side": "right", "target": 1.0, "unit": "mm",
            "attempts": 10, "judged": 9, "clean": 7, "median_value": 0.8, "duration_s": 60.0,
            "attempts_json": [{"value": 0.8}]})
        assert set_id > 0 and store.practice_sets(patient)[0]["attempts_json"] == [{"value": 0.8}]
        store.update_session(s1, kind="baseline", started_at="2025-01-09", notes="moved")
        assert store.session(s1.id).started_at == "2025-01-09T10:30:00"
        renamed = store.rename_patient("PX-0042", "PX-0043")
        store.delete_event(renamed, event)
        store.delete_session(s3)
        with pytest.raises(StoreError, match="already exists"):
            store.add_patient("PX-0043")
        store.record_access("export", renamed, "CSV x.csv")
        assert store.delete_patient("PX-0043") == 2
        assert store.patients() == []
        log = store.audit_log("PX-0043")
        assert [r["action"] for r in log] == ["delete", "delete", "export", "delete"]
        assert "treatment event" in log[0]["detail"] and "session" in log[1]["detail"]
        assert all(r["actor"] for r in log)
        for table in ("sessions", "clips", "results", "notes", "treatment_events", "practice_sets", "clip_files"):
            assert store.conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar() == 0, table


def test_the_same_new_patient_from_two_stores_is_one_patient(open_store):
    with open_store() as a, open_store() as b:
        pa, created_a = a.get_or_create_patient("SAME-1", "left")
        pb, created_b = b.get_or_create_patient("SAME-1")
        assert pa.id == pb.id and (created_a, created_b) == (True, False)
        assert b.patient("SAME-1").affected_side == "left"


def test_an_interrupted_import_leaves_nothing(open_store, monkeypatch):
    """A session of protocol 'import' whose process is gone is removed on the next open: an import is
    written in one transaction, so an unfinished one has nothing worth keeping."""
    with open_store() as store:
        patient, _ = store.get_or_create_patient("IMP-1")
        session = store.start_session(patient, "follow-up", protocol="import")
        store.begin_clip(session, "natural_blinking")
        store.conn.exec_driver_sql(f"UPDATE sessions SET pid = 999999999 WHERE id = {session.id}")  # gone
    with open_store() as store:
        assert store.sessions(store.require_patient("IMP-1")) == []
        assert any("interrupted import" in p for p in store.problems)


def test_a_damaged_landmarks_file_is_one_sentence(open_store):
    with open_store() as store:
        patient, _ = store.get_or_create_patient("DMG-1")
        session = store.start_session(patient)
        analysis, series = sim_clip(seed=5)
        clip = save_clip(store, store.begin_clip(session, "natural_blinking"), analysis=analysis, series=series)
        if store.is_server:
            store.conn.exec_driver_sql(f"UPDATE clip_files SET data = 'not a zip' WHERE clip_id = {clip.id} "
                                       "AND kind = 'landmarks'")
        else:
            (store.folder / clip.landmarks_path).write_bytes(b"not a zip")
        with pytest.raises(StoreError, match="damaged and cannot be read"):
            store.load_series(clip)
        assert len(store.verify(deep=True)) == 1


def test_the_migrated_schema_is_the_one_the_queries_describe(open_store, tmp_path):
    """Alembic's own comparison: the tables the migrations made (on a new store, and on a SQLite
    store from before Alembic taken forward) are those of store/schema.py, column for column."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from synkimeter.store.schema import metadata

    with open_store() as store:
        assert compare_metadata(MigrationContext.configure(store.conn), metadata) == []
    if not store.is_server:
        from test_store import _v1_database

        with Store(_v1_database(tmp_path / "old")) as old:
            diffs = compare_metadata(MigrationContext.configure(old.conn), metadata)
            # The v1 tables were written by hand (REAL for FLOAT, inline foreign keys, `id INTEGER PRIMARY
            # KEY`, which SQLite reports as nullable): the tables, columns and indexes are what count.
            structural = ("add_table", "remove_table", "add_column", "remove_column", "add_index", "remove_index")
            assert [d for d in diffs if isinstance(d, tuple) and d[0] in structural] == []


SAQ_EXAMPLE = (3, 2, 4, 1, 5, 2, 3, 1, 2)  # sum 23 -> 23 / 45 x 100 = 51.1


def test_questionnaire_answers_round_trip_per_day_and_deletion_is_audited(open_store):
    """The patient's SAQ (issue 27): kept per day, read back by another program with its total, refused
    when wrong, deleted with an audit row, refused by the database itself outside 1-5."""
    with open_store() as store:
        assert store.schema_version == 9
        patient = store.add_patient("SAQ-1", "left")
        first = store.add_questionnaire(patient, "2025-02-03", SAQ_EXAMPLE)
        second = store.add_questionnaire(patient, "2025-01-05", [5] * 9)  # answered earlier, kept later
        for bad, words in (([1] * 8, "9 answers"), ([1] * 8 + [7], "not 7"),
                           ([1] * 9, None)):
            day = (date.today() + timedelta(days=1)).isoformat() if words is None else "2025-03-01"
            with pytest.raises(StoreError, match=words or "in the future"):
                store.add_questionnaire(patient, day, bad)
    with open_store() as store:  # another program reads them back
        patient = store.require_patient("SAQ-1")
        records = store.questionnaires(patient)
        assert [(r.id, r.date, r.items) for r in records] == [(second.id, "2025-01-05", (5,) * 9),
                                                             (first.id, "2025-02-03", SAQ_EXAMPLE)]
        assert [r.total for r in records] == pytest.approx([100.0, 23 / 45 * 100])
        with pytest.raises(StoreError, match="no questionnaire 999"):
            store.delete_questionnaire(patient, 999)
        store.delete_questionnaire(patient, second.id)
        assert [r.id for r in store.questionnaires(patient)] == [first.id]
        assert [(a["action"], a["detail"]) for a in store.audit_log("SAQ-1")] == [
            ("delete", f"questionnaire {second.id}")]
        # the database itself refuses an answer outside 1-5, whoever writes it
        with pytest.raises(StoreError):
            with store._tx() as conn:
                conn.exec_driver_sql("INSERT INTO saq_answers (patient_id, date, item1, item2, item3, item4, item5, "
                                     f"item6, item7, item8, item9, created) VALUES ({patient.id}, '2025-01-01', "
                                     "9, 1, 1, 1, 1, 1, 1, 1, 1, '2025-01-01')")
        store.delete_patient("SAQ-1")  # the answers go with the patient
        assert store.conn.exec_driver_sql("SELECT COUNT(*) FROM saq_answers").scalar() == 0
