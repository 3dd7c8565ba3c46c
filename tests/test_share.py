"""A patient's record sent from home as one protected file and taken in at the clinic (issue 31):
synkimeter.usecases.share (the file), synkimeter.store.exchange (the rows), synkimeter.io.sealed (the lock).

The home store is built once without MediaPipe (simulated clips, as tests/test_store.py does); the
passphrase's scrypt work factor is lowered here through `Lock(scrypt_log_n=...)` only.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from test_practice_store import _record
from test_store import make_history, sim_clip

from synkimeter.cli import main
from synkimeter.io.sealed import CHUNK_BYTES, TAG_BYTES
from synkimeter.store import Store, StoreError
from synkimeter.store.exchange import table_counts
from synkimeter.usecases.saving import save_clip
from synkimeter.usecases.share import Lock, ShareError, receive_file, share_patient

CODE = "PX-0042"
PASSPHRASE = "blue heron at dawn"
LOCK = Lock(passphrase=PASSPHRASE, scrypt_log_n=10)


def _add_session_with_video(store: Store, patient, day: str, seed: int, video: Path) -> None:
    video.write_bytes(np.random.default_rng(seed).bytes(200_000))
    analysis, series = sim_clip(coupling_right=1.2, seed=seed)
    session = store.start_session(patient, "self-check", started_at=f"{day}T19:00:00")
    save_clip(store, store.begin_clip(session, "natural_blinking"), analysis=analysis, series=series, video=video)
    store.finish_session(session)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A home SQLite store: three sessions (one with a video), practice sets, SAQ answers, a note, an event."""
    folder = tmp_path_factory.mktemp("home")
    with Store(folder / "data") as store:
        patient = make_history(store, CODE, tasks=("natural_blinking", "pucker"))
        _add_session_with_video(store, patient, "2025-06-20", 5, folder / "clip.mp4")
        for day in ("2025-06-03", "2025-06-10"):
            store.add_practice_set(patient, _record(day))
        store.add_questionnaire(patient, "2025-01-09", [3, 2, 4, 1, 5, 2, 3, 1, 2])
        store.add_questionnaire(patient, "2025-06-01", [2, 2, 3, 1, 4, 2, 2, 1, 2])
        store.add_note(patient, "Practise slowly in front of the mirror.", store.sessions(patient)[1])
        store.add_event(patient, "botox", "2025-02-01", side="right", units=2.5)
    return folder / "data"


@pytest.fixture(scope="module")
def shared(home, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("out") / "PX-0042.synk"
    with Store(home) as store:
        report = share_patient(store, CODE, target, LOCK)
    assert report.counts["sessions"] == 4 and report.counts["practice_sets"] == 2 and report.files == 3 * 2 * 2 + 3
    return target


def _record_of(store: Store, code: str) -> dict:
    """The patient's rows as a reader sees them (no store ids), and each clip file's sha256."""
    patient = store.require_patient(code)
    sessions = {s.id: s.started_at for s in store.sessions(patient)}
    drop = {"session_id", "clip_id", "video_path", "landmarks_path", "summary_path", "created"}
    out: dict = {
        "patient": (patient.affected_side, patient.notes, patient.created),
        "sessions": [(s.started_at, s.kind, s.protocol, s.notes, s.status, s.ocular_score, s.ocular_ci_low)
                     for s in store.sessions(patient)],
        "results": [{k: v for k, v in row.items() if k not in drop} for row in store.results(patient)],
        "practice_sets": [{k: v for k, v in row.items() if k not in ("id", "patient_id", "origin")}
                          for row in store.practice_sets(patient)],
        "saq": [(r.date, r.items, r.created) for r in store.questionnaires(patient)],
        "notes": [(sessions.get(n["session_id"]), n["text"], n["created"]) for n in store.notes(patient)],
        "events": [{k: v for k, v in e.items() if k != "id"} for e in store.events(patient)],
        "files": {},
    }
    for session in store.sessions(patient):
        for clip in store.clips(session):
            summary = store.summary(clip)
            out["files"][(session.started_at, clip.task, "summary_json")] = hashlib.sha256(
                str(sorted(summary.items()) if summary else None).encode()).hexdigest()
            for kind in ("video", "landmarks", "summary"):
                data = store.clip_bytes(clip, kind)
                if data is not None:
                    out["files"][(session.started_at, clip.task, kind)] = hashlib.sha256(data).hexdigest()
    return out


def _snapshot(store: Store) -> tuple[dict, list]:
    """Every table's row count and every file under the store's folder: 'nothing written' compares these."""
    files = sorted(str(p.relative_to(store.folder)) for p in store.folder.rglob("*") if p.is_file()
                   and "synkimeter.sqlite3" not in p.name)
    return table_counts(store), files


@pytest.fixture(params=["sqlite", "postgresql"])
def clinic(request, tmp_path):
    """A function opening the receiving store: a fresh SQLite store, or the clinic's PostgreSQL server."""
    if request.param == "sqlite":
        return lambda: Store(tmp_path / "clinic")
    database = request.getfixturevalue("postgres_db")
    return lambda: Store(url=database.url, folder=tmp_path / "local")


def test_received_record_equals_the_home_one_and_twice_adds_nothing(home, shared, clinic):
    with Store(home) as store:
        expected = _record_of(store, CODE)
    assert len(expected["files"]) == 3 * 2 * 3 + 4 and len(expected["saq"]) == 2
    with clinic() as store:
        taken = receive_file(store, shared, LOCK)
        assert taken.new_patient and taken.added["sessions"] == 4 and taken.added["clips"] == 7
        assert _record_of(store, CODE) == expected  # every row and every file's checksum
        assert store.verify() == []
        before = _snapshot(store)
    with clinic() as store:  # another program takes the same file again
        again = receive_file(store, shared, LOCK)
        assert not again.new_patient and set(again.added.values()) == {0}
        assert _snapshot(store) == before
        assert _record_of(store, CODE) == expected
        # each receive is one copy row (on a clinic server the checks above also read the videos, audited)
        assert [row["action"] for row in store.audit_log(CODE) if row["action"] != "read"] == ["copy", "copy"]


def test_a_newer_file_adds_only_what_is_new(home, shared, tmp_path):
    with Store(tmp_path / "clinic") as clinic:
        receive_file(clinic, shared, LOCK)
    newer_home = tmp_path / "home"
    shutil.copytree(home, newer_home)
    with Store(newer_home) as store:
        patient = store.require_patient(CODE)
        _add_session_with_video(store, patient, "2025-07-01", 7, tmp_path / "new.mp4")
        store.add_practice_set(patient, _record("2025-07-02"))
        share_patient(store, CODE, tmp_path / "newer.synk", LOCK, since="2025-06-01")
        expected = _record_of(store, CODE)
    with Store(tmp_path / "clinic") as clinic:
        taken = receive_file(clinic, tmp_path / "newer.synk", LOCK)
        assert taken.added == {"sessions": 1, "clips": 1, "results": 1, "practice_sets": 1, "notes": 0,
                               "treatment_events": 0, "saq_answers": 0, "programmes": 0}
        assert _record_of(clinic, CODE) == expected


def _damaged(shared: Path, tmp_path: Path) -> dict[str, Path]:
    data = shared.read_bytes()
    header = 8 + 2 + 16 + 3
    out = {}
    for name, content in {
        "one byte changed": data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 0x01]) + data[len(data) // 2 + 1:],
        "header byte changed": data[:12] + bytes([data[12] ^ 0x80]) + data[13:],
        "cut at a chunk's end": data[:header + 3 * (CHUNK_BYTES + TAG_BYTES)],
        "cut short": data[:-100],
        "empty": b"",
    }.items():
        out[name] = tmp_path / f"{name.replace(' ', '_')}.synk"
        out[name].write_bytes(content)
    return out


def test_damaged_truncated_and_wrong_passphrase_refused_with_nothing_written(shared, tmp_path):
    with Store(tmp_path / "clinic") as store:
        store.add_patient("PX-0001", "left")
        before = _snapshot(store)
        cases = dict(_damaged(shared, tmp_path))
        for name, path in cases.items():
            with pytest.raises(ShareError) as caught:
                receive_file(store, path, LOCK)
            message = str(caught.value)
            assert message.count(".") <= 2 and "\n" not in message, (name, message)
            assert _snapshot(store) == before, name
        with pytest.raises(ShareError, match="passphrase or key is wrong"):
            receive_file(store, shared, Lock(passphrase="not the one chosen", scrypt_log_n=10))
        assert _snapshot(store) == before
        assert store.patient(CODE) is None


def test_no_video_leaves_the_videos_out(home, tmp_path):
    with Store(home) as store:
        report = share_patient(store, CODE, tmp_path / "small.synk", LOCK, with_video=False)
    assert report.files == 7 * 2
    with Store(tmp_path / "clinic") as store:
        receive_file(store, tmp_path / "small.synk", LOCK)
        patient = store.require_patient(CODE)
        clips = [c for s in store.sessions(patient) for c in store.clips(s)]
        assert len(clips) == 7 and all(c.video_path is None and c.landmarks_path for c in clips)


def test_a_code_of_another_record_is_refused_unless_as_says_which(shared, tmp_path):
    with Store(tmp_path / "clinic") as store:
        store.add_patient(CODE, "left", notes="someone else")
        before = _snapshot(store)
        with pytest.raises(StoreError, match="already exists here and is another record.*--as"):
            receive_file(store, shared, LOCK)
        assert _snapshot(store) == before
        taken = receive_file(store, shared, LOCK, as_code="PX-0777")
        assert taken.pseudonym == "PX-0777" and taken.new_patient
        assert len(store.sessions(store.require_patient("PX-0777"))) == 4
        assert store.sessions(store.require_patient(CODE)) == []
        # Taken again without --as: found by where it came from, nothing new.
        assert set(receive_file(store, shared, LOCK).added.values()) == {0}


def test_the_clinics_programme_goes_home_in_the_file_shared_back(shared, tmp_path):
    """The therapist takes the patient's file in, sets a home programme and shares the record back; the
    home store takes it in (its own rows again add nothing) and its Practice page runs that programme."""
    from synkimeter.usecases.programme import today_for_patient

    clinic_file = tmp_path / "back.synk"
    with Store(tmp_path / "clinic") as store:
        receive_file(store, shared, LOCK)
        set_there = store.set_programme(store.require_patient(CODE), "blink", sets_per_day=2, repetitions=20,
                                        goal=0.75, start="2025-06-01")
        share_patient(store, CODE, clinic_file, LOCK, with_video=False)
    with Store(tmp_path / "home") as store:
        receive_file(store, shared, LOCK)
        before = table_counts(store)
        taken = receive_file(store, clinic_file, LOCK)
        assert taken.added.get("programmes") == 1 and sum(taken.added.values()) == 1  # only the programme is new
        assert table_counts(store)["sessions"] == before["sessions"]
        (got,) = store.programmes(store.require_patient(CODE))
        assert (got.kind, got.sets_per_day, got.repetitions, got.goal, got.start_date) == (
            set_there.kind, 2, 20, 0.75, "2025-06-01")
        assert receive_file(store, clinic_file, LOCK).added.get("programmes", 0) == 0  # twice: nothing
    with Store(tmp_path / "home") as store:
        (plan,) = today_for_patient(store, CODE)
        assert "2 sets of 20 blinks" in plan.text


def test_the_file_says_nothing_readable_and_is_owner_only(shared):
    data = shared.read_bytes()
    assert CODE.encode() not in data and b"natural_blinking" not in data and b"record.json" not in data
    assert data[:8] == b"SYNKSEAL" and (shared.stat().st_mode & 0o077) == 0


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_share_and_receive_with_a_passphrase_file_and_with_a_key(home, tmp_path, capsys, monkeypatch):
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE + "\n")
    out = tmp_path / "p.synk"
    code, _, err = _cli(capsys, "share", CODE, "--to", str(out), "--no-video", "--passphrase-file", str(secret),
                        "--data-dir", str(home))
    assert code == 0, err
    clinic = str(tmp_path / "clinic")
    code, said, err = _cli(capsys, "receive", str(out), "--passphrase-file", str(secret), "--data-dir", clinic)
    assert code == 0 and "4 sessions" in said, err
    secret.write_text("another passphrase\n")
    code, _, err = _cli(capsys, "receive", str(out), "--passphrase-file", str(secret), "--data-dir", clinic)
    assert code == 2 and err.count("\n") == 1 and "passphrase or key is wrong" in err
    # Without a terminal and without --passphrase-file: one sentence, nothing written.
    code, _, err = _cli(capsys, "share", CODE, "--to", str(tmp_path / "q.synk"), "--data-dir", str(home))
    assert code == 2 and "--passphrase-file" in err and not (tmp_path / "q.synk").exists()
    # At a terminal the passphrase is asked twice; two different ones write nothing.
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    typed = iter(["first passphrase", "second passphrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    code, _, err = _cli(capsys, "share", CODE, "--to", str(tmp_path / "q.synk"), "--data-dir", str(home))
    assert code == 2 and "differ" in err and not (tmp_path / "q.synk").exists()
    # A therapist's key instead of a passphrase.
    key = tmp_path / "therapist.key"
    assert _cli(capsys, "keygen", str(key))[0] == 0 and (key.stat().st_mode & 0o077) == 0
    code, _, err = _cli(capsys, "share", CODE, "--to", str(tmp_path / "k.synk"), "--no-video", "--recipient",
                        f"{key}.pub", "--data-dir", str(home))
    assert code == 0, err
    assert _cli(capsys, "keygen", str(tmp_path / "other.key"))[0] == 0
    code, _, err = _cli(capsys, "receive", str(tmp_path / "k.synk"), "--identity", str(tmp_path / "other.key"),
                        "--data-dir", str(tmp_path / "c2"))
    assert code == 2 and "key is wrong" in err
    code, said, err = _cli(capsys, "receive", str(tmp_path / "k.synk"), "--identity", str(key), "--data-dir",
                           str(tmp_path / "c2"))
    assert code == 0 and "new patient 'PX-0042'" in said, err


# --- the window's two actions (pytest-qt) ------------------------------------------------------------
def test_window_send_and_patient_manager_take_in(home, tmp_path, qtbot, monkeypatch):
    from synkimeter.gui.patients import CurrentPatient, PatientManager
    from synkimeter.gui.share import SendDialog

    target = tmp_path / "for-therapist.synk"
    send = SendDialog(CODE, lambda: Store(home), scrypt_log_n=10)
    qtbot.addWidget(send)
    monkeypatch.setattr(send, "ask_path", lambda: str(target))
    send._choose()
    send.passphrase_edit.setText(PASSPHRASE)
    send.again_edit.setText(PASSPHRASE + "x")
    assert not send.start() and "differ" in send.status.text()
    send.again_edit.setText(PASSPHRASE)
    send.no_video.setChecked(True)
    assert send.start()
    qtbot.waitUntil(lambda: send.outcome is not None, timeout=30_000)
    assert "Written" in send.status.text() and target.is_file()

    clinic = tmp_path / "clinic"
    with Store(clinic) as store:
        store.add_patient("PX-0001", "left")
    manager = PatientManager(CurrentPatient("PX-0001"), store_factory=lambda: Store(clinic))
    qtbot.addWidget(manager)
    assert manager.take_in_button.text() == "Take in a patient's file…"
    receive = manager.receive_dialog()
    monkeypatch.setattr(receive, "ask_path", lambda: str(target))
    receive._choose()
    receive.passphrase_edit.setText("a wrong passphrase")
    assert receive.start()
    qtbot.waitUntil(lambda: not receive.busy and receive.go_button.isEnabled(), timeout=30_000)
    assert receive.outcome is None and "Nothing was written" in receive.status.text()
    receive.passphrase_edit.setText(PASSPHRASE)
    with qtbot.waitSignal(receive.received, timeout=30_000):
        assert receive.start()
    assert "4 sessions" in receive.status.text()
    assert manager.selected == CODE  # the list shows the patient the file went to
    with Store(clinic) as store:
        assert len(store.sessions(store.require_patient(CODE))) == 4


def _forged(path: Path, members: dict[str, bytes], listed: dict[str, bytes]) -> Path:
    """A file sealed with the right passphrase whose manifest lists `listed` (name -> content it claims)."""
    import io
    import json
    import tarfile

    from synkimeter.io.sealed import SealedWriter

    manifest = {"format": "synkimeter patient file", "version": 1, "created": "2026-01-01T00:00:00",
                "members": {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                            for name, data in listed.items()}}
    members = {**members, "manifest.json": json.dumps(manifest).encode()}
    with open(path, "wb") as out:
        sealed = SealedWriter(out, passphrase=PASSPHRASE, scrypt_log_n=10)
        with tarfile.open(fileobj=sealed, mode="w|") as tar:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        sealed.close()
    return path


def test_a_member_not_matching_the_manifest_or_out_of_place_is_refused(shared, tmp_path):
    record = b'{"patient": {"pseudonym": "PX-0099", "origin": "x"}, "tables": {}}'
    wrong = _forged(tmp_path / "wrong.synk", {"record.json": record}, {"record.json": record + b" "})
    outside = _forged(tmp_path / "outside.synk", {"record.json": record, "../evil.txt": b"x"},
                      {"record.json": record, "../evil.txt": b"x"})
    sound = _forged(tmp_path / "sound.synk", {"record.json": record}, {"record.json": record})
    with Store(tmp_path / "clinic") as store:
        before = _snapshot(store)
        with pytest.raises(ShareError, match="does not match its manifest"):
            receive_file(store, wrong, LOCK)
        with pytest.raises(ShareError, match="holds something a patient's file does not"):
            receive_file(store, outside, LOCK)
        assert _snapshot(store) == before and not (tmp_path / "evil.txt").exists()
        assert receive_file(store, sound, LOCK).pseudonym == "PX-0099"  # the forgery itself is well made
