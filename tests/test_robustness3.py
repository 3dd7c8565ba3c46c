"""Robustness round 3 (issue 30): a damaged or read-only store left as it is, an audit no one can
forge, control characters, look-alike patient codes, dates and numbers in range, messages that name
the user's paths, mirrored and dark videos, memory flat in the length of a video. Each test fails
without its fix."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest
from test_robustness import one_sentence, run_cli

from synkimeter.store import Store

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_videos" / "right_3mm.mp4"
HUGE = "9" * 20  # a 20-digit number: beyond SQLite's 64-bit integers


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def one_patient(store_dir):
    with Store() as store:
        patient = store.add_patient("PX-1", "right")
        session = store.start_session(patient, started_at="2025-01-02T10:00:00")
        store.finish_session(session)
    return store_dir


# --------------------------------------------------------------------------------------------------
# 6. numbers out of range


@pytest.mark.parametrize("args", [["sessions", "edit", "PX-1", HUGE, "--notes", "x"],
                                  ["sessions", "delete", "PX-1", HUGE, "--yes"],
                                  ["note", "PX-1", "text", "--session", HUGE],
                                  ["event", "delete", "PX-1", HUGE, "--yes"],
                                  ["sessions", "edit", "PX-1", "-1", "--notes", "x"]])
def test_a_huge_record_number_is_one_sentence(one_patient, capsys, args):
    code, _, err = run_cli(args, capsys)
    assert code == 2 and "number" in one_sentence(err)


def test_note_deletion_by_a_huge_number_is_refused(one_patient):
    from synkimeter.store import StoreError

    with Store() as store, pytest.raises(StoreError, match="not a note number"):
        store.delete_note(store.require_patient("PX-1"), int(HUGE))


@pytest.mark.parametrize("args", [["batch", "x.mp4", "--jobs", "-3"], ["batch", "x.mp4", "--jobs", "0"],
                                  ["batch", "x.mp4", "--jobs", HUGE], ["practice", "--blinks", HUGE],
                                  ["gui", "--quit-after", "nan"]])
def test_number_options_are_range_checked_before_anything_runs(capsys, monkeypatch, args):
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):  # no window may open, on any code
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as exit_:
        run_cli(args, capsys)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err and ("outside" in err or "not a" in err), err


# --------------------------------------------------------------------------------------------------
# 8. dates in a plausible range, tasks from the list


@pytest.mark.parametrize("day, says", [("2099-01-01", "in the future"), ("1900-01-01", "before 1901")])
def test_import_refuses_a_date_outside_the_plausible_range(store_dir, capsys, day, says):
    code, _, err = run_cli(["import", SAMPLE, "--patient", "PX-NEW", "--date", day], capsys)
    assert code == 2 and says in one_sentence(err)
    assert not (store_dir / "clips").exists() or not any((store_dir / "clips").rglob("*.mp4"))


@pytest.mark.parametrize("day, says", [("2099-05-05", "in the future"), ("1899-12-31T10:00", "before 1901"),
                                       ("1900-01-01", "before 1901")])
def test_session_edit_refuses_a_date_outside_the_plausible_range(one_patient, capsys, day, says):
    with Store() as store:
        number = store.sessions(store.require_patient("PX-1"))[0].id
    code, _, err = run_cli(["sessions", "edit", "PX-1", number, "--date", day], capsys)
    assert code == 2 and says in one_sentence(err)
    with Store() as store:
        assert store.sessions(store.require_patient("PX-1"))[0].started_at == "2025-01-02T10:00:00"


def test_an_event_before_1901_is_refused(one_patient, capsys):
    code, _, err = run_cli(["event", "add", "PX-1", "--kind", "botox", "--date", "1900-01-01"], capsys)
    assert code == 2 and "before 1901" in one_sentence(err)


def test_import_refuses_a_task_not_in_the_protocol(store_dir, capsys):
    from synkimeter.store import StoreError
    from synkimeter.usecases.saving import import_video

    with pytest.raises(SystemExit) as refused:
        run_cli(["import", SAMPLE, "--patient", "PX-NEW", "--task", "nonsense"], capsys)
    assert refused.value.code == 2 and "invalid choice" in capsys.readouterr().err
    with Store() as store, pytest.raises(StoreError, match="task must be one of"):
        import_video(store, SAMPLE, "PX-NEW", task="nonsense")


# --------------------------------------------------------------------------------------------------
# 4. control characters in free text; 10. one note length limit

ESCAPE = "ok\x1b[2J\x1b]0;owned\x07"  # clears the screen and retitles the terminal


def _session_number() -> int:
    with Store() as store:
        return store.sessions(store.require_patient("PX-1"))[0].id


@pytest.mark.parametrize("argv", [lambda n: ["note", "PX-1", ESCAPE],
                                  lambda n: ["sessions", "edit", "PX-1", n, "--notes", ESCAPE],
                                  lambda n: ["event", "add", "PX-1", "--kind", "therapy-start", "--date",
                                             "2025-01-03", "--detail", "mime\x9bJ"]])
def test_a_terminal_escape_in_a_note_is_refused_and_nothing_is_printed_raw(one_patient, capsys, argv):
    code, _, err = run_cli(argv(_session_number()), capsys)
    assert code == 2 and "control characters" in one_sentence(err)
    for listing in (["patients", "PX-1"], ["sessions", "PX-1"]):
        code, out, _ = run_cli(listing, capsys)
        assert code == 0 and "\x1b" not in out and "\x9b" not in out


def test_import_notes_with_an_escape_are_refused_before_the_analysis(store_dir, capsys, monkeypatch):
    import synkimeter.usecases.saving as saving

    monkeypatch.setattr(saving, "analyze_clip", lambda *a, **k: pytest.fail("analysed before the notes were checked"))
    code, _, err = run_cli(["import", SAMPLE, "--patient", "PX-NEW", "--notes", ESCAPE], capsys)
    assert code == 2 and "control characters" in one_sentence(err)


def test_every_store_text_keeps_one_note_limit_and_file_names_lose_their_controls(one_patient):
    from synkimeter.store import StoreError

    long = "x" * 4001
    with Store() as store:
        patient = store.require_patient("PX-1")
        session = store.sessions(patient)[0]
        for write in (lambda: store.add_note(patient, long), lambda: store.update_session(session, notes=long),
                      lambda: store.update_patient("PX-1", notes=long), lambda: store.add_patient("PX-2", notes=long),
                      lambda: store.start_session(patient, notes=long)):
            with pytest.raises(StoreError, match="at most 4000 characters"):
                write()
        assert store.add_note(patient, "x" * 4000) and store.update_session(session, notes="a\nb").notes == "a\nb"
        clip = store.begin_clip(session, "rest", source_name="clip\x1b[2J.mp4")
        assert clip.source_name == "clip\ufffd[2J.mp4"


# --------------------------------------------------------------------------------------------------
# 10. look-alike and case-different patient codes, time zones, one file for two reports


def test_a_code_in_another_case_is_the_same_patient_and_a_look_alike_is_refused(one_patient, capsys):
    from synkimeter.store import StoreError

    with Store() as store:
        assert store.require_patient("px-1").pseudonym == "PX-1"
        patient, created = store.get_or_create_patient("px-1")
        assert not created and patient.pseudonym == "PX-1"
        with pytest.raises(StoreError, match="already exists"):
            store.add_patient("Px-1")
        for look_alike in ("\u0420X-1", "\u0420\u0425-1", "\uff30\uff38-1"):  # Cyrillic Р; Cyrillic РХ; fullwidth
            try:
                found = store.get_or_create_patient(look_alike)[0]
            except StoreError as exc:
                assert "looks like the existing patient 'PX-1'" in str(exc) or "one alphabet" in str(exc)
            else:  # NFKC makes the fullwidth letters the plain ones: the same patient
                assert found.pseudonym == "PX-1"
        assert [p.pseudonym for p in store.patients()] == ["PX-1"]
    code, _, err = run_cli(["note", "\u0420X-1", "x"], capsys)
    assert code == 2 and "looks like the existing patient 'PX-1'" in one_sentence(err)


def test_a_time_zone_is_kept_in_the_meaning_of_the_time(one_patient):
    from datetime import datetime

    with Store() as store:
        session = store.sessions(store.require_patient("PX-1"))[0]
        edited = store.update_session(session, started_at="2025-01-02T10:00+05:00")
    expected = datetime.fromisoformat("2025-01-02T10:00+05:00").astimezone().replace(tzinfo=None).isoformat()
    assert edited.started_at == expected


def test_one_file_for_both_reports_is_refused(one_patient, capsys, tmp_path):
    out = tmp_path / "r.html"
    code, _, err = run_cli(["report", "PX-1", "--pdf", out, "--html", out], capsys)
    assert code == 2 and "the same file" in one_sentence(err) and not out.exists()


# --------------------------------------------------------------------------------------------------
# 1. a damaged store is read-only until restored


def test_reading_a_damaged_store_writes_nothing_and_says_so(store_dir, capsys, tmp_path):
    from test_robustness2 import _damaged_store

    db = _damaged_store(store_dir)
    before = db.read_bytes()
    for argv in (["patients", "PX-1"], ["sessions", "PX-1"], ["export", "PX-1", "--csv", tmp_path / "x.csv"],
                 ["report", "PX-1", "--html", tmp_path / "x.html"], ["patients"]):
        code, _, err = run_cli(argv, capsys)
        sentence = one_sentence(err)
        assert "is damaged" in sentence and "synkimeter.sqlite3.auto.bak" in sentence, argv
        assert db.read_bytes() == before, argv
    with Store() as store:
        assert store.damaged


# --------------------------------------------------------------------------------------------------
# 2. a store the user made read-only stays read-only, and is read


def test_a_read_only_store_keeps_its_modes_and_is_read(one_patient, capsys):
    from synkimeter.store import DB_NAME

    db = one_patient / DB_NAME
    Store().close()  # a closed store: no -wal file
    os.chmod(db, 0o400)
    os.chmod(one_patient, 0o500)
    try:
        before = db.read_bytes()
        files = sorted(p.name for p in one_patient.iterdir())
        code, out, err = run_cli(["sessions", "PX-1"], capsys)
        assert code == 0 and "2025-01-02 10:00" in out and "read-only" in one_sentence(err)
        code, _, err = run_cli(["note", "PX-1", "a note"], capsys)
        assert code == 2 and "read-only" in one_sentence(err)
        assert stat.S_IMODE(one_patient.stat().st_mode) == 0o500 and stat.S_IMODE(db.stat().st_mode) == 0o400
        assert db.read_bytes() == before and sorted(p.name for p in one_patient.iterdir()) == files
    finally:
        os.chmod(one_patient, 0o755)
        os.chmod(db, 0o600)
    Store().close()  # writable again: others' access is still taken away, the owner's is left as it is
    assert stat.S_IMODE(one_patient.stat().st_mode) == 0o700


# --------------------------------------------------------------------------------------------------
# 9. messages name the user's paths; outputs checked first; landmark files


def sim_series(duration_s=8.0, source="sim"):
    from synkimeter.landmarks import LandmarkSeries
    from synkimeter_dev.simulate import regular_blinks, simulate

    track = simulate(duration_s, fps=30.0, blinks=regular_blinks(duration_s, 2.0, start_s=1.0),
                     coupling_mm={"right": 2.0}, jitter_px=0.2, seed=0)
    n = track.timestamps_s.size
    return LandmarkSeries(track.timestamps_s, track.points, np.ones(n, np.int8), 640, 480, 30.0, source)


@pytest.fixture(scope="module")
def npz(tmp_path_factory):
    return sim_series().save_npz(tmp_path_factory.mktemp("npz") / "sim.npz")


def test_unwritable_outputs_are_refused_before_the_analysis(npz, tmp_path, capsys, monkeypatch):
    import synkimeter.usecases.analyze as analyze

    monkeypatch.setattr(analyze, "analyze_clip", lambda *a, **k: pytest.fail("analysed before the outputs were checked"))
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for argv in (["--json", blocker / "x.json"], ["--csv", tmp_path], ["--json", tmp_path / "r", "--csv", tmp_path / "r"]):
        code, _, err = run_cli(["analyze", npz, *argv], capsys)
        assert code == 2 and one_sentence(err), argv


def test_an_error_names_the_users_file_not_the_temporary_one(one_patient, tmp_path, capsys, monkeypatch):
    import errno
    import tempfile

    def refused(prefix="", suffix="", dir=None, **kw):
        raise PermissionError(errno.EACCES, "Permission denied", os.path.join(dir, f"{prefix}hx6jpik4{suffix}"))

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    out = tmp_path / "out.csv"
    code, _, err = run_cli(["export", "PX-1", "--csv", out], capsys)
    assert code == 2 and str(out) in one_sentence(err) and ".tmp" not in err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_dev_full_is_a_full_disk(npz, capsys):
    code, _, err = run_cli(["analyze", "-q", npz, "--json", "/dev/full"], capsys)
    assert code == 2 and "No space left" in one_sentence(err) and os.path.exists("/dev/full")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_the_iris_size_is_never_rounded_up_to_the_minimum():
    from synkimeter.core.analysis import MeasurementError, analyze_landmarks
    from synkimeter.core.anatomy import MEASURED

    series = sim_series()
    iris_px = analyze_landmarks(series.timestamps_s, series.measured).result.iris_px
    small = MEASURED.take(series.points * (11.96 / iris_px)) if hasattr(MEASURED, "take") else None
    with pytest.raises(MeasurementError) as refused:
        analyze_landmarks(series.timestamps_s, small)
    assert "is 11.9 pixels across; at least 12 are needed" in str(refused.value)


def _npz_with(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("make, says", [
    (lambda p: _npz_with(p, meta=np.array('{"format": "synkimeter-landmarks", "version": 99}')),
     "made by a newer synkimeter"),
    (lambda p: _npz_with(p, meta=np.array('{"format": "synkimeter-landmarks", "version": 1}')), "is missing"),
    (lambda p: _npz_with(p, meta=np.array("[" * 100000 + "]" * 100000)), "not a landmark file"),
])
def test_landmark_file_messages_are_words(tmp_path, capsys, make, says):
    path = make(tmp_path / "odd.npz")
    code, _, err = run_cli(["analyze", path], capsys)
    sentence = one_sentence(err)
    assert code == 2 and says in sentence and str(path) in sentence
    assert not any(name in err for name in ("KeyError", "MemoryError", "RecursionError", "ValueError"))


def test_times_going_backwards_name_the_landmark_file_given(tmp_path, capsys):
    series = sim_series(source="/somewhere/original.mp4")
    series.timestamps_s[100] = 0.5
    path = series.save_npz(tmp_path / "given.npz")
    code, _, err = run_cli(["analyze", path], capsys)
    assert code == 2 and "go backwards" in one_sentence(err) and str(path) in err and "original.mp4" not in err


# --------------------------------------------------------------------------------------------------
# 7. clinic init by an owner without CREATEROLE, and by a therapist


@pytest.fixture
def pgpass(tmp_path, monkeypatch):
    path = tmp_path / "pgpass"
    lines: list[str] = []

    def add(line: str) -> None:
        lines.append(line)
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)

    monkeypatch.setenv("PGPASSFILE", str(path))
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    return add


def test_clinic_init_by_an_owner_who_may_not_create_roles_names_the_cause(postgres_server, postgres_db, pgpass,
                                                                           capsys):
    import uuid

    import psycopg
    from psycopg import sql

    owner, password = f"own_{uuid.uuid4().hex[:8]}", "owner password 123"
    postgres_server.create_login_role(owner, password)
    with psycopg.connect(postgres_server.admin_dsn(postgres_db.name), autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(postgres_db.name),
                                                                     sql.Identifier(owner)))
        conn.execute(sql.SQL("GRANT CREATE ON SCHEMA public TO {}").format(sql.Identifier(owner)))
    pgpass(f"127.0.0.1:{postgres_server.port}:{postgres_db.name}:{owner}:{password}")
    suffix = uuid.uuid4().hex[:6]
    code, out, err = run_cli(["clinic", "init", "--url", postgres_server.tcp_url(owner, postgres_db.name),
                              "--read-write-role", f"rw_{suffix}", "--read-only-role", f"ro_{suffix}"], capsys)
    sentence = one_sentence(err)
    assert code == 2 and "permission denied to create role" in sentence and "nothing was changed" not in sentence
    assert "schema itself is at version" in sentence and not out


def test_clinic_init_by_a_therapist_does_not_claim_success(postgres_server, postgres_db, pgpass, capsys, tmp_path):
    from synkimeter.store.clinic import add_user, init_clinic

    with Store(url=postgres_db.url, folder=tmp_path / "admin") as store:
        init_clinic(store)
        add_user(store, "t_init_x" + postgres_db.name[-6:], password="therapist password")
    name = "t_init_x" + postgres_db.name[-6:]
    pgpass(f"127.0.0.1:{postgres_server.port}:{postgres_db.name}:{name}:therapist password")
    code, out, err = run_cli(["clinic", "init", "--url", postgres_server.tcp_url(name, postgres_db.name)], capsys)
    assert code == 2 and "does not own" in one_sentence(err) and "may read and write" not in out


# --------------------------------------------------------------------------------------------------
# 3. PostgreSQL: audit rows only by the server, videos only through an audited read

from test_clinic_store import clinic  # noqa: E402,F401  (the initialised clinic store and its therapists)


def _clinic_clip_with_video(url, folder, tmp_path):
    from test_store import make_history

    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    with Store(url=url, folder=folder) as store:
        make_history(store, tasks=("natural_blinking",))
        patient = store.require_patient("PX-0042")
        clip = store.clips(store.sessions(patient)[0])[0]
        store.conn.exec_driver_sql("BEGIN")
        store._put_file(store.conn, clip.id, "video", "v.mp4", video.read_bytes())
        store.conn.exec_driver_sql("UPDATE clips SET video_path = 'v.mp4' WHERE id = %s", (clip.id,))
        store.conn.exec_driver_sql("COMMIT")
        return clip.id


@pytest.mark.parametrize("read_only", [False, True])
def test_no_role_can_forge_an_audit_row_or_read_a_video_unaudited(clinic, tmp_path, read_only):  # noqa: F811
    from sqlalchemy.exc import ProgrammingError

    writer_url, _ = clinic()
    clip_id = _clinic_clip_with_video(writer_url, tmp_path / "w", tmp_path)
    url, role = clinic(read_only=read_only)
    with Store(url=url, folder=tmp_path / "r") as store:
        with pytest.raises(ProgrammingError, match="permission denied"):
            store.conn.exec_driver_sql("INSERT INTO audit (at, actor, host, action, pseudonym) "
                                       "VALUES ('2020-01-01T00:00:00', 'someone_else', 'x', 'read', 'PX-0042')")
        with pytest.raises(ProgrammingError, match="permission denied"):
            store.conn.exec_driver_sql("SELECT data FROM clip_files")
        patient = store.require_patient("PX-0042")
        clip = store.clip(clip_id)
        before = len(store.audit_log("PX-0042"))
        assert store.clip_bytes(clip, "video").startswith(b"\x00\x00\x00\x18ftyp")
        rows = store.audit_log("PX-0042")
        assert len(rows) == before + 1 and rows[-1]["actor"] == role and rows[-1]["action"] == "read"
        assert "video of clip" in rows[-1]["detail"]
        store.record_access("export", patient, "a report")  # the store's own audit goes through the server
        assert store.audit_log("PX-0042")[-1]["actor"] == role
        assert store.verify(deep=True) == []


# --------------------------------------------------------------------------------------------------
# 5. mirrored videos


def _mirrored_npz(tmp_path: Path) -> tuple[Path, Path]:
    from synkimeter.core.anatomy import MIRROR_PAIRS

    series = sim_series(12.0)
    plain = series.save_npz(tmp_path / "plain.npz")
    points = np.asarray(series.points).copy()
    a, b = np.array(MIRROR_PAIRS).T
    points[:, a], points[:, b] = points[:, b].copy(), points[:, a].copy()
    points[..., 0] = series.width - points[..., 0]
    from synkimeter.landmarks import LandmarkSeries

    mirrored = LandmarkSeries(series.timestamps_s, points, series.n_faces, series.width, series.height, 30.0, "m")
    return plain, mirrored.save_npz(tmp_path / "mirrored.npz")


def test_a_mirrored_video_is_measured_on_the_right_sides_with_mirrored(tmp_path, capsys):
    plain, mirrored = _mirrored_npz(tmp_path)
    truth = analyze_doc(plain, tmp_path, capsys)
    assert truth["ocular_oral"]["affected_side"] == "right"
    assert analyze_doc(mirrored, tmp_path, capsys)["ocular_oral"]["affected_side"] == "left"  # what it was
    fixed = analyze_doc(mirrored, tmp_path, capsys, "--mirrored")
    assert fixed["ocular_oral"]["affected_side"] == "right"
    for side in ("right", "left"):
        assert fixed["ocular_oral"][side]["median_mm"] == pytest.approx(truth["ocular_oral"][side]["median_mm"],
                                                                        abs=0.02)
    # the landmark file saved from it keeps the mark: read again, it is measured the same way
    code, _, err = run_cli(["analyze", "-q", mirrored, "--mirrored", "--landmarks", tmp_path / "kept.npz"], capsys)
    assert code == 0, err
    assert analyze_doc(tmp_path / "kept.npz", tmp_path, capsys)["ocular_oral"]["affected_side"] == "right"


def test_a_stated_side_the_movement_contradicts_says_the_video_may_be_mirrored(tmp_path, capsys):
    _, mirrored = _mirrored_npz(tmp_path)
    doc = analyze_doc(mirrored, tmp_path, capsys, "--affected-side", "right")
    assert any("may be mirrored" in w for w in doc["warnings"]), doc["warnings"]
    plain_doc = analyze_doc(tmp_path / "plain.npz", tmp_path, capsys, "--affected-side", "right")
    assert not any("mirrored" in w for w in plain_doc["warnings"])


def analyze_doc(path: Path, tmp_path: Path, capsys, *extra) -> dict:
    import json

    out = tmp_path / "doc.json"
    code, _, err = run_cli(["analyze", "-q", path, "--json", out, *extra], capsys)
    assert code == 0, err
    return json.loads(out.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------------
# 5. a dark, bright or flat file gets the live check's light advice


@pytest.mark.parametrize("light, words", [([9.0, 12.0, 3.0], ("Turn towards the light", "little contrast")),
                                          ([40.0, 200.0, 30.0], ("too much light behind you",)),
                                          ([235.0, 230.0, 30.0], ("too much light on you",)),
                                          ([150.0, 140.0, 50.0], ())])
def test_a_files_light_is_judged_as_the_live_check_judges_it(tmp_path, capsys, light, words):
    series = sim_series()
    series.light = np.array([light] * 8, np.float32)
    doc = analyze_doc(series.save_npz(tmp_path / "lit.npz"), tmp_path, capsys)
    found = [w for w in doc["warnings"] if "grey level" in w]
    assert len(found) == len(words) and all(any(word in w for w in found) for word in words), found


@pytest.mark.slow
def test_a_dark_video_says_so_in_its_summary(tmp_path, capsys):
    cv2 = pytest.importorskip("cv2")
    cap, frames = cv2.VideoCapture(str(SAMPLE)), []
    while len(frames) < 300:
        ok, image = cap.read()
        if not ok:
            break
        frames.append((image.astype(np.float32) * 0.07).astype(np.uint8))
    dark = tmp_path / "dark.mp4"
    writer = cv2.VideoWriter(str(dark), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, frames[0].shape[1::-1])
    for image in frames:
        writer.write(image)
    writer.release()
    code, out, err = run_cli(["analyze", dark], capsys)
    assert "Turn towards the light" in out + err


def test_a_recording_keeps_whether_its_preview_was_mirrored_and_an_unmirrored_video(tmp_path):
    cv2 = pytest.importorskip("cv2")
    from test_protocol import PARAMS

    from synkimeter.capture import VideoFileSource
    from synkimeter.usecases.protocol import ProtocolRunner, protocol, record_protocol

    with Store(tmp_path / "store") as store:
        patient = store.add_patient("P-M", "right")
        runner = ProtocolRunner(store, patient, protocol("home", PARAMS), None, PARAMS, preview_mirrored=True)
        record_protocol(VideoFileSource(SAMPLE), runner, PARAMS)
        clip = store.clips(store.sessions(patient)[0])[0]
        summary = store.summary(clip)
        assert summary["preview_mirrored"] is True and summary["video_mirrored"] is False
        ok, kept = cv2.VideoCapture(str(store.folder / clip.video_path)).read()
    ok2, original = cv2.VideoCapture(str(SAMPLE)).read()
    assert ok and ok2
    plain, flipped = (np.abs(kept.astype(float) - o.astype(float)).mean() for o in (original, original[:, ::-1]))
    assert plain < flipped / 3  # the camera's picture as it came, not the mirrored preview


# --------------------------------------------------------------------------------------------------
# 11. memory in the length of the video (the part this round fixed: the expression finder's alignment)


def test_each_frames_own_alignment_holds_no_whole_clip_copies():
    import tracemalloc

    from synkimeter.core.anatomy import MEASURED
    from synkimeter.core.expressions import per_frame_aligned

    series = sim_series(20.0)
    frames = 30 * 600  # ten minutes at 30 frames/s, the simulated face repeated
    points = np.resize(series.measured, (frames, *series.measured.shape[1:]))
    reference = np.nanmedian(series.measured, axis=0).astype(np.float64)
    tracemalloc.start()
    try:
        out = per_frame_aligned(points, MEASURED, reference)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.isfinite(out).all()
    # its output, the anchors in double precision and their transforms: 2.5 times the output (it was 3.8)
    assert peak < 3.0 * out.nbytes, f"peak {peak / 2**20:.0f} MB for {out.nbytes / 2**20:.0f} MB of output"



def _analysis_peak_mb(minutes: float, base: np.ndarray, traced: bool = True) -> float:
    """tracemalloc's peak (MB) of `analyze`'s measurement (expressions included) of `minutes` of a
    looped simulated face, its landmarks made before counting (they are the input)."""
    import tracemalloc

    from synkimeter.landmarks import LandmarkSeries
    from synkimeter.landmarks.series import N_LANDMARKS
    from synkimeter.usecases.analyze import analyze_series

    frames = int(minutes * 1800)
    series = LandmarkSeries(np.arange(frames) / 30.0, np.broadcast_to(np.float32(np.nan), (frames, N_LANDMARKS, 3)),
                            np.ones(frames, np.int8), 640, 480, 30.0, "looped",
                            measured=np.resize(base, (frames, *base.shape[1:])))
    if not traced:
        analyze_series(series)
        return 0.0
    tracemalloc.start()
    try:
        analysis = analyze_series(series)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    assert len(analysis.result.blinks) > 20 * minutes  # measured, blinks and all
    return peak


def test_the_measurement_grows_under_2_5_mb_per_minute_of_video():
    # Head alignment, blinks, mouth traces, the summary's bootstraps and the expression finder on 1
    # and 10 minutes: each works in blocks of frames, so what grows is the per-frame series they keep
    # (a few hundred bytes a frame). Measured 1.4 MB a minute; 6.9 when the aligned face, its
    # per-frame twin in the expression finder and the bootstraps' resamples were whole-clip arrays.
    base = sim_series(20.0).measured
    _analysis_peak_mb(0.25, base, traced=False)  # what loads at first use is not the first minute's
    one, ten = _analysis_peak_mb(1, base), _analysis_peak_mb(10, base)
    per_minute = (ten - one) / 9
    assert per_minute < 2.5, f"{one:.0f} MB at 1 min, {ten:.0f} MB at 10 min: {per_minute:.1f} MB a minute"
