"""The window and its store: which store the status bar names, a store that cannot be opened, a
clinic server that stops answering before a recording, and the audit rows the window writes when a
patient is opened or their report written."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

pytest.importorskip("pytestqt")
pytest.importorskip("pyqtgraph")

from synkimeter.store import Store, StoreError  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
# Port 1 on the loopback refuses at once: a server that is not there, without waiting for a timeout.
UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none"
GONE = ("The clinic's database server (clinic-db:5432/synkimeter) cannot be reached: is it running, and is this "
        "computer on the clinic's network? Nothing was changed.")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(folder))
    monkeypatch.delenv("SYNKIMETER_DATABASE_URL", raising=False)
    return folder


def _window(qtbot):
    from synkimeter.gui.main_window import MainWindow

    window = MainWindow(cameras=[])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.store_settled)  # the store is looked at once the window is up
    return window


def _patients(store, *names):
    for name in names:
        store.add_patient(name, "right")


def test_status_bar_names_the_local_store(qtbot, data_dir):
    window = _window(qtbot)
    assert window.store_label.text() == "Store: this computer"
    assert str(data_dir) in window.store_label.toolTip()
    assert window.store_note.text() == "" and window.store_note.isHidden()
    window.close()


def test_an_unreachable_server_leaves_the_window_open_and_says_why(qtbot, data_dir, monkeypatch):
    monkeypatch.setenv("SYNKIMETER_DATABASE_URL", UNREACHABLE)
    window = _window(qtbot)
    assert window.store_label.text() == "Store: not connected"
    message = window.store_note.text()
    assert "cannot be reached" in message and "127.0.0.1:1/none" in message
    assert window.store_label.toolTip() == message and window.store_note.isVisible()
    assert "Traceback" not in message and "\n" not in message
    # the window stays usable: its tabs and the live view are there
    assert window.modes.count() >= 3 and window.start_button.isEnabled()
    window.close()


def test_a_recording_does_not_start_when_the_server_does_not_answer(qtbot, data_dir, monkeypatch):
    from synkimeter.capture import VideoFileSource

    def gone(self):
        raise StoreError(GONE)

    # A local store playing the clinic server whose connection dropped after the window opened.
    monkeypatch.setattr(Store, "is_server", property(lambda self: True))
    monkeypatch.setattr(Store, "ping", gone)
    meshes = []
    window = _window(qtbot)
    window.record_mode.mesh_factory = lambda params: meshes.append(params)
    window.modes.setCurrentWidget(window.record_mode)
    window.record_mode.page.picker.set_values("PX-9", "right", "home", "follow-up")
    window.record_mode.start(source=VideoFileSource(SAMPLES / "right_3mm.mp4"))
    qtbot.waitUntil(lambda: not window.record_mode.running, timeout=10_000)
    assert window.record_mode.page.screen_view.message.text() == GONE
    assert meshes == []  # the face mesh was never loaded: nothing was recorded
    assert window.modes.isTabEnabled(0) and window.patient_button.isEnabled()
    with Store() as store:
        patient = store.patient("PX-9")
        assert patient is None or store.sessions(patient) == []
    window.close()


def test_opening_a_patient_is_audited_once_and_a_report_once_per_file(qtbot, data_dir, tmp_path):
    with Store() as store:
        _patients(store, "PX-1", "PX-2")
    window = _window(qtbot)
    assert window.current.pseudonym == ""  # two patients, none remembered: none opened
    window.current.set("PX-1")
    window.current.set("PX-1")  # the same choice again is no new opening
    window.modes.setCurrentWidget(window.progress_mode)
    window.progress_mode.refresh()
    with Store() as store:
        rows = store.audit_log("PX-1")
    assert [(r["action"], r["detail"]) for r in rows] == [("read", "opened in the window")]
    window.progress_mode.report_folder = tmp_path / "reports"
    written = window.progress_mode.write_report()
    if written is None:
        pytest.skip(f"no report for a patient without sessions: {window.progress_mode.report_label.text()}")
    with Store() as store:
        exports = [r["detail"] for r in store.audit_log("PX-1") if r["action"] == "export"]
    assert exports == [written[0].name, written[1].name]
    window.close()


def test_an_audit_that_cannot_be_written_does_not_stop_the_window(qtbot, data_dir, monkeypatch):
    with Store() as store:
        _patients(store, "PX-1", "PX-2")

    def refused(self, action, patient, detail=""):
        raise StoreError("The database role 'anna' may only read this clinic store (clinic-db/synkimeter); "
                         "nothing was changed.")

    monkeypatch.setattr(Store, "record_access", refused)
    window = _window(qtbot)
    window.current.set("PX-2")
    assert "PX-2" in window.windowTitle() and window.progress_mode.pseudonym == "PX-2"
    message = window.store_note.text()
    assert message.startswith("The access log could not note the opening of PX-2: the database role 'anna'")
    assert window.store_label.text() == "Store: this computer"
    window.close()


def test_the_window_on_a_clinic_server_names_it_and_audits_the_opened_patient(qtbot, data_dir, monkeypatch,
                                                                               postgres_db):
    monkeypatch.setenv("SYNKIMETER_DATABASE_URL", postgres_db.url)
    with Store() as store:
        assert store.is_server
        _patients(store, "PX-1", "PX-2")
        location = store.location
    window = _window(qtbot)
    assert window.store_label.text().startswith("Store: clinic server ")
    assert postgres_db.name in window.store_label.text() and window.store_label.text().endswith(" as postgres")
    assert location in window.store_label.toolTip()
    window.current.set("PX-2")
    window.modes.setCurrentWidget(window.progress_mode)
    window.progress_mode.refresh()
    with Store() as store:
        rows = store.audit_log("PX-2")
        assert [(r["action"], r["actor"], r["detail"]) for r in rows] == [("read", "postgres", "opened in the window")]
        assert store.audit_log("PX-1") == []
    window.close()


def test_the_label_shortens_a_server_location():
    from synkimeter.gui.main_window import store_label_text

    assert store_label_text("this computer (/home/x/.local/share/synkimeter)") == "Store: this computer"
    assert (store_label_text("clinic server clinic-db:5432/synkimeter as anna")
            == "Store: clinic server clinic-db/synkimeter as anna")
    assert store_label_text("") == store_label_text(None) == "Store: not connected"
    long = store_label_text("clinic server /tmp/" + "x" * 80 + "/test_db as postgres")
    assert len(long) < 90 and long.endswith("/test_db as postgres")
