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
