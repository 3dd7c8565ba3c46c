"""`synkimeter import --session N` (issue 27): a visit's clips imported one by one go into one session,
so its smile and pucker are measured against its rest and the visit is graded as one; a wrong number
is one sentence and exit 2, before any minute is spent analysing."""

import pytest

from synkimeter.cli import main
from synkimeter.usecases import saving
from synkimeter.usecases.analyze import AnalysedClip


@pytest.fixture
def analysed(monkeypatch):
    """import's analysis replaced by a simulated clip (no MediaPipe); the paths it was asked for."""
    from test_store import sim_clip

    asked = []
    analysis, series = sim_clip(coupling_right=1.0, seed=3)

    def fake(path, params=None, affected_side=None, progress=None, mirrored=False):
        asked.append(str(path))
        return AnalysedClip(str(path), analysis, series)

    monkeypatch.setattr(saving, "analyze_clip", fake)
    return asked


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_clips_imported_into_one_session_stay_one_session(tmp_path, capsys, analysed):
    from synkimeter.store import Store

    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\0" * 1024)
    store_dir = str(tmp_path / "store")
    common = ("--patient", "V-1", "--data-dir", store_dir, "-q")
    assert _run(capsys, "import", str(video), "--task", "natural_blinking", "--date", "2026-03-02", *common)[0] == 0
    for task in ("rest", "smile"):
        assert _run(capsys, "import", str(video), "--task", task, "--session", "1", *common)[0] == 0
    assert _run(capsys, "import", str(video), "--task", "pucker", "--date", "2026-04-02", *common)[0] == 0
    with Store(tmp_path / "store") as store:
        sessions = store.sessions(store.require_patient("V-1"))
        assert [[c.task for c in store.clips(s)] for s in sessions] == [["natural_blinking", "rest", "smile"],
                                                                         ["pucker"]]
        assert sessions[0].date == "2026-03-02" and all(s.status == "complete" for s in sessions)
    assert len(analysed) == 4


@pytest.mark.parametrize(("patient", "session", "words"), [
    ("V-2", "7", "has no session 7"), ("V-2", "x", "is not a session number"), ("NEW-9", "1", "no patient 'NEW-9'")])
def test_a_wrong_session_is_one_sentence_and_exit_2_before_analysing(tmp_path, capsys, analysed, patient, session,
                                                                     words):
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"\0" * 1024)
    store_dir = str(tmp_path / "store")
    assert _run(capsys, "import", str(video), "--patient", "V-2", "--data-dir", store_dir, "-q")[0] == 0
    code, out, err = _run(capsys, "import", str(video), "--patient", patient, "--session", session, "--task", "rest",
                          "--data-dir", store_dir)
    assert code == 2 and words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert len(analysed) == 1  # the wrong number was found before the clip was analysed
