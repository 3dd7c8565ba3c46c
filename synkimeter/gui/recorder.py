"""Recording a guided session from the window: a worker thread runs `synkimeter.usecases.protocol` (face mesh,
video, landmarks, analysis, store) while the GUI thread only draws the picture and the prompts.

The worker opens its own `Store` (SQLite connections belong to the thread that opened them): the
window's store, the clinic's server when one is configured. On a server it first asks the server to
answer (`Store.ping`), so a server that went away says so before the camera starts, not after a task.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QThread, QTimer, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from synkimeter.capture import SourceError
from synkimeter.gui.protocol import RecordPage
from synkimeter.gui.worker import ViewFrame, ViewSlot, overlay_points
from synkimeter.usecases.protocol import ProtocolRunner, RunnerStatus, protocol, record_protocol, redo_protocol
from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings

NO_SOURCE = "Choose a camera or a video on the Live page, then come back and press Start recording."
NO_PATIENT = "First choose the patient: press Change… beside Patient and add the code your therapist gave you."
NO_CAMERA = ("No picture from the camera: plug it in (or close the program that uses it), "
             "then press Start recording again.")
NO_VIDEO = "This video cannot be played: choose another one on the Live page, then press Start recording."


def _default_mesh(params: Settings):
    from synkimeter.landmarks import FaceMeshExtractor

    return FaceMeshExtractor(params)


class RecordingWorker(QThread):
    """Records one protocol from one source into the store, then ends."""

    status_changed = Signal(object)  # RunnerStatus
    failed = Signal(str, str)  # could not start at all: one plain sentence, and the SourceError's reason ('' else)
    done = Signal(object)  # the last RunnerStatus (phase done or interrupted)

    def __init__(self, source, folder, values: dict, params: Settings = DEFAULT_SETTINGS,
                 mesh_factory=None, parent=None) -> None:
        """`folder`: a local store's folder; None: the window's store (`Store()`)."""
        super().__init__(parent)
        self.source = source
        self.folder = folder
        self.values = dict(values)
        self.params = params
        self.mesh_factory = mesh_factory or _default_mesh
        # A redo ("redo_session": its id, "tasks": the ones to record) records only those tasks.
        self.protocol = (redo_protocol(self.values["protocol"], self.values["tasks"], params)
                         if self.values.get("redo_session") else protocol(self.values["protocol"], params))
        self._stop = threading.Event()
        self._go_on = threading.Event()
        self.views = ViewSlot()
        self.last_status: RunnerStatus | None = None

    def stop(self) -> None:
        self._stop.set()

    def go_on(self) -> None:
        """Start the first task without waiting for the set-up check (noted in the session)."""
        self._go_on.set()

    def take_view(self) -> ViewFrame | None:
        return self.views.take()

    def _on_frame(self, frame, obs) -> None:
        eyes, corners = overlay_points(obs.points if obs.has_face else None)
        self.views.put(ViewFrame(frame.image, frame.timestamp_s, time.monotonic(), eyes, corners, None))

    def _on_status(self, status) -> None:
        self.last_status = status
        self.status_changed.emit(status)

    def run(self) -> None:  # noqa: D401 - QThread entry point
        from synkimeter.store import Store, StoreError
        from synkimeter.usecases.setup_check import baseline_setup

        store = None
        try:
            store = Store() if self.folder is None else Store(self.folder)
            if store.is_server:
                store.ping()  # a StoreError: failed, before the camera opens or a session is started
            v = self.values
            patient, _ = store.get_or_create_patient(v["patient"], v.get("affected_side"))
            if v.get("affected_side") and patient.affected_side != v["affected_side"]:
                patient = store.update_patient(patient.pseudonym, affected_side=v["affected_side"])
            redo = store.session(int(v["redo_session"])) if v.get("redo_session") else None
            if v.get("redo_session") and (redo is None or redo.patient_id != patient.id):
                raise StoreError("The session to redo tasks in is no longer there.")
            runner = ProtocolRunner(store, patient, self.protocol, v.get("kind"), self.params,
                                    source_name=getattr(self.source, "description", ""),
                                    video_fps=getattr(self.source, "fps", None),
                                    baseline_setup=baseline_setup(store, patient),
                                    preview_mirrored=v.get("preview_mirrored"), redo_session=redo)
            status = record_protocol(self.source, runner, self.params, mesh=self.mesh_factory(self.params),
                                     stop=self._stop, on_frame=self._on_frame, on_status=self._on_status,
                                     skip_setup=self._go_on)
            self.last_status = status
            self.done.emit(status)
        except SourceError as exc:
            self.failed.emit(str(exc), exc.reason)
        except StoreError as exc:
            self.failed.emit(str(exc), "")
        except Exception as exc:  # a bug must not take the window down; say something plain
            self.failed.emit(f"The recording stopped because of an internal error ({type(exc).__name__}: {exc}).", "")
        finally:
            if store is not None:
                store.close()


class RecordMode(QWidget):
    """The "Record a session" page: picker, prompts and a `RecordingWorker`.

    `source_spec()` gives what to record from (a camera number, a video path or a FrameSource; the
    window passes its current choice). Emits `recorded(pseudonym)` when a session ends with tasks kept.
    """

    recorded = Signal(str)
    running_changed = Signal(bool)
    progress_requested = Signal()

    def __init__(self, params: Settings = DEFAULT_SETTINGS, source_spec=None, mesh_factory=None,
                 parent=None) -> None:
        super().__init__(parent)
        self.params = params
        self.source_spec = source_spec or (lambda: None)
        self.mesh_factory = mesh_factory
        self.worker: RecordingWorker | None = None
        self.page = RecordPage(params)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.page)
        self.page.start_requested.connect(self.start)
        self.page.stop_requested.connect(self.stop)
        self.page.go_on_requested.connect(self.go_on)
        self.page.redo_requested.connect(self.redo)
        self.page.progress_requested.connect(self.progress_requested.emit)
        self._timer = QTimer(self)
        self._timer.setInterval(max(5, int(1000 * params.live_preview_interval_s)))
        self._timer.timeout.connect(self._tick)
        self._titles: list[str] = []
        self._no_picture_from = ""  # the source that last failed to give a picture (not "Picture from" it)
        self._redo: dict | None = None  # after an ending with tasks not recorded: what "Redo these now" records

    @property
    def running(self) -> bool:
        return self.worker is not None

    def refresh_patients(self) -> None:
        from synkimeter.store import Store, StoreError

        try:
            with Store() as store:
                patients = [(p.pseudonym, p.affected_side) for p in store.patients()]
        except StoreError as exc:
            self.page.show_error(str(exc))
            return
        self.page.picker.set_patients(patients)

    def set_patient(self, pseudonym: str) -> None:
        """The window's current patient is the one recorded."""
        if not self.running:
            if self._redo is not None and self._redo.get("patient") != pseudonym:
                self._redo = None  # another patient: the last one's missing tasks are not theirs
                self.page.redo_button.setVisible(False)
            self.page.picker.show_patient(pseudonym)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt naming
        if not self.running:
            self.refresh_patients()
            self.page.source_label.setText(self._source_text())
            if self.source_spec() is None:
                self.page.show_problem(NO_SOURCE)
        super().showEvent(event)

    def _source_text(self) -> str:
        from synkimeter.gui.session import describe

        spec = self.source_spec()
        if spec is None:
            return ""  # the page says what to do in big words (show_problem)
        if self._no_picture_from == describe(spec):
            return f"No picture from {describe(spec)}"
        return f"Picture from: {describe(spec)}"

    def redo(self, source=None) -> bool:
        """Record only the tasks the last session did not record, into that same session."""
        if self._redo is None:
            return False
        return self.start(self._redo, source)

    def start(self, values: dict | None = None, source=None) -> bool:
        """Start recording `values` (the picker's, by default) from `source` (the window's choice by
        default). Returns False, with a message on the page, when it cannot start."""
        from synkimeter.gui.session import make_source
        from synkimeter.store.database import check_pseudonym

        if self.running:
            return False
        values = dict(values or self.page.picker.values())
        if not str(values.get("patient") or "").strip():
            self.page.show_problem(NO_PATIENT)
            return False
        try:
            values["patient"] = check_pseudonym(values.get("patient"))
        except Exception as exc:
            self.page.show_error(str(exc))
            return False
        spec = source if source is not None else self.source_spec()
        if spec is None:
            self.page.show_problem(NO_SOURCE)
            return False
        try:
            src = make_source(spec, None)
        except SourceError as exc:
            self._show_source_problem(str(exc), exc.reason, spec)
            return False
        self._no_picture_from = ""
        self.page.source_label.setText(self._source_text())
        # folder None: the worker opens the window's store, which is the clinic server's when one is set
        values = {**values, "preview_mirrored": bool(self.page.screen_view.preview.mirror)}  # kept with each clip
        worker = RecordingWorker(src, None, values, self.params, self.mesh_factory)
        worker.status_changed.connect(self._on_status)
        worker.done.connect(self._on_done)
        worker.failed.connect(self._on_failed)
        self._titles = [t.title for t in worker.protocol.tasks]
        self.worker = worker
        self.page.screen_view.show_plan(worker.protocol)
        self.page.screen_view.cue.setText("Starting the camera…")
        self.page.set_running(True)
        self.running_changed.emit(True)
        self._timer.start()
        worker.start()
        return True

    def _show_source_problem(self, message: str, reason: str, spec) -> None:
        """No picture: what to do in big words where the prompts go (no "Starting the camera…" left
        up), the source's own sentence under it, and no "Picture from" that source."""
        from synkimeter.gui.session import describe

        camera = reason.startswith("camera")
        self._no_picture_from = describe(spec) if spec is not None else ""
        self.page.source_label.setText(self._source_text())
        self.page.show_problem(NO_CAMERA if camera else NO_VIDEO, message)

    def stop(self) -> None:
        """Stop a recording: the finished tasks are kept and the session is marked incomplete (the
        worker says so through `done`)."""
        if self.worker is not None:
            self.worker.stop()

    def go_on(self) -> None:
        """The patient chose to start although the set-up check has not passed."""
        if self.worker is not None:
            self.worker.go_on()

    def _tick(self) -> None:
        if self.worker is not None:
            view = self.worker.take_view()
            if view is not None:
                self.page.screen_view.preview.show_view(view)

    def _on_status(self, status) -> None:
        if self.worker is None:
            return
        self.page.go_on_button.setVisible(status.phase == "setup")
        self.page.screen_view.show_status(status, self._titles)

    def _finish(self) -> RecordingWorker | None:
        """The recording is over: wait for its worker and unlock the page; returns that worker."""
        worker, self.worker = self.worker, None
        self._timer.stop()
        if worker is not None:
            worker.wait(15000)
        self.page.set_running(False)
        self.running_changed.emit(False)
        return worker

    def _on_done(self, status) -> None:
        worker = self._finish()
        self.page.screen_view.show_status(status, self._titles)
        self._redo = None
        if status.missing and status.session_id is not None and worker is not None:
            self._redo = {**worker.values, "redo_session": status.session_id, "tasks": list(status.missing)}
        self.page.redo_button.setVisible(self._redo is not None)
        if any(r.ok for r in status.finished) and worker is not None:
            self.page.progress_button.setVisible(True)
            self.recorded.emit(worker.values["patient"])

    def _on_failed(self, message: str, reason: str = "") -> None:
        worker = self._finish()
        if reason:
            self._show_source_problem(message, reason, worker.source if worker is not None else None)
        else:
            self.page.show_error(message)
        self.page.redo_button.setVisible(self._redo is not None)  # a redo that could not start can be tried again

    def shutdown(self) -> None:
        """The window is closing: stop and wait (the session is kept as incomplete)."""
        worker = self.worker
        if worker is not None:
            for signal in (worker.status_changed, worker.done, worker.failed):
                signal.disconnect()
            worker.stop()
            worker.wait(15000)
            self.worker = None
        self._timer.stop()
