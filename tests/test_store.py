"""The local store: round trips, restart, trends, migration, locks, full disk, a killed writer,
damaged files, and the store's commands."""

import argparse
import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from legacy_store import MIGRATIONS

from synkimeter.core.analysis import analyze_landmarks
from synkimeter.landmarks.series import LandmarkSeries
from synkimeter.store import DB_NAME, SCHEMA_VERSION, Store, StoreError, database
from synkimeter.usecases.saving import save_clip
from synkimeter.usecases.trends import patient_trends
from synkimeter_dev.simulate import SimBlink, regular_blinks, simulate

REPO = Path(__file__).resolve().parents[1]


def sim_clip(coupling_right=0.0, narrow=(0.0, 0.0), seed=0, duration=10.0):
    """(analysis, series) of a simulated clip: mouth-corner coupling on the right, eyes narrowed."""
    blinks = regular_blinks(duration)
    for side, depth in zip(("right", "left"), narrow):
        if depth:
            blinks.append(SimBlink(apex_s=duration / 2, eye=side, depth=depth / 0.85, close_s=0.5,
                                   hold_s=duration - 4, open_s=0.5))
    tr = simulate(duration, blinks=blinks, coupling_mm={"right": coupling_right}, jitter_px=0.3, seed=seed)
    analysis = analyze_landmarks(tr.timestamps_s, tr.points, affected_side="right")
    series = LandmarkSeries(tr.timestamps_s, tr.points, np.ones(tr.timestamps_s.size), 640, 480, 30.0, "simulated")
    return analysis, series


HISTORY = [  # date, kind, right coupling mm, right pucker narrowing
    ("2025-01-10", "baseline", 2.6, 0.30),
    ("2025-03-14", "follow-up", 1.8, 0.20),
    ("2025-06-02", "follow-up", 0.9, 0.08),
]


def make_history(store, pseudonym="PX-0042", tasks=("natural_blinking", "rest", "pucker", "smile")):
    patient, _ = store.get_or_create_patient(pseudonym, "right")
    for i, (date, kind, coupling, pucker) in enumerate(HISTORY):
        session = store.start_session(patient, kind, protocol="standard", started_at=f"{date}T10:30:00")
        for j, task in enumerate(tasks):
            args = {"natural_blinking": dict(coupling_right=coupling), "rest": {},
                    "pucker": dict(narrow=(pucker, 0.02)), "smile": dict(narrow=(pucker + 0.2, 0.2))}[task]
            analysis, series = sim_clip(seed=10 * i + j, **args)
            save_clip(store, store.begin_clip(session, task), analysis=analysis, series=series)
        store.finish_session(session)
    return patient


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(folder))
    return folder


def test_data_dir_from_environment(store_dir):
    with Store() as store:
        assert store.folder == store_dir
        assert (store_dir / DB_NAME).is_file()
        assert store.schema_version == SCHEMA_VERSION
        assert store.conn.exec_driver_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.exec_driver_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_round_trip_and_restart(store_dir):
    with Store() as store:
        patient = store.add_patient("P-7", "left", notes="palsy 2023")
        with pytest.raises(StoreError, match="already exists"):
            store.add_patient("P-7")
        session = store.start_session(patient, "baseline", protocol="standard", notes="first visit")
        analysis, series = sim_clip(seed=3)
        clip = save_clip(store, store.begin_clip(session, "natural_blinking"), analysis=analysis, series=series)
        store.finish_session(session)
        summary_before = store.summary(clip)
    with Store() as store:  # a restart
        assert store.problems == []
        (patient,) = store.patients()
        assert (patient.pseudonym, patient.affected_side, patient.notes) == ("P-7", "left", "palsy 2023")
        (session,) = store.sessions(patient)
        assert (session.kind, session.status, session.protocol, session.notes) == ("baseline", "complete", "standard", "first visit")
        (clip,) = store.clips(session)
        assert clip.status == "complete" and clip.task == "natural_blinking"
        assert store.summary(clip) == summary_before
        assert json.loads((store.folder / clip.summary_path).read_text()) == summary_before
        loaded = store.load_series(clip)
        np.testing.assert_array_equal(loaded.points, series.points)
        row = store.result_row(clip)
        assert row["right_median_mm"] == summary_before["ocular_oral"]["right"]["median_mm"]
        assert row["right_fissure_open_mm"] > 0
        assert store.verify() == []
        assert store.integrity_check() == "ok"


def test_three_sessions_trended(store_dir):
    with Store() as store:
        make_history(store)
        trends = patient_trends(store, "PX-0042")
    medians = trends.get("ocular_oral_median", "right").points
    assert [p.date for p in medians] == [d for d, *_ in HISTORY]
    assert [p.baseline for p in medians] == [True, False, False]
    values = [p.value for p in medians]
    assert values[0] > values[1] > values[2]
    for p, (_, _, coupling, _) in zip(medians, HISTORY):
        assert p.value == pytest.approx(coupling, abs=0.3)
        assert p.ci_low <= p.value <= p.ci_high
    pucker = trends.get("narrowing_pucker", "right").points
    assert [round(p.value) for p in pucker] == pytest.approx([30, 20, 8], abs=3)
    changes = {(c.metric.key, c.side): c for c in trends.changes}
    right = changes[("ocular_oral_median", "right")]
    assert right.baseline.date == "2025-01-10" and right.latest.date == "2025-06-02"
    assert right.change == pytest.approx(0.9 - 2.6, abs=0.4)
    assert right.beyond_noise and right.intervals_overlap is False and right.verdict == "improved"
    left = changes[("ocular_oral_median", "left")]
    # the unaffected side stays within what a healthy face shows: never "improved" or "worse"
    assert not left.beyond_noise and left.verdict == "healthy at both visits"
    score = changes[("ocular_synkinesis", None)]
    assert score.latest.value > score.baseline.value and score.verdict == "improved"


def _v1_database(folder: Path) -> Path:
    folder.mkdir(parents=True)
    conn = sqlite3.connect(folder / DB_NAME)
    version, step = MIGRATIONS[0]
    step(conn)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("INSERT INTO patients (pseudonym, created) VALUES ('OLD-1', '2024-01-01T00:00:00')")
    conn.execute("INSERT INTO sessions (patient_id, started_at, kind, status) VALUES (1, '2024-01-02T09:00:00', 'baseline', 'complete')")
    conn.execute("INSERT INTO clips (session_id, task, status, created) VALUES (1, 'natural_blinking', 'complete', '2024-01-02')")
    summary = {"ocular_oral": {"right": {"median_mm": 1.5, "average_peak_mm": 1.4}, "left": {"median_mm": 0.2, "average_peak_mm": 0.1}}}
    conn.execute("INSERT INTO results (clip_id, summary_json, created, right_median_mm, left_median_mm) VALUES (1, ?, '2024-01-02', 1.5, 0.2)",
                 (json.dumps(summary),))
    conn.commit()
    conn.close()
    return folder


def test_v1_database_is_migrated(tmp_path):
    folder = _v1_database(tmp_path / "old")
    with Store(folder) as store:
        assert store.schema_version == SCHEMA_VERSION == 12
        (patient,) = store.patients()
        (row,) = store.results(patient)
        assert row["right_median_mm"] == 1.5
        assert (row["right_average_peak_mm"], row["left_average_peak_mm"]) == (1.4, 0.1)  # filled from the JSON
        assert row["right_narrowing_pct"] is None
        assert store.sessions(patient)[0].ocular_score is None
    backup = folder / f"{DB_NAME}.v1.bak"
    assert backup.is_file()
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    with Store(folder) as store:  # reopening does not migrate again
        assert store.schema_version == SCHEMA_VERSION


def test_newer_database_is_refused(tmp_path):
    folder = tmp_path / "new"
    Store(folder).close()
    with sqlite3.connect(folder / DB_NAME) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer synkimeter"):
        Store(folder)


def test_damaged_database_gives_a_sentence(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / DB_NAME).write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="damaged"):
        Store(folder)


def test_locked_database_waits_then_says_so(store_dir):
    Store().close()
    other = sqlite3.connect(store_dir / DB_NAME, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        with Store(busy_timeout_s=0.3) as store:
            start = time.monotonic()
            with pytest.raises(StoreError) as info:
                store.add_patient("P-1")
            assert time.monotonic() - start >= 0.25  # it waited first
            message = str(info.value)
            assert "in use by another program" in message and "0.3 s" in message
            assert "\n" not in message
            assert store.patients() == []  # reading still works under WAL
    finally:
        other.execute("ROLLBACK")
        other.close()
    with Store() as store:
        store.add_patient("P-1")


def test_full_disk_keeps_nothing_of_the_clip(store_dir, monkeypatch, tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(os.urandom(200_000))
    real_writer = database.atomic_writer

    def writer(path, mode="w", encoding="utf-8"):
        if str(path).endswith(".json"):  # the video and landmarks are written, then the disk fills up
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_writer(path, mode, encoding)

    with Store() as store:
        patient = store.add_patient("P-1")
        session = store.start_session(patient, "baseline")
        clip = store.begin_clip(session, "natural_blinking")
        analysis, series = sim_clip(seed=1)
        monkeypatch.setattr(database, "atomic_writer", writer)
        with pytest.raises(StoreError) as info:
            save_clip(store, clip, analysis=analysis, series=series, video=video)
        assert "disk is full" in str(info.value) and "nothing of it was kept" in str(info.value)
        folder = store.session_dir(patient.id, session.id)
        assert sorted(p.name for p in folder.iterdir()) == []  # no partial or temporary file
        failed = store.clip(clip.id)
        assert failed.status == "failed" and "disk is full" in failed.error
        assert store.result_row(clip) is None
        monkeypatch.setattr(database, "atomic_writer", real_writer)
        retry = save_clip(store, store.begin_clip(session, "natural_blinking"), analysis=analysis, series=series, video=video)
        assert retry.status == "complete" and (store.folder / retry.video_path).read_bytes() == video.read_bytes()


WRITER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {tests!r})
    from test_store import sim_clip
    from synkimeter.store import Store, database
    from synkimeter.usecases.saving import save_clip
    store = Store({folder!r})
    patient, _ = store.get_or_create_patient("K-1")
    for day in (1, 2):
        session = store.start_session(patient, "follow-up", started_at=f"2025-02-0{{day}}T09:00:00")
        analysis, series = sim_clip(seed=day)
        save_clip(store, store.begin_clip(session, "natural_blinking"), analysis=analysis, series=series)
        store.finish_session(session)
    real = database.atomic_writer
    class Stall:
        def __init__(self, path, mode="w", encoding="utf-8"):
            self.inner = real(path, mode, encoding)
        def __enter__(self):
            fh = self.inner.__enter__()
            fh.write('{{"half": ')
            fh.flush()
            print("MID-WRITE", flush=True)
            time.sleep(60)
        def __exit__(self, *exc):
            return self.inner.__exit__(*exc)
    database.atomic_writer = Stall
    session = store.start_session(patient, "follow-up", started_at="2025-02-03T09:00:00")
    analysis, series = sim_clip(seed=3)
    save_clip(store, store.begin_clip(session, "natural_blinking"), analysis=analysis, series=series)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_mid_write_loses_only_the_unfinished_clip(tmp_path):
    folder = tmp_path / "store"
    script = WRITER.format(tests=str(REPO / "tests"), folder=str(folder))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "MID-WRITE", proc.stderr.read()
        session_dir = folder / "clips" / "p0001" / "s00003"
        assert any(p.name.endswith(".tmp") for p in session_dir.iterdir())  # a half-written file exists now
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    with Store(folder) as store:
        assert store.integrity_check() == "ok"
        assert any("interrupted" in p for p in store.problems)
        (patient,) = store.patients()
        s1, s2, s3 = store.sessions(patient)
        assert (s1.status, s2.status, s3.status) == ("complete", "complete", "incomplete")
        for s in (s1, s2):
            (clip,) = store.clips(s)
            assert clip.status == "complete" and store.summary(clip)["ocular_oral"]["right"]["n"] > 0
            store.load_series(clip)
        (unfinished,) = store.clips(s3)
        assert unfinished.status == "incomplete" and unfinished.summary_path is None
        assert store.result_row(unfinished) is None
        assert not [p for p in (folder / "clips").rglob("*") if p.name.endswith((".tmp", ".part"))]
        assert store.verify() == []
        store.add_patient("after-crash")  # writable again


def test_a_live_session_is_not_marked_incomplete(store_dir):
    with Store() as writer:
        patient = writer.add_patient("L-1")
        session = writer.start_session(patient, "self-check")
        with Store() as reader:  # same process: alive
            assert reader.session(session.id).status == "recording"
    with sqlite3.connect(store_dir / DB_NAME) as conn:  # pretend its process is gone
        conn.execute("UPDATE sessions SET pid = 999999999 WHERE id = ?", (session.id,))
    with Store() as store:
        assert store.session(session.id).status == "incomplete"


def test_damaged_clip_file_is_reported_and_the_rest_opens(store_dir):
    with Store() as store:
        make_history(store, tasks=("natural_blinking",))
        clips = [c for s in store.sessions(store.patient("PX-0042")) for c in store.clips(s)]
        (store.folder / clips[1].landmarks_path).write_bytes(b"PK\x03\x04 garbage")
        (store.folder / clips[2].summary_path).unlink()
    with Store() as store:
        assert any("missing" in p and f"clip {clips[2].id}" in p for p in store.problems)
        problems = store.verify()
        assert any(f"clip {clips[1].id}" in p and "damaged" in p for p in problems)
        with pytest.raises(StoreError, match="damaged"):
            store.load_series(store.clip(clips[1].id))
        store.load_series(store.clip(clips[0].id))
        assert len(patient_trends(store, "PX-0042").get("ocular_oral_median", "right").points) == 3


def test_bad_input_is_refused_with_a_sentence(store_dir):
    with Store() as store:
        with pytest.raises(StoreError, match="pseudonym"):
            store.add_patient("  ")
        with pytest.raises(StoreError, match="subject's"):
            store.add_patient("A", affected_side="up")
        patient = store.add_patient("A")
        with pytest.raises(StoreError, match="kind"):
            store.start_session(patient, "weekly")
        with pytest.raises(StoreError, match="not a task"):
            store.begin_clip(store.start_session(patient), "../etc")
        with pytest.raises(StoreError, match="no patient"):
            store.require_patient("B")


# --- commands ---------------------------------------------------------------------------------------
def run_command(*argv):
    from synkimeter.cli.store import add_commands

    parser = argparse.ArgumentParser(prog="synkimeter")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_commands_answer_bad_input_with_exit_2(store_dir, capsys, tmp_path):
    assert run_command("patients") == 0
    assert "No patients" in capsys.readouterr().out
    assert run_command("import", str(tmp_path / "missing.mp4"), "--patient", "A") == 2
    assert "does not exist" in capsys.readouterr().err
    assert run_command("report", "nobody", "--pdf", str(tmp_path / "r.pdf")) == 2
    err = capsys.readouterr().err
    assert "no patient 'nobody'" in err and "Traceback" not in err
    assert run_command("export", "nobody", "--csv", str(tmp_path / "x.csv")) == 2
    with Store() as store:
        make_history(store, tasks=("natural_blinking",))
    assert run_command("report", "PX-0042") == 2
    assert "--pdf" in capsys.readouterr().err
    assert run_command("patients", "PX-0042") == 0
    out = capsys.readouterr().out
    assert "2025-01-10" in out and "baseline" in out
    assert run_command("export", "PX-0042", "--csv", str(tmp_path / "x.csv")) == 0
    assert (tmp_path / "x.csv").read_text().count("\n") == 4


SAMPLE = REPO / "sample_videos" / "right_1mm.mp4"


@pytest.mark.slow
@pytest.mark.skipif(not SAMPLE.is_file(), reason="sample_videos/right_1mm.mp4 is not in this checkout")
def test_import_a_real_video(store_dir, capsys):
    pytest.importorskip("mediapipe")
    truth = json.loads(SAMPLE.with_suffix(".truth.json").read_text())
    code = run_command("import", str(SAMPLE), "--patient", "R-1", "--kind", "baseline", "--date", "2025-04-01")
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "New patient 'R-1' created" in out and "mm" in out
    with Store() as store:
        (session,) = store.sessions(store.require_patient("R-1"))
        assert (session.kind, session.status, session.started_at) == ("baseline", "complete", "2025-04-01T00:00:00")
        (clip,) = store.clips(session)
        assert clip.source_name == SAMPLE.name and clip.video_path.endswith(".mp4")
        assert (store.folder / clip.video_path).read_bytes() == SAMPLE.read_bytes()
        assert len(store.load_series(clip)) == truth["frames"]
        assert store.summary(clip)["ocular_oral"]["right"]["median_mm"] == pytest.approx(truth["coupling_mm"]["right"], abs=0.5)
    # importing again for the same patient does not create it again
    assert run_command("import", str(SAMPLE), "--patient", "R-1", "-q") == 0
    assert "New patient" not in capsys.readouterr().out


MIGRATE_AT_ONCE = textwrap.dedent("""
    import sys, threading
    from synkimeter.store import Store
    folders, errors = sys.argv[1:], []
    barrier = threading.Barrier(len(folders))

    def open_new(folder):
        barrier.wait()
        try:
            Store(folder).close()
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=open_new, args=(f,)) for f in folders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(len(errors), errors[:1])
""")


def test_threads_of_one_program_creating_stores_at_once_migrate_one_at_a_time(tmp_path):
    """Alembic keeps the running migration in module globals: the window's first look at the store and a
    page saving on its own thread, each opening a new store, crashed the program (or half-migrated) when
    their migrations ran at once. In a subprocess, so a crash is a failure here, not of the test run."""
    for round_ in range(2):
        folders = [str(tmp_path / f"r{round_}s{i}") for i in range(4)]
        proc = subprocess.run([sys.executable, "-c", MIGRATE_AT_ONCE, *folders], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0 and proc.stdout.startswith("0 "), (proc.returncode, proc.stdout,
                                                                       proc.stderr[-1500:])
        for folder in folders:
            with Store(folder) as store:
                assert store.schema_version == SCHEMA_VERSION
