"""A clinic's shared store on a real PostgreSQL server (tests/postgres.py starts it): therapists as their
own roles, several programs writing at once, a program killed mid-import, a read-only role, the audit
table, moving a single-user store in, and a server that is down or refuses the password."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from test_robustness import one_sentence, run_cli
from test_store import make_history, sim_clip

from synkimeter.store import Store, StoreError
from synkimeter.store.clinic import add_user, init_clinic
from synkimeter.store.migrate import head_revision
from synkimeter.store.schema import SCHEMA_REVISION
from synkimeter.usecases.saving import save_clip

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


@pytest.fixture
def clinic(postgres_server, postgres_db, tmp_path, monkeypatch):
    """An initialised clinic database and a function giving a therapist a login: (url for them, env)."""
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    with Store(url=postgres_db.url, folder=tmp_path / "admin") as store:
        init_clinic(store)
    pgpass = tmp_path / "pgpass"
    lines: list[str] = []

    def therapist(read_only: bool = False, password: str = "correct horse battery") -> tuple[str, str]:
        name = f"t_{uuid.uuid4().hex[:8]}"
        with Store(url=postgres_db.url, folder=tmp_path / "admin") as store:
            add_user(store, name, read_only=read_only, password=password)
        lines.append(f"127.0.0.1:{postgres_server.port}:{postgres_db.name}:{name}:{password}")
        pgpass.write_text("\n".join(lines) + "\n")
        pgpass.chmod(0o600)
        return postgres_server.tcp_url(name, postgres_db.name), name

    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    therapist.admin_url = postgres_db.url  # type: ignore[attr-defined]
    return therapist


def test_the_migrations_end_at_the_schema_the_code_knows():
    assert head_revision() == SCHEMA_REVISION


def test_a_therapist_logs_in_with_the_password_file_and_is_named_in_the_audit(clinic, tmp_path):
    url, name = clinic()
    with Store(url=url, folder=tmp_path / "t") as store:
        assert store.location.endswith(f"as {name}") and not store.read_only
        patient = store.add_patient("AUD-1", "right")
        store.record_access("read", patient, "opened")
        assert [(r["actor"], r["action"]) for r in store.audit_log("AUD-1")] == [(name, "read")]
        # nobody but the owner changes the audit table
        with pytest.raises(Exception, match="permission denied"):
            store.conn.exec_driver_sql("DELETE FROM audit")


def test_a_read_only_role_cannot_write(clinic, tmp_path):
    writer_url, _ = clinic()
    with Store(url=writer_url, folder=tmp_path / "w") as store:
        make_history(store, tasks=("natural_blinking",))
    reader_url, reader = clinic(read_only=True)
    with Store(url=reader_url, folder=tmp_path / "r") as store:
        assert store.read_only
        patient = store.require_patient("PX-0042")
        assert len(store.sessions(patient)) == 3 and store.load_series(store.clips(store.sessions(patient)[0])[0])
        before = store.conn.exec_driver_sql("SELECT COUNT(*) FROM sessions").scalar()
        for write in (lambda: store.add_patient("NEW-1"), lambda: store.start_session(patient),
                      lambda: store.delete_patient("PX-0042"), lambda: store.add_note(patient, "x"),
                      lambda: store.rename_patient("PX-0042", "PX-9")):
            with pytest.raises(StoreError, match=f"'{reader}' may only read"):
                write()
        for table in ("patients", "results", "clip_files"):
            with pytest.raises(Exception, match="permission denied"):
                store.conn.exec_driver_sql(f"DELETE FROM {table}")
        assert store.conn.exec_driver_sql("SELECT COUNT(*) FROM sessions").scalar() == before
        store.record_access("read", patient, "looked")  # reading is audited for a reader too
        assert store.audit_log("PX-0042")[-1]["actor"] == reader


IMPORTER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {tests!r})
    from test_store import sim_clip
    from synkimeter.store import Store
    from synkimeter.usecases.saving import save_clip
    worker, clips, start_at = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    analyses = [sim_clip(coupling_right=0.5 * worker, seed=100 * worker + i, duration=6.0) for i in range(clips)]
    with Store(url={url!r}, folder={local!r} + str(worker)) as store:
        while time.time() < start_at:  # all four begin together
            time.sleep(0.005)
        for i, (analysis, series) in enumerate(analyses):
            for pseudonym in ("SHARED-1", f"OWN-{{worker}}"):
                patient, _ = store.get_or_create_patient(pseudonym, "right")
                session = store.start_session(patient, "follow-up", protocol="import",
                                              started_at=f"2025-0{{1 + worker}}-{{10 + i}}T09:00:00")
                clip = store.begin_clip(session, "natural_blinking", source_name=f"w{{worker}}-{{i}}.mp4")
                save_clip(store, clip, analysis=analysis, series=series, finish_session="complete")
    print("done", worker)
""")


def test_four_programs_importing_at_once_lose_nothing(clinic, tmp_path):
    url, _ = clinic()
    clips = 5
    script = IMPORTER.format(tests=str(TESTS), url=url, local=str(tmp_path / "local"))
    start_at = time.time() + 8  # after every program has imported and simulated its clips
    procs = [subprocess.Popen([sys.executable, "-c", script, str(w), str(clips), str(start_at)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
             for w in range(4)]
    outputs = [p.communicate(timeout=180) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0 and out.startswith("done"), err[-2000:]
    with Store(url=url, folder=tmp_path / "check") as store:
        assert sorted(p.pseudonym for p in store.patients()) == ["OWN-0", "OWN-1", "OWN-2", "OWN-3", "SHARED-1"]
        shared = store.sessions(store.require_patient("SHARED-1"))
        assert len(shared) == 4 * clips and all(s.status == "complete" for s in shared)
        for w in range(4):
            assert len(store.sessions(store.require_patient(f"OWN-{w}"))) == clips
        names = [c.source_name for s in shared for c in store.clips(s)]
        assert sorted(names) == sorted(f"w{w}-{i}.mp4" for w in range(4) for i in range(clips))
        assert store.conn.exec_driver_sql("SELECT COUNT(*) FROM results").scalar() == 8 * clips
        assert store.verify(deep=True) == []
        by_worker = {}
        for row in store.results(store.require_patient("SHARED-1")):
            by_worker.setdefault(row["source_name"][1], []).append(row["right_average_peak_mm"])
        assert np.median(by_worker["3"]) > np.median(by_worker["0"]) + 0.8  # each result is its own clip's


KILLED = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {tests!r})
    from test_store import sim_clip
    from synkimeter.store import Store, database
    from synkimeter.usecases.saving import save_clip
    store = Store(url={url!r}, folder={local!r})
    patient, _ = store.get_or_create_patient("KILL-1", "right")
    analysis, series = sim_clip(coupling_right=1.0, seed=3)
    real = database.Store._put_file
    def stalled(self, conn, clip_id, kind, name, data):
        real(self, conn, clip_id, kind, name, data)
        if kind == "summary":  # every row of the clip is written; the transaction is not committed
            print("MID-IMPORT", flush=True)
            time.sleep(120)
    database.Store._put_file = stalled
    session = store.start_session(patient, "follow-up", protocol="import")
    clip = store.begin_clip(session, "natural_blinking", source_name="killed.mp4")
    save_clip(store, clip, analysis=analysis, series=series, video={video!r}, finish_session="complete")
""")


def test_kill_9_mid_import_leaves_no_half_written_session(clinic, tmp_path):
    url, _ = clinic()
    video = tmp_path / "v.mp4"
    video.write_bytes(os.urandom(2_000_000))
    with Store(url=url, folder=tmp_path / "before") as store:
        make_history(store, "KILL-1", tasks=("natural_blinking",))
    script = KILLED.format(tests=str(TESTS), url=url, local=str(tmp_path / "local"), video=str(video))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=REPO)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "MID-IMPORT", proc.stderr.read()[-2000:]
        with Store(url=url, folder=tmp_path / "during", recover=False) as other:  # nothing of it shows yet
            assert other.conn.exec_driver_sql("SELECT COUNT(*) FROM clip_files WHERE clip_id IN (SELECT id FROM clips "
                                              "WHERE source_name = 'killed.mp4')").scalar() == 0
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    with Store(url=url, folder=tmp_path / "after") as store:
        assert any("interrupted import" in p for p in store.problems)
        sessions = store.sessions(store.require_patient("KILL-1"))
        assert len(sessions) == 3 and all(s.status == "complete" for s in sessions)  # the three from before
        for table, where in (("clips", "source_name = 'killed.mp4'"), ("sessions", "status <> 'complete'"),
                             ("clip_files", "clip_id NOT IN (SELECT id FROM clips)"),
                             ("results", "clip_id NOT IN (SELECT id FROM clips)")):
            assert store.conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table} WHERE {where}").scalar() == 0, table
        assert store.verify(deep=True) == []


def test_every_export_and_delete_lands_in_the_audit_table(clinic, tmp_path, monkeypatch, capsys):
    url, name = clinic()
    with Store(url=url, folder=tmp_path / "w") as store:
        make_history(store, "EXP-1", tasks=("natural_blinking",))
        session_id = store.sessions(store.require_patient("EXP-1"))[-1].id
    monkeypatch.setenv("SYNKIMETER_DATABASE_URL", url)
    for args in (["export", "EXP-1", "--csv", tmp_path / "e.csv"], ["report", "EXP-1", "--html", tmp_path / "r.html"],
                 ["sessions", "EXP-1"], ["sessions", "delete", "EXP-1", session_id, "--yes"],
                 ["patients", "delete", "EXP-1", "--yes"]):
        code, _out, err = run_cli(args, capsys)
        assert code == 0, err
    code, out, err = run_cli(["audit", "EXP-1"], capsys)
    assert code == 0, err
    rows = [line.split() for line in out.splitlines()[2:]]
    assert [r[4] for r in rows] == ["export", "export", "read", "delete", "delete"]
    assert all(r[2] == name for r in rows)
    assert "e.csv" in out and "r.html" in out and f"session {session_id}" in out
    code, _out, err = run_cli(["audit", "NOBODY"], capsys)
    assert code == 2 and "audit table holds nothing" in one_sentence(err)


def test_store_copy_keeps_every_patient_session_clip_and_result(clinic, tmp_path, capsys, monkeypatch):
    local = tmp_path / "mine"
    video = tmp_path / "v.mp4"
    video.write_bytes(os.urandom(500_000))
    with Store(local) as store:
        patient = make_history(store)
        make_history(store, "PX-0099", tasks=("rest", "smile"))
        session = store.start_session(patient, "self-check", started_at="2025-08-01T08:00:00")
        analysis, series = sim_clip(seed=42)
        save_clip(store, store.begin_clip(session, "natural_blinking"), analysis=analysis, series=series, video=video)
        store.finish_session(session)
        store.add_note(patient, "Started mirror therapy.", session)
        store.add_event(patient, "botox", "2025-04-01", side="right", units=5)
        store.add_practice_set(patient, {"started_at": "2025-08-02T08:00:00", "kind": "smile", "affected_side": "right",
                                         "target": 10.0, "unit": "%", "attempts": 5, "judged": 5, "clean": 4})
        source = {p.pseudonym: [(s.kind, s.started_at, s.status, [(c.task, c.status, store.summary(c),
                                 {k: hashlib.sha256(store.clip_bytes(c, k) or b"").hexdigest()
                                  for k in ("video", "landmarks", "summary")}) for c in store.clips(s)])
                                for s in store.sessions(p)] for p in store.patients()}
    url, _ = clinic()
    code, out, err = run_cli(["store", "copy", "--to", url, "--data-dir", local], capsys)
    assert code == 0, err
    assert "2 patients, 7 sessions, 19 clips, 19 results" in out and "checksum" in out
    with Store(url=url, folder=tmp_path / "c") as store:
        copied = {p.pseudonym: [(s.kind, s.started_at, s.status, [(c.task, c.status, store.summary(c),
                                 {k: hashlib.sha256(store.clip_bytes(c, k) or b"").hexdigest()
                                  for k in ("video", "landmarks", "summary")}) for c in store.clips(s)])
                                for s in store.sessions(p)] for p in store.patients()}
        assert copied == source
        patient = store.require_patient("PX-0042")
        assert store.notes(patient)[0]["session_id"] == store.sessions(patient)[-1].id
        assert len(store.events(patient)) == 1 and len(store.practice_sets(patient)) == 1
        assert store.audit_log("PX-0042")[-1]["action"] == "copy"
        assert store.verify(deep=True) == []
    code, _out, err = run_cli(["store", "copy", "--to", url, "--data-dir", local], capsys)  # twice: refused whole
    assert code == 2 and "already has patient(s) PX-0042, PX-0099" in one_sentence(err)
    with Store(url=url, folder=tmp_path / "c") as store:
        assert len(store.patients()) == 2


def test_a_server_down_or_refusing_the_password_is_one_sentence(clinic, tmp_path, monkeypatch, capsys):
    url, name = clinic(password="the right one, long")
    monkeypatch.setenv("SYNKIMETER_DATABASE_URL", url)
    assert run_cli(["patients"], capsys)[0] == 0
    Path(os.environ["PGPASSFILE"]).write_text(Path(os.environ["PGPASSFILE"]).read_text().replace(
        "the right one, long", "a wrong one"))
    code, _out, err = run_cli(["patients"], capsys)
    assert code == 2 and f"refused the password of '{name}'" in one_sentence(err)
    monkeypatch.setenv("SYNKIMETER_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # loopback, closed port
    code, _out, err = run_cli(["import", REPO / "sample_videos" / "right_3mm.mp4", "--patient", "X"], capsys)
    assert code == 2 and "cannot be reached" in one_sentence(err)
    monkeypatch.setenv("SYNKIMETER_DATABASE_URL", "postgresql://anna:secret@127.0.0.1:1/none")
    code, _out, err = run_cli(["patients"], capsys)
    assert code == 2 and "password file" in one_sentence(err) and "secret" not in err


def test_an_older_clinic_schema_is_brought_up_by_init_not_by_a_therapist(postgres_db, tmp_path, monkeypatch):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    from synkimeter.store.migrate import MIGRATIONS_DIR

    engine = create_engine(postgres_db.url)
    with engine.begin() as conn:  # a clinic store as an older synkimeter left it
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "v6")
    engine.dispose()
    with Store(url=postgres_db.url, folder=tmp_path / "a", recover=False) as store:  # the owner: brought up
        assert store.schema_version == 9
        init_clinic(store)
        init_clinic(store)  # again: nothing breaks
    name = f"t_{uuid.uuid4().hex[:8]}"
    with Store(url=postgres_db.url, folder=tmp_path / "a") as store:
        add_user(store, name, password=None)
        with pytest.raises(StoreError, match="already exists"):
            add_user(store, name)


def test_a_guided_recording_goes_into_the_clinic_store(clinic, tmp_path):
    from test_protocol import PARAMS, SAMPLES, _leftovers, _video_frames

    from synkimeter.capture import VideoFileSource
    from synkimeter.usecases.protocol import ProtocolRunner, protocol, record_protocol

    url, _ = clinic()
    with Store(url=url, folder=tmp_path / "local") as store:
        patient = store.add_patient("REC-1", "right")
        runner = ProtocolRunner(store, patient, protocol("home", PARAMS), None, PARAMS)
        status = record_protocol(VideoFileSource(SAMPLES / "right_3mm.mp4"), runner, PARAMS)
        assert status.phase == "done", status.message
        (session,) = store.sessions(patient)
        complete = [c for c in store.clips(session) if c.status == "complete"]
        assert [c.task for c in complete] == ["rest", "natural_blinking"]  # (the sample clip does not pucker)
        for clip in complete:
            video = tmp_path / f"{clip.id}.mp4"
            video.write_bytes(store.clip_bytes(clip, "video"))
            assert _video_frames(video) == len(store.load_series(clip))  # the video is in the database, whole
        assert not _leftovers(store.folder) and not list(store.folder.rglob("*.mp4"))  # nothing left locally


def test_a_clip_whose_server_went_away_is_kept_on_this_computer(clinic, postgres_server, tmp_path):
    import psycopg

    url, name = clinic()
    video = tmp_path / "v.mp4"
    video.write_bytes(os.urandom(100_000))
    with Store(url=url, folder=tmp_path / "local") as store:
        patient = store.add_patient("GONE-1")
        clip = store.begin_clip(store.start_session(patient), "natural_blinking")
        with psycopg.connect(postgres_server.admin_dsn(), autocommit=True) as admin:  # as a server restart would
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (name,))
        analysis, series = sim_clip(seed=8)
        with pytest.raises(StoreError) as caught:
            save_clip(store, clip, analysis=analysis, series=series, video=video)
    sentence = str(caught.value)
    assert "cannot be reached" in sentence and "kept on this computer" in sentence and "synkimeter import" in sentence
    (kept,) = (tmp_path / "local").rglob("unsent/*")
    assert sorted(p.suffix for p in kept.iterdir()) == [".json", ".mp4", ".npz"]
    assert next(kept.glob("*.mp4")).read_bytes() == video.read_bytes()


def test_import_a_real_video_into_the_clinic_store(clinic, tmp_path, monkeypatch, capsys):
    url, name = clinic()
    ini = Path(os.environ["SYNKIMETER_CONFIG_DIR"]) / "synkimeter.ini"  # the settings file, not the environment
    ini.parent.mkdir(parents=True, exist_ok=True)
    ini.write_text(f"[store]\ndatabase_url = {url}\n")
    video = REPO / "sample_videos" / "right_3mm.mp4"
    code, out, err = run_cli(["import", video, "--patient", "IMP-9", "--affected-side", "right", "-q"], capsys)
    assert code == 0, err
    code, out, err = run_cli(["check"], capsys)
    assert code == 0 and "clinic server 127.0.0.1:" in out and f"as {name}" in out, err
    with Store() as store:  # Store() follows the settings file too
        assert store.is_server
        (session,) = store.sessions(store.require_patient("IMP-9"))
        (clip,) = store.clips(session)
        assert session.status == "complete" and store.clip_bytes(clip, "video") == video.read_bytes()
        assert store.summary(clip)["ocular_oral"]["right"]["average_peak_mm"] > 2.0
