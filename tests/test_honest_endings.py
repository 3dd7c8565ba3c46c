"""A recording ends with what happened (issue 28): "N of M tasks recorded" with the missing tasks named,
a redo that records only them into the same session, and the one word 'partial' for such a session in
the window, the patient manager, the CLI and the report. Runs on a simulated face (no MediaPipe)."""

from __future__ import annotations

import pytest
from fakes import SimulatedCamera, SimulatedMesh

from synkimeter.store import Store
from synkimeter.store.records import session_state
from synkimeter.usecases.protocol import ProtocolRunner, protocol, record_protocol, redo_protocol
from synkimeter.usecases.settings import DEFAULT_SETTINGS
from synkimeter_dev.simulate import regular_blinks, simulate

PARAMS = DEFAULT_SETTINGS.with_overrides(
    protocol_countdown_s=0.3, protocol_rest_s=2.0, protocol_blinking_s=6.0, protocol_repetitions=1,
    protocol_lead_in_s=0.3, protocol_hold_s=1.0, protocol_forceful_hold_s=0.4, protocol_relax_s=1.0,
    protocol_setup_hold_s=0.0)
# A face that blinks every 1.5 s and moves its right mouth corner with each blink; it never puckers.
TRACK = simulate(30.0, blinks=regular_blinks(30.0, 1.5, 0.8), coupling_mm={"right": 2.0})


def _run(store, patient, proto, face=None, redo=None):
    runner = ProtocolRunner(store, patient, proto, None, PARAMS, record_video=False, redo_session=redo)
    mesh = SimulatedMesh(TRACK, face)
    runner.begin()
    runner.skip_setup()
    return record_protocol(SimulatedCamera(25.0), runner, PARAMS, mesh=mesh)


def test_failed_tasks_end_partial_and_a_redo_adds_to_the_same_session(tmp_path):
    with Store(tmp_path / "store") as store:
        patient = store.add_patient("P-28")
        # no face while the natural blinking is recorded (after rest: 0.3 s countdown + 2 s + 0.3 s)
        status = _run(store, patient, protocol("home", PARAMS), face=lambda t: not 2.45 <= t <= 8.75)
        assert status.phase == "done"
        assert status.cue == "1 of 3 tasks recorded"
        assert status.missing == ("natural_blinking", "pucker")
        assert "Natural blinking and Pucker" in status.message and "All done" not in status.message
        (session,) = store.sessions(patient)
        assert session_state(session, store.clips(session)) == "partial"

        # "Redo these now": only the missing tasks, into the same session
        redo = redo_protocol("home", status.missing, PARAMS)
        assert [t.key for t in redo.tasks] == ["natural_blinking", "pucker"]
        status = _run(store, patient, redo, redo=session)
        assert status.phase == "done" and status.session_id == session.id
        assert status.missing == ("pucker",) and status.cue == "2 of 3 tasks recorded"
        (again,) = store.sessions(patient)  # no second session
        clips = store.clips(again)
        assert [c.task for c in clips] == ["rest", "natural_blinking", "pucker", "natural_blinking", "pucker"]
        assert [c.status for c in clips] == ["complete", "failed", "failed", "complete", "failed"]
        assert session_state(again, clips) == "partial"

        # all recorded (the simulated face cannot pucker: a protocol of rest and blinking): "All done"
        status = _run(store, patient, redo_protocol("home", ("rest", "natural_blinking"), PARAMS))
        assert status.cue == "All done" and status.missing == ()
        last = store.sessions(patient)[-1]
        assert session_state(last, store.clips(last)) == "complete"


def test_partial_is_the_word_in_the_window_manager_cli_and_report(qtbot, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "data"
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(folder))
    from synkimeter.gui.recorder import RecordMode

    mode = RecordMode(PARAMS, mesh_factory=lambda params: SimulatedMesh(TRACK))
    qtbot.addWidget(mode)
    mode.page.picker.set_values("P-29", "right", "home", "self-check")
    assert mode.start(source=SimulatedCamera(25.0))
    mode.go_on()
    qtbot.waitUntil(lambda: not mode.running, timeout=30_000)
    screen = mode.page.screen_view
    assert screen.cue.text() == "2 of 3 tasks recorded"  # the pucker never happened
    assert "Pucker" in screen.message.text() and "All done" not in screen.message.text()
    assert "#2e7d4f" not in screen.cue.styleSheet()  # not the green of a success
    assert not mode.page.redo_button.isHidden()

    # the redo records only the pucker, into the same session
    assert mode.redo(source=SimulatedCamera(25.0))
    assert [t.key for t in mode.worker.protocol.tasks] == ["pucker"]
    mode.go_on()
    qtbot.waitUntil(lambda: not mode.running, timeout=30_000)
    assert screen.cue.text() == "2 of 3 tasks recorded"
    with Store() as store:
        (session,) = store.sessions(store.require_patient("P-29"))
        assert [c.task for c in store.clips(session)] == ["rest", "natural_blinking", "pucker", "pucker"]

    from synkimeter.gui.patients import CurrentPatient, PatientManager

    manager = PatientManager(CurrentPatient("P-29"))
    qtbot.addWidget(manager)
    words = [manager.session_table.item(0, c).text() for c in range(manager.session_table.columnCount())]
    assert "partial" in words

    from synkimeter.cli import main

    assert main(["sessions", "P-29"]) == 0
    assert "partial" in capsys.readouterr().out

    from synkimeter.report.document import build_report

    with Store() as store:
        html, _ = build_report(store, store.require_patient("P-29"))
    assert "partial" in html


@pytest.mark.parametrize("statuses, word", [(("complete", "failed", "complete"), "partial"),
                                            (("complete", "failed", "complete", "complete"), "complete")])
def test_session_state(statuses, word):
    from synkimeter.store.records import Clip, Session

    session = Session(1, 1, "2026-01-01T10:00:00", "follow-up", "home", "", "complete")
    tasks = ("rest", "pucker", "natural_blinking", "pucker")
    clips = [Clip(i, 1, t, s, None, None, None, "", None, "") for i, (t, s) in enumerate(zip(tasks, statuses))]
    assert session_state(session, clips) == word
