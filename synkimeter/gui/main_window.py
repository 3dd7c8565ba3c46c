"""The one window: lays out the widgets and wires them to a `LiveSession` (which runs the pipeline)."""

from __future__ import annotations

import contextlib
import math
import re
import threading
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from synkimeter.capture import FrameSource
from synkimeter.core.anatomy import SIDES
from synkimeter.gui.plots import BlinkBars, TrendPlots, side_key
from synkimeter.gui.preview import PreviewWidget
from synkimeter.gui.scores import ScoresPanel, mm
from synkimeter.gui.scrolling import vertical_scroll
from synkimeter.gui.session import LiveSession, describe, is_camera, sample_clip_path, source_key
from synkimeter.gui.theme import NOTICE_COLOR, STYLE, label_style, set_text_scale, side_html
from synkimeter.usecases.live import NOTICE_TEXT
from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings
from synkimeter.usecases.words import signed

VIDEO_FILTER = "Videos (*.mp4 *.mov *.avi *.mkv *.webm *.m4v);;All files (*)"
RESOLUTIONS = (("Camera's own size", None), ("640 × 480", (640, 480)), ("1280 × 720", (1280, 720)),
               ("1920 × 1080", (1920, 1080)))


# A page's tab name in fewer words, where the full names and the patient's corner do not fit the width
SHORT_TAB_NAMES = {"Record a session": "Record", "My progress": "Progress", "Questionnaire": "Questions"}

# The window opens at this size, shrunk to fit the screen's free area (a 1366x768 laptop has about
# 1366x730 once the desktop's bar is counted).
WINDOW_SIZE = (1360, 860)
DETAILS_HEIGHT = 96  # the therapist's details: about four lines, scrolled when longer


def _fitting_size(widget) -> tuple[int, int]:
    screen = widget.screen() if hasattr(widget, "screen") else None
    if screen is None:
        return WINDOW_SIZE
    free = screen.availableGeometry()
    frame = 40  # the title bar and borders the window manager adds
    # A large screen gets a larger window (80 % of it), a small one at most its free area.
    width = max(WINDOW_SIZE[0], int(0.8 * free.width()))
    height = max(WINDOW_SIZE[1], int(0.85 * (free.height() - frame)))
    return min(width, free.width()), min(height, max(480, free.height() - frame))


def store_label_text(location: str | None) -> str:
    """The status bar's few words on where the data is kept: 'Store: this computer' or
    'Store: clinic server HOST/DATABASE as ROLE' (the folder and the port are in the tooltip)."""
    if not location:
        return "Store: not connected"
    if location.startswith("this computer"):
        return "Store: this computer"
    text = re.sub(r":\d+(?=/)", "", location)
    if len(text) > 70:  # a unix-socket folder as host: keep both ends, the whole is in the tooltip
        text = f"{text[:30]}…{text[-39:]}"
    return f"Store: {text}"


def _configured_store():
    """A function opening the store as configured now: where it is is read on the calling thread
    (the environment, the settings file), the store opened wherever the function is called."""
    from synkimeter.store.backend import configured_url, data_dir
    from synkimeter.store.records import StoreError

    try:
        url = configured_url()
    except StoreError as exc:
        problem = exc

        def unreadable():
            raise problem

        return unreadable
    folder = None if url else data_dir()

    def open_store():
        from synkimeter.store.database import Store

        return Store(folder, url=url)

    return open_store


def _open_store():
    """The store as configured, opened when called (a practice set kept, a patient opened): its
    database layer (SQLAlchemy, 0.4 s to import) is not loaded while the window is built."""
    from synkimeter.store import Store

    return Store()


def _panel() -> QFrame:
    frame = QFrame()
    frame.setObjectName("panel")
    return frame


class MainWindow(QMainWindow):
    _looked = Signal(object)  # the first visit to the store, from its worker thread (a StoreLook)

    def __init__(self, params: Settings = DEFAULT_SETTINGS, cameras=None, mesh_factory=None) -> None:
        super().__init__()
        from synkimeter.gui.text_size import FACTOR, install, remembered_text_size

        # The remembered text size first: every style sheet set from here on is sized (gui/text_size.py).
        self.text_size = remembered_text_size()
        set_text_scale(FACTOR[self.text_size])
        install()
        self.params = params
        self.setWindowTitle("synkimeter – mouth movement when you blink")
        self.setStyleSheet(STYLE)
        self.session = LiveSession(params, mesh_factory=mesh_factory, parent=self)
        self.session.state_changed.connect(self._on_state)
        self.session.snapshot_ready.connect(self._on_snapshot)
        self.last_snapshot = None
        self._face_notice = "waiting"
        self._build(cameras or [])
        self._actions()
        self._add_session_modes(mesh_factory)
        self._add_practice_mode(mesh_factory)
        self._add_questionnaire_mode()
        self._add_current_patient()
        self._timer = QTimer(self)
        self._timer.setInterval(max(5, int(1000 * params.live_preview_interval_s)))
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(500)
        self._stats_timer.timeout.connect(self._show_stats)
        self._stats_timer.start()
        self.resize(*_fitting_size(self))
        from synkimeter.gui.access import name_controls

        self.unnamed_controls = name_controls(self)  # every control: Tab focus and a name a screen reader says

    # -- layout ----------------------------------------------------------------------------------
    def _build(self, cameras) -> None:
        central = QWidget()
        central.setObjectName("central")
        self.setCentralWidget(central)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(12, 10, 12, 6)
        outer.setSpacing(10)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Picture from:"))
        self.source_box = QComboBox()
        self.source_box.setMinimumWidth(240)
        self.source_box.setToolTip("Choose a camera, or play a video file as if it were a camera.")
        for cam in cameras:
            self.source_box.addItem(str(cam), ("camera", cam.index))
        self._sample = sample_clip_path()
        if self._sample is not None:
            self.source_box.addItem("Sample video", ("file", str(self._sample)))
        self.source_box.addItem("Open video file…", ("open", None))
        self.source_box.activated.connect(self._on_source_chosen)
        bar.addWidget(self.source_box)
        self.size_box = QComboBox()
        for text, size in RESOLUTIONS:
            self.size_box.addItem(text, size)
        self.size_box.setToolTip("Camera picture size. Larger pictures measure small faces better "
                                 "but need more computer.")
        self.size_box.activated.connect(self._on_size_chosen)
        bar.addWidget(self.size_box)
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("primary")
        self.start_button.setMinimumWidth(100)
        self.start_button.setToolTip("Start or stop (Space)")
        self.start_button.clicked.connect(self.toggle_running)
        bar.addWidget(self.start_button)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Start counting again from zero (R)")
        self.reset_button.clicked.connect(self.reset)
        bar.addWidget(self.reset_button)
        self.mirror_box = QCheckBox("Mirror picture")
        self.mirror_box.setChecked(True)
        self.mirror_box.setToolTip("Show the picture like a mirror (M). "
                                   "Measurements always use your own right and left.")
        self.mirror_box.toggled.connect(self._on_mirror)
        bar.addWidget(self.mirror_box)
        bar.addStretch(1)
        self.details_button = QPushButton("Details")
        self.details_button.setCheckable(True)
        self.details_button.setToolTip("Technical details for your therapist (D)")
        self.details_button.toggled.connect(self._show_details)
        bar.addWidget(self.details_button)
        outer.addLayout(bar)

        # Two columns. Left: the picture, what to do now, and the rolling traces under it. Right: the
        # scores and the per-blink chart, in a scroll area: at large text on a 1366x768 screen the
        # big numbers, the reasons a blink is not counted and a readable chart need more height than
        # the window has, and a scroll bar beats cutting any of them off or squashing the chart.
        columns = QHBoxLayout()
        columns.setSpacing(10)
        left = QVBoxLayout()
        left.setSpacing(6)
        self.preview = PreviewWidget(arrow_gain=self.params.live_arrow_gain)
        left.addWidget(self.preview, 3)
        notice_row = QHBoxLayout()
        self.notice = QLabel(NOTICE_TEXT["waiting"])
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        notice_row.addWidget(self.notice, 1)
        self.sample_button = QPushButton("Play the sample video")
        self.sample_button.setVisible(False)
        self.sample_button.clicked.connect(self.play_sample)
        notice_row.addWidget(self.sample_button)
        self.open_button = QPushButton("Open video file…")
        self.open_button.setVisible(False)
        self.open_button.clicked.connect(self.choose_file)
        notice_row.addWidget(self.open_button)
        left.addLayout(notice_row)
        self.legend = QLabel(f"Coloured lines follow your eyes and mouth corners. A short arrow shows how far a "
                             f"mouth corner moves (drawn {self.params.live_arrow_gain:g}× larger). {side_key()}")
        self.legend.setObjectName("caption")
        self.legend.setWordWrap(True)
        left.addWidget(self.legend)
        columns.addLayout(left, 1)

        self.scores = ScoresPanel(params=self.params)
        self.bars = BlinkBars(self.params.live_bar_blinks)
        score_page = QWidget()
        score_page.setObjectName("scorePage")
        right = QVBoxLayout(score_page)
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(10)
        right.addWidget(self.scores)
        right.addWidget(self.bars.widget, 1)
        self.scores_area = vertical_scroll(score_page)
        columns.addWidget(self.scores_area, 1)

        self.trends = TrendPlots(self.params.live_plot_window_s)
        trend_box = QHBoxLayout()
        trend_box.setSpacing(10)
        for w in self.trends.widgets():
            trend_box.addWidget(w)
        outer.addLayout(columns, 1)

        self.details: QLabel = QLabel()  # annotated: the Details button's lambda above refers to it
        self.details.setObjectName("caption")
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setWordWrap(True)
        self.details.setVisible(False)
        # In a scroll area of a few lines' height: opening Details never grows the window past the
        # screen, squeezes the per-blink chart or cuts off the scores' "not counted" reason (1366x768).
        self.details_area = vertical_scroll(self.details, transparent=False)
        self.details_area.setMaximumHeight(DETAILS_HEIGHT)
        self.details_area.setMinimumHeight(DETAILS_HEIGHT // 2)  # two lines at least; more room: more lines
        self.details_area.setVisible(False)
        # under the picture, in the legend's place: the picture's column has room to spare, the
        # scores' column (numbers, reasons, the per-blink chart) has none
        left.addWidget(self.details_area)
        left.addLayout(trend_box, 1)

        # A sentence about the store (it cannot be opened, the access log cannot be written): on the
        # left, wrapped, so the whole sentence can be read beside the source's line.
        self.store_note = QLabel("")
        self.store_note.setWordWrap(True)
        self.store_note.setStyleSheet(label_style(f"color: {NOTICE_COLOR['error']}; padding-left: 6px;"))
        self.store_note.setVisible(False)
        self.statusBar().addWidget(self.store_note, 1)
        self.status = QLabel("")
        self.status.setObjectName("caption")
        self.statusBar().addPermanentWidget(self.status)
        self.store_label = QLabel("Store: …")  # which store: settled once the window is up (_settle_patient)
        self.store_label.setObjectName("caption")
        # set apart from the source's line beside it (the status bar draws no separators of its own)
        self.store_label.setStyleSheet(label_style("border-left: 1px solid #c9c6bf; padding-left: 8px; "
                                                   "margin-left: 8px;"))
        self.statusBar().addPermanentWidget(self.store_label)
        self.statusBar().setSizeGripEnabled(False)

    def _show_details(self, on: bool) -> None:
        self.details.setVisible(on)
        self.details_area.setVisible(on)
        self.legend.setVisible(not on)  # the therapist's lines take the patient's legend's place: same height
        if on:
            self.details.setText(self._details_text())

    def _actions(self) -> None:
        for keys, slot in (
            ("Space", self.toggle_running),
            ("R", self.reset),
            ("M", self.mirror_box.toggle),
            ("Ctrl+O", self.choose_file),
            ("D", self.details_button.toggle),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

    # -- commands ---------------------------------------------------------------------------------
    def open_source(self, spec) -> None:
        """Show and start a source: a camera number, a video path or a ready FrameSource."""
        if not isinstance(spec, FrameSource):
            key = source_key(spec)
            index = self.source_box.findData(key)
            if index < 0:
                label = describe(spec) if key[0] == "file" else f"Camera {key[1]}"
                index = self.source_box.count() - 1  # before "Open video file…"
                self.source_box.insertItem(index, label, key)
            self.source_box.setCurrentIndex(index)
        self._clear_scores()
        self.session.start(spec, self._resolution())

    def toggle_running(self) -> None:
        if self.session.running:
            self.session.stop()
        else:
            self._clear_scores()
            self.session.start(None, self._resolution())

    def reset(self) -> None:
        self.session.reset()
        self._clear_scores()

    def play_sample(self) -> None:
        if self._sample is not None:
            self.open_source(str(self._sample))

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a video", str(Path.home()), VIDEO_FILTER)
        if path:
            self.open_source(path)
        else:
            self._select_current_spec()

    def _resolution(self):
        return self.size_box.currentData()

    def _select_current_spec(self) -> None:
        spec = self.session.spec
        if spec is None:
            return
        key = source_key(spec)
        index = self.source_box.findData(key)
        if index >= 0:
            self.source_box.setCurrentIndex(index)

    def _on_source_chosen(self, index: int) -> None:
        kind, value = self.source_box.itemData(index)
        if kind == "open":
            self.choose_file()
        else:
            self.open_source(value)

    def _on_size_chosen(self, index: int) -> None:
        spec = self.session.spec
        if self.session.running and is_camera(spec):
            self.open_source(spec)

    def _on_mirror(self, on: bool) -> None:
        self.preview.set_mirror(on)

    def _clear_scores(self) -> None:
        self.last_snapshot = None
        self.scores.clear()
        self.trends.clear()
        self.bars.clear()

    # -- updates ----------------------------------------------------------------------------------
    def _tick(self) -> None:
        view = self.session.take_view()
        if view is not None:
            self.preview.show_view(view)
            if view.instant is not None:
                self.scores.show_instant(view.instant)

    def _on_state(self, state: str, message: str) -> None:
        running = state in ("starting", "running")
        self.start_button.setText("Stop" if running else "Start")
        camera = is_camera(self.session.spec)
        self.size_box.setEnabled(camera or not running)
        no_camera = state == "failed" and camera
        self.sample_button.setVisible(no_camera and self._sample is not None)
        self.open_button.setVisible(no_camera)
        if state == "running":
            self.preview.set_message("")
            self._set_notice(self._face_notice, NOTICE_TEXT.get(self._face_notice, ""))
        elif state == "starting":
            self.preview.set_message(message)
            self._set_notice("waiting", message)
        elif state == "failed":
            text = message
            if no_camera:
                text = f"No camera picture. {message}"
                if self._sample is not None:
                    text += " You can play the sample video instead."
            self.preview.set_message(text)
            # no camera is something to do (plug one in, or play the sample), said once in the notice
            self._set_notice("no_face", text) if no_camera else self._set_notice("error", message)
        else:  # stopped, ended: keep the last picture and scores on screen
            self._set_notice(state, message)
        self.status.setText(self._status_text())

    def _set_notice(self, kind: str, text: str) -> None:
        self.notice.setText(text)
        self.notice.setStyleSheet(f"color: {NOTICE_COLOR.get(kind, NOTICE_COLOR['waiting'])};")

    def _on_snapshot(self, s) -> None:
        self.last_snapshot = s
        self.scores.show_snapshot(s)
        self.trends.show_series(s.series)
        self.bars.show_blinks(s.recent_blinks, s.median_mm)
        self._face_notice = s.notice
        if self.session.state == "running":
            self._set_notice(s.notice, NOTICE_TEXT[s.notice])
        if self.details.isVisible():
            self.details.setText(self._details_text())

    def _show_stats(self) -> None:
        self.status.setText(self._status_text())
        if self.details.isVisible():
            self.details.setText(self._details_text())

    def _status_text(self) -> str:
        stats = self.session.stats()
        where = self.session.source_description or "no source"
        if stats is None or not math.isfinite(stats.measured_fps):
            return where
        latency = self.preview.latency_s
        delay = f" · {1000 * latency:.0f} ms from camera to screen" if math.isfinite(latency) else ""
        text = f"{where} · measuring {stats.measured_fps:.0f} pictures per second{delay}"
        if stats.measured_fps < self.params.min_frame_rate_fps:
            text += " · far too few pictures per second: movement reads far too low, no severity can be given"
        elif stats.measured_fps < self.params.low_frame_rate_fps:
            text += " · too few pictures per second: mouth-corner movement reads low"
        return text

    def _details_text(self) -> str:
        s = self.last_snapshot
        stats = self.session.stats()
        parts = []
        if stats is not None:
            parts.append(f"Source {stats.width}×{stats.height}, {stats.source_fps:.1f} frames/s (source clock); "
                         f"measured {stats.measured_fps:.1f}/s; {stats.dropped} frames skipped while busy; "
                         f"preview delay {1000 * self.preview.latency_s:.0f} ms")
        if s is not None:
            parts.append(f"Scale {s.mm_per_px:.3f} mm/px (iris {s.iris_px:.1f} px in the image); "
                         f"head turn {signed(s.yaw_deg, 0)}°, tilt {signed(s.pitch_deg, 0)}°; buffer {s.frames} frames")
            parts.append(f"Eye openness ratio left/right {s.openness_ratio:.2f}; corner height difference "
                         f"(right − left) {mm(s.height_diff_mm, 2)}; corner to lip midline: "
                         + ", ".join(f"{side_html(side)} {mm(s.excursion_mm[side], 1)}" for side in SIDES))
            parts.append("Blinks counted once each after they end; " + ", ".join(
                f"{side_html(side)}: {s.n_scored[side]} scored, averaged {mm(s.average_mm[side], 2)}, "
                f"median of peaks {mm(s.median_mm[side], 2)}" for side in SIDES)
                + f"; long eye closures (not blinks): {s.eye_closures}")
        return "<br>".join(parts)

    # -- modes "Record a session" and "My progress" (gui/recorder.py, gui/trends.py) ---------------
    def _add_session_modes(self, mesh_factory) -> None:
        from PySide6.QtWidgets import QTabWidget

        from synkimeter.gui.recorder import RecordMode
        from synkimeter.gui.trends import TrendsView

        tabs = self.centralWidget()
        if not isinstance(tabs, QTabWidget):  # the first mode added turns the live view into a tab
            live = self.takeCentralWidget()
            assert live is not None  # the live view, the central widget since __init__
            tabs = QTabWidget()
            tabs.setDocumentMode(True)
            tabs.addTab(live, "Live")
            self.setCentralWidget(tabs)
        self.modes = tabs
        self._live_page = tabs.widget(0)
        self._live_shortcuts = self.findChildren(QShortcut)  # Space, R, M, ... act on the live view only
        self.record_mode = RecordMode(self.params, source_spec=self._record_source, mesh_factory=mesh_factory)
        self.progress_mode = TrendsView()
        tabs.addTab(self.record_mode, "Record a session")
        tabs.addTab(self.progress_mode, "My progress")
        tabs.currentChanged.connect(self._on_mode)

        def lock_other_tabs(on: bool) -> None:  # while recording, the other modes cannot be chosen
            for i in range(tabs.count()):
                if tabs.widget(i) is not self.record_mode:
                    tabs.setTabEnabled(i, not on)

        self.record_mode.running_changed.connect(lock_other_tabs)
        self.record_mode.recorded.connect(lambda name: self.progress_mode.refresh(select=name))
        self.record_mode.progress_requested.connect(lambda: tabs.setCurrentWidget(self.progress_mode))

    def _record_source(self):
        """What "Record a session" records from: the source chosen on the Live page."""
        if self.session.spec is not None:
            return self.session.spec
        kind, value = self.source_box.currentData() or (None, None)
        return value if kind in ("camera", "file") else None

    def _on_mode(self, index: int) -> None:
        page = self.modes.widget(index)
        for shortcut in self._live_shortcuts:
            shortcut.setEnabled(page is self._live_page)
        if page is not self._live_page and self.session.running:
            self.session.stop()  # one camera, one user: the live view lets go of it
        if page is self.progress_mode:
            self.progress_mode.refresh()

    # -- mode "Practice" (gui/practice.py) ---------------------------------------------------------
    def _add_practice_mode(self, mesh_factory) -> None:
        from synkimeter.gui.practice import PracticePanel

        self.practice_mode = PracticePanel(self.params, store_factory=_open_store, mesh_factory=mesh_factory)
        self.practice_mode.setContentsMargins(12, 10, 12, 10)
        self.modes.addTab(self.practice_mode, "Practice")
        self.modes.currentChanged.connect(self._on_practice_mode)

    def _on_practice_mode(self, index: int) -> None:
        if self.modes.widget(index) is self.practice_mode:  # practise on the source chosen on the Live page
            self.practice_mode.set_source(self._record_source() or "0")
        else:
            self.practice_mode.stop()

    # -- mode "Questionnaire" (gui/questionnaire.py): the patient's SAQ answers -------------------------
    def _add_questionnaire_mode(self) -> None:
        from synkimeter.gui.questionnaire import QuestionnairePage

        self.questionnaire_mode = QuestionnairePage(store_factory=_open_store)
        self.modes.addTab(self.questionnaire_mode, "Questionnaire")
        self.questionnaire_mode.saved.connect(lambda name: self.progress_mode.refresh(select=name))

    # -- one current patient for every tab (gui/patients.py) ---------------------------------------
    def _add_current_patient(self) -> None:
        from synkimeter.gui.patients import CurrentPatient, look_at_store

        self.current = CurrentPatient(parent=self)
        corner = QWidget()
        row = QHBoxLayout(corner)
        row.setContentsMargins(6, 2, 6, 2)
        from synkimeter.gui.text_size import SIZES

        self.text_size_box = QComboBox()
        self.text_size_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # short words: narrower
        for key, text, _factor in SIZES:
            self.text_size_box.addItem(text, key)
        self.text_size_box.setCurrentIndex(max(0, self.text_size_box.findData(self.text_size)))
        self.text_size_box.setAccessibleName("Text size")
        self.text_size_box.setToolTip("Text size on every page and plot (remembered)")
        self.text_size_box.activated.connect(lambda i: self.set_text_size(self.text_size_box.itemData(i)))
        row.addWidget(self.text_size_box)
        self.patient_label = QLabel("")
        self.patient_label.setTextFormat(Qt.TextFormat.RichText)
        row.addWidget(self.patient_label)
        self.patient_button = QPushButton("Patients…")
        self.patient_button.setToolTip("Choose the patient, add, rename or delete patients, correct sessions (Ctrl+P)")
        self.patient_button.clicked.connect(self.manage_patients)
        row.addWidget(self.patient_button)
        self.send_button = QPushButton("Send to my therapist…")
        self.send_button.setToolTip("Send my recordings to my therapist: the current patient's record as one file, "
                                    "locked with a passphrase you choose")
        self.send_button.setAccessibleName("Send to my therapist")
        self.send_button.clicked.connect(self.send_to_therapist)
        row.addWidget(self.send_button)
        self.modes.setCornerWidget(corner, Qt.Corner.TopRightCorner)
        self._corner = corner
        self._compact_corner = False
        shortcut = QShortcut(QKeySequence("Ctrl+P"), self)
        shortcut.activated.connect(self.manage_patients)
        self.current.changed.connect(self._on_patient)
        self.record_mode.page.picker.patient_chosen.connect(self.current.set)
        self.record_mode.page.picker.manage_requested.connect(self.manage_patients)
        self.record_mode.recorded.connect(self.current.set)
        self.record_mode.running_changed.connect(lambda on: self.patient_button.setEnabled(not on))
        self.record_mode.running_changed.connect(lambda on: self.send_button.setEnabled(not on))
        self.progress_mode.report_written.connect(self._on_report)
        self._show_patient(self.current.pseudonym)
        # The window's first visit to the store runs on a worker thread, started once the window is up:
        # opening a store loads the database layer (~0.4 s) and a clinic server may be slow to answer;
        # neither holds the window or its first picture. The result comes back by a queued signal.
        self.store_settled = False
        self._looked.connect(self._settle_patient)
        worker = threading.Thread(target=self._look_at_store, name="store-look", daemon=True,
                                  args=(look_at_store, self.current.pseudonym, _configured_store()))
        QTimer.singleShot(0, worker.start)

    def set_text_size(self, key: str) -> None:
        """Normal, large or larger text on every page and plot, now and at the next start."""
        from synkimeter.gui.text_size import FACTOR, apply_text_size, remember_text_size

        if key not in FACTOR:
            return
        self.text_size = key
        self.text_size_box.setCurrentIndex(max(0, self.text_size_box.findData(key)))
        apply_text_size(key)
        remember_text_size(key)
        self.scores.fit_columns()
        self._fit_tabs()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        if hasattr(self, "_corner"):
            self._fit_tabs()

    def _fit_tabs(self) -> None:
        """Every page's tab in full beside the patient's corner: where the width is short (large text
        on a 1366x768 screen) the corner says the same in fewer words (the whole in each tooltip and
        accessible name) rather than the tab bar scrolling its last tabs out of sight."""
        from synkimeter.gui.text_size import SIZES

        tabs = self.modes.tabBar()
        if not hasattr(self, "_tab_names"):
            self._tab_names = [tabs.tabText(i) for i in range(tabs.count())]
            for i, name in enumerate(self._tab_names):
                tabs.setTabToolTip(i, name)

        def room() -> int:
            return self.modes.width() - tabs.sizeHint().width() - self._corner.sizeHint().width()

        for level in (0, 1, 2):  # full words; a shorter corner; and shorter tab names too
            compact = self._compact_corner = level > 0
            for i, (_key, text, _factor) in enumerate(SIZES):
                self.text_size_box.setItemText(i, text.replace(" text", "") if compact else text)
            self.send_button.setText("Send…" if compact else "Send to my therapist…")
            self._show_patient_label(self.current.pseudonym)
            for i, name in enumerate(self._tab_names):
                tabs.setTabText(i, SHORT_TAB_NAMES.get(name, name) if level == 2 else name)
            corner_layout = self._corner.layout()
            if corner_layout is not None:
                corner_layout.invalidate()
            if room() >= 0:
                break

    def _look_at_store(self, look_at_store, remembered: str, store_factory) -> None:
        look = look_at_store(remembered, store_factory, audit=True)
        with contextlib.suppress(RuntimeError):  # the window was closed meanwhile: nobody to tell
            self._looked.emit(look)

    def _settle_patient(self, look) -> None:
        """Where the store is, and the patient the window opens on (recorded as read in that visit)."""
        # Not if the store could not be opened, nor if the user chose a patient meanwhile.
        if look.location and self.current.pseudonym == look.remembered:
            self.current.blockSignals(True)  # settling is not the user choosing a patient (audited there)
            try:
                self.current.set(look.pseudonym)
            finally:
                self.current.blockSignals(False)
        self.show_store(look.location, look.problem)
        self.store_message(look.audit_problem)
        self._show_patient(self.current.pseudonym)
        self.store_settled = True

    def show_store(self, location: str, problem: str = "") -> None:
        """Where the store is, in the status bar; '' with `problem` (the StoreError's sentence): not connected."""
        self.store_label.setText(store_label_text(location))
        self.store_label.setToolTip(f"Patients and recordings are kept on {location}." if location else problem)
        self.store_message(problem)

    def store_message(self, sentence: str) -> None:
        """A sentence about the store in the status bar (kept until the next one): the store could
        not be opened, or the access log could not be written."""
        if sentence:
            self.store_note.setText(sentence)
            self.store_note.setToolTip(sentence)
            self.store_note.setVisible(True)

    def _on_patient(self, pseudonym: str) -> None:
        """The current patient changed: this is a new patient opened in the window (once per choice)."""
        from synkimeter.gui.patients import OPENED, record_access_in

        self._show_patient(pseudonym)
        self.store_message(record_access_in(_open_store, "read", pseudonym, OPENED))

    def _on_report(self, pdf: str, html: str) -> None:
        self.store_message(self.progress_mode.audit_problem)

    def _show_patient(self, pseudonym: str) -> None:
        who = pseudonym or "no patient chosen"
        self.setWindowTitle(f"synkimeter – {who} – mouth movement when you blink")
        # No patient yet is the next step, not an error: said plainly, and Patients… is the button to press.
        if hasattr(self, "_corner"):
            self._fit_tabs()  # the patient's name is part of the corner's width
        else:
            self._show_patient_label(pseudonym)
        self.patient_button.setObjectName("" if pseudonym else "primary")
        self.patient_button.setStyleSheet(self.patient_button.styleSheet())  # restyle for its new name
        self.record_mode.set_patient(pseudonym)
        self.progress_mode.set_patient(pseudonym)
        self.practice_mode.set_patient(pseudonym)
        self.questionnaire_mode.set_patient(pseudonym)

    def _show_patient_label(self, pseudonym: str) -> None:
        short = getattr(self, "_compact_corner", False)
        if pseudonym:
            self.patient_label.setText(f"<b>{pseudonym}</b>" if short else f"Patient: <b>{pseudonym}</b>")
            self.patient_label.setToolTip(f"The patient: {pseudonym}")
        else:
            self.patient_label.setText("<b>Choose the patient</b> →" if short else "<b>Next: choose the patient</b> →")
            self.patient_label.setToolTip("Choose the patient: press Patients…")

    def guide_to_patient(self) -> None:
        """No patient chosen: the Record page and the button to press say what to do next."""
        self.modes.setCurrentWidget(self.record_mode)
        self.patient_button.setFocus()

    def manage_patients(self, *_args):
        """The patient manager (modal); returns the dialog once closed."""
        from synkimeter.gui.patients import PatientManager

        if self.record_mode.running:
            return None
        from synkimeter.gui.access import name_controls

        dialog = PatientManager(self.current, parent=self)
        name_controls(dialog)
        dialog.exec()
        self.progress_mode.refresh()
        self.record_mode.refresh_patients()
        return dialog

    def send_to_therapist(self, *_args):
        """"Send my recordings to my therapist..." for the current patient (modal); returns the dialog once closed."""
        from synkimeter.gui.share import SendDialog

        if self.record_mode.running:
            return None
        if not self.current.pseudonym:
            return self.manage_patients()
        dialog = SendDialog(self.current.pseudonym, _open_store, parent=self)
        dialog.exec()
        return dialog

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self._timer.stop()
        self._stats_timer.stop()
        self.record_mode.shutdown()  # an unfinished recording is kept, marked incomplete
        self.practice_mode.stop()
        self.session.stop(quiet=True)
        super().closeEvent(event)
