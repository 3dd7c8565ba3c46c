"""First run in a patient's words (issue 28): what the tool does and what to do next (a code from the
therapist, a first recording); the data folder and SYNKIMETER_DATA_DIR only in a therapist's detail;
after Skip the window guides to choosing the patient instead of showing red errors."""

from __future__ import annotations

from synkimeter.gui import first_run
from synkimeter.gui.first_run import FirstRunDialog, maybe_show_first_run

RED = "#b3261e"


def test_first_run_says_what_to_do_next_in_a_patients_words(qtbot, tmp_path):
    dialog = FirstRunDialog([], tmp_path / "data", sample_available=True)
    qtbot.addWidget(dialog)
    dialog.show()
    steps = dialog.next_label.text()
    assert "patient code" in steps and "therapist" in steps and "first session" in steps
    shown = [w.text() for w in dialog.findChildren(type(dialog.next_label)) if w.isVisible()]
    assert not any("SYNKIMETER_DATA_DIR" in t for t in shown)  # not on the patient's screen
    assert "stay on this computer" in dialog.kept_label.text()
    dialog.details_button.click()  # the therapist's detail, on asking
    assert dialog.data_label.isVisible() and "SYNKIMETER_DATA_DIR" in dialog.data_label.text()


def test_after_skip_the_window_guides_to_choosing_the_patient(qtbot, monkeypatch, tmp_path):
    from synkimeter.gui.app import create_window

    monkeypatch.setenv(first_run.ENV_FIRST_RUN, "1")
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    window = create_window(None, cameras=[])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.store_settled)
    dialog = maybe_show_first_run(window, [], tmp_path / "config")
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    dialog.skip_button.click()
    assert window.modes.currentWidget() is window.record_mode
    assert RED not in window.patient_label.text() and "choose the patient" in window.patient_label.text().lower()
    assert window.patient_button.objectName() == "primary"
    picker = window.record_mode.page.picker
    assert RED not in picker.patient_label.text() and "code your therapist gave you" in picker.patient_label.text()
    # pressing Start without a patient: what to do, prominent, not small red print
    window.record_mode.page.start_button.click()
    cue = window.record_mode.page.screen_view.cue
    assert "choose the patient" in cue.text() and "font-size: 20pt" in cue.styleSheet() and RED not in cue.styleSheet()
    assert window.record_mode.page.screen_view.message.text() == ""
    window.close()
