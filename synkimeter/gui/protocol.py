"""Widgets of "Record a session": the patient picker and the protocol screen (prompt, countdown,
progress). Display only: they show what they are given and emit what was asked; the recording itself
runs in `synkimeter.gui.recorder` (worker thread) and `synkimeter.usecases.protocol` (the runner)."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from synkimeter.gui.preview import PreviewWidget
from synkimeter.gui.scrolling import vertical_scroll
from synkimeter.gui.theme import MUTED_COLOR, NOTICE_COLOR, pt
from synkimeter.usecases.protocol import PROTOCOL_KEYS, SIT_WORDS, protocol
from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings

KINDS = (("self-check", "Self-check at home"), ("baseline", "Baseline (first visit)"), ("follow-up", "Follow-up visit"))
SIDES = ((None, "Not stated"), ("right", "Patient's own right"), ("left", "Patient's own left"))
ACTION_COLOR = "#2e7d4f"
RELAX_COLOR = "#2f6db5"


def _panel() -> QFrame:
    frame = QFrame()
    frame.setObjectName("panel")
    return frame


def _minutes(seconds: float) -> str:
    """How long a protocol takes, short (the picker must fit a 1366 px screen at the largest text)."""
    if seconds < 90:
        return f"about {int(round(seconds / 10.0) * 10) or 10} s"
    return f"about {int(math.ceil(seconds / 60.0))} min"


class PatientPicker(QFrame):
    """Who is recorded (the window's current patient, shown here and chosen in the patient manager),
    the affected side, the kind of session and the protocol. `values()` gives them as a dict."""

    changed = Signal()
    patient_chosen = Signal(str)  # set_values(patient=...) asks the window to make it current
    manage_requested = Signal()  # "Change…": the window opens the patient manager

    def __init__(self, params: Settings = DEFAULT_SETTINGS, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.params = params
        # Two columns of fields, so the page keeps its height for the picture and the prompts (the
        # window fits a 1366x768 screen).
        form = QGridLayout(self)
        form.setContentsMargins(14, 8, 14, 8)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(6)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        self._patient = ""
        self._sides: dict = {}
        who = QHBoxLayout()
        self.patient_label = QLabel("")
        self.patient_label.setTextFormat(Qt.TextFormat.RichText)
        self.patient_label.setWordWrap(True)  # the guidance when none is chosen wraps, never widens the window
        who.addWidget(self.patient_label, 1)
        self.change_button = QPushButton("Change…")
        self.change_button.setToolTip("Choose another patient, or add one (a code such as PX-0042, never a name).")
        self.change_button.clicked.connect(self.manage_requested.emit)
        who.addWidget(self.change_button)
        form.addWidget(QLabel("Patient:"), 0, 0)
        form.addLayout(who, 0, 1)
        self.show_patient("")
        self.side_box = QComboBox()
        self.side_box.setAccessibleName("Affected side")
        for value, text in SIDES:
            self.side_box.addItem(text, value)
        form.addWidget(QLabel("Affected side:"), 0, 2)
        form.addWidget(self.side_box, 0, 3)
        self.protocol_box = QComboBox()
        self.protocol_box.setAccessibleName("What to record")
        for key in PROTOCOL_KEYS:
            proto = protocol(key, params)
            self.protocol_box.addItem(f"{proto.title} ({_minutes(proto.duration_s(params))})", key)
        self.protocol_box.currentIndexChanged.connect(self._on_protocol)
        form.addWidget(QLabel("What to record:"), 1, 0)
        form.addWidget(self.protocol_box, 1, 1)
        self.kind_box = QComboBox()
        self.kind_box.setAccessibleName("Kind of session")
        for value, text in KINDS:
            self.kind_box.addItem(text, value)
        form.addWidget(QLabel("Kind of session:"), 1, 2)
        form.addWidget(self.kind_box, 1, 3)
        self.description = QLabel()
        self.description.setObjectName("caption")
        # Wrapped, so that the full protocol's list does not widen the page past a 1366 px screen at
        # the largest text (the grid's last row takes the room left, below it).
        self.description.setWordWrap(True)
        form.addWidget(self.description, 2, 1, 1, 3)
        form.setRowStretch(3, 1)  # beside a taller column of buttons, the room left goes below the fields
        self._on_protocol()

    def _on_protocol(self, *_args) -> None:
        proto = protocol(self.protocol_box.currentData(), self.params)
        self.description.setText(proto.description)
        index = self.kind_box.findData(proto.default_kind)
        if index >= 0:
            self.kind_box.setCurrentIndex(index)

    def set_patients(self, patients, current: str | None = None) -> None:
        """`patients`: [(pseudonym, affected side or None)]: the stored affected sides."""
        self._sides = dict(patients)
        self.show_patient(current if current is not None else self._patient)

    def show_patient(self, pseudonym: str) -> None:
        """Show the window's current patient (and their stored affected side)."""
        self._patient = (pseudonym or "").strip()
        self.patient_label.setText(f"<b>{self._patient}</b>" if self._patient else
                                   "none chosen yet: press <b>Change…</b> and add the code your therapist "
                                   "gave you")
        self._side_from_patient(self._patient)
        self.changed.emit()

    def _side_from_patient(self, text: str) -> None:
        side = self._sides.get(text.strip())
        if side:
            self.side_box.setCurrentIndex(max(0, self.side_box.findData(side)))

    def set_values(self, patient: str | None = None, affected_side: str | None = None, protocol_key: str | None = None,
                   kind: str | None = None) -> None:
        if patient is not None:
            self.show_patient(patient)
            self.patient_chosen.emit(self._patient)
        if affected_side is not None:
            self.side_box.setCurrentIndex(max(0, self.side_box.findData(affected_side)))
        if protocol_key is not None:
            self.protocol_box.setCurrentIndex(max(0, self.protocol_box.findData(protocol_key)))
        if kind is not None:
            self.kind_box.setCurrentIndex(max(0, self.kind_box.findData(kind)))

    def values(self) -> dict:
        return {"patient": self._patient, "affected_side": self.side_box.currentData(),
                "protocol": self.protocol_box.currentData(), "kind": self.kind_box.currentData()}


class _ShownWhenSet(QLabel):
    """A label that takes no room while it has nothing to say (the big countdown's empty line would
    push the task list off a 768-pixel-high screen)."""

    def setText(self, text: str) -> None:  # noqa: N802 - Qt naming
        super().setText(text)
        self.setVisible(bool(text))


class ProtocolScreen(QWidget):
    """The picture, and beside it what to do now in big words, the seconds left, and the tasks."""

    def __init__(self, params: Settings = DEFAULT_SETTINGS, parent=None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(12)
        self.preview = PreviewWidget(arrow_gain=params.live_arrow_gain)
        self.preview.setMinimumSize(420, 320)
        row.addWidget(self.preview, 5)

        side = _panel()
        col = QVBoxLayout(side)
        col.setContentsMargins(18, 14, 18, 14)
        col.setSpacing(8)
        self.step_label = QLabel("")
        self.step_label.setObjectName("title")
        col.addWidget(self.step_label)
        self.cue = QLabel("Press Start when you are ready")
        self.cue.setWordWrap(True)
        self.cue.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.cue.setMinimumHeight(80)
        self._cue_style(MUTED_COLOR)
        col.addWidget(self.cue)
        self.countdown = _ShownWhenSet("")
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.countdown.setStyleSheet("font-size: 64pt; font-weight: 700;")
        col.addWidget(self.countdown)
        self.repetition = _ShownWhenSet("")
        self.repetition.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.repetition.setStyleSheet("font-size: 15pt;")
        col.addWidget(self.repetition)
        self.instruction = QLabel("")
        self.instruction.setWordWrap(True)
        self.instruction.setStyleSheet("font-size: 13pt;")
        col.addWidget(self.instruction)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(12)
        col.addWidget(self.progress)
        self.tasks = QLabel("")
        self.tasks.setTextFormat(Qt.TextFormat.RichText)
        self.tasks.setWordWrap(True)
        self.tasks.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        # The task list takes the room left and scrolls when that is too little (large text on a
        # 1366x768 screen), rather than cutting off its last tasks.
        self.tasks_area = vertical_scroll(self.tasks)
        col.addWidget(self.tasks_area, 1)
        self.message = _ShownWhenSet("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("font-size: 13pt; font-weight: 600;")
        col.addWidget(self.message)
        row.addWidget(side, 4)

    def _cue_style(self, color: str) -> None:
        self.cue.setStyleSheet(f"font-size: 26pt; font-weight: 700; color: {color};")

    def show_plan(self, proto) -> None:
        """Before starting: the tasks to come."""
        self.step_label.setText(proto.title)
        self.cue.setText("Press Start when you are ready")
        self._cue_style(MUTED_COLOR)
        self.countdown.setText("")
        self.repetition.setText("")
        self.instruction.setText(f"{SIT_WORDS}, face the camera, in even light. Follow the words on the screen; "
                                 "a countdown shows how long each step lasts.")
        self.progress.setValue(0)
        self.tasks.setText(self._task_list([t.title for t in proto.tasks], 0, [], running=False))
        self.message.setText("")

    @staticmethod
    def _task_list(titles, index: int, finished, running: bool) -> str:
        done = {i: r for i, r in enumerate(finished)}
        lines = []
        for i, title in enumerate(titles):
            if i in done:
                r = done[i]
                mark = ("<span style='color:#2e7d4f'>&#10004;</span>" if r.ok
                        else "<span style='color:#b3261e'>&#10008;</span>")
                lines.append(f"{mark} {r.text}")
            elif i == index and running:
                lines.append(f"<b>&#9654; {title}</b>")
            else:
                lines.append(f"<span style='color:{MUTED_COLOR}'>&#9675; {title}</span>")
        style = f"font-size:{pt(12):g}pt; line-height:140%"
        if not done and not running and len(lines) > 4:
            # The plan of a long protocol in two columns (first half, then second), so that at large
            # text its last tasks are not below the fold; results, longer, keep one column.
            half = (len(lines) + 1) // 2
            cells = ["<br>".join(part) for part in (lines[:half], lines[half:])]
            return (f"<table width='100%' style='{style}'><tr>"
                    + "".join(f"<td width='50%' valign='top'>{c}</td>" for c in cells) + "</tr></table>")
        return f"<div style='{style}'>" + "<br>".join(lines) + "</div>"

    def show_status(self, status, titles) -> None:
        """`status`: a `synkimeter.usecases.protocol.RunnerStatus`; `titles`: the protocol's task titles."""
        n = status.task_count
        if status.phase == "setup":
            self._show_setup(status)
            return
        running = status.phase in ("countdown", "recording", "saving")
        if running:
            self.step_label.setText(f"Task {min(status.task_index + 1, n)} of {n}: {status.task_title}")
        else:
            self.step_label.setText(status.protocol_title)
        self.cue.setText(status.cue)
        if status.phase == "countdown":
            self._cue_style(MUTED_COLOR)
        elif status.phase == "recording":
            self._cue_style(ACTION_COLOR if status.action else RELAX_COLOR)
        elif status.phase == "interrupted":
            self._cue_style(NOTICE_COLOR["error"])
        elif status.missing:  # done, but not everything was recorded: never a green "All done"
            self._cue_style(NOTICE_COLOR["too_far"])
        else:
            self._cue_style(NOTICE_COLOR["ok"])
        self.countdown.setText(str(int(math.ceil(status.seconds_left))) if running and status.seconds_left > 0 else "")
        self.repetition.setText(f"Round {status.repetition} of {status.repetitions}"
                                if status.phase == "recording" and status.repetition else
                                ("● recording" if status.phase == "recording" else ""))
        self.repetition.setStyleSheet("font-size: 15pt; color: #b3261e;" if status.phase == "recording"
                                      and not status.repetition else "font-size: 15pt;")
        self.instruction.setText(status.instruction if running else "")
        self.progress.setValue(int(1000 * status.progress))
        self.tasks.setText(self._task_list(titles, status.task_index, status.finished, running))
        self.message.setText(status.message)
        color = (NOTICE_COLOR["error"] if status.phase == "interrupted"
                 else NOTICE_COLOR["too_far"] if status.missing else NOTICE_COLOR["ok"])
        self.message.setStyleSheet(f"font-size: 13pt; font-weight: 600; color: {color};")


    def _show_setup(self, status) -> None:
        """Before the first task: what to change (distance, pose, light, centring) in big words,
        the rest of the list below, until the set-up is right."""
        self.step_label.setText("Getting ready")
        self.cue.setText(status.cue)
        self._cue_style(NOTICE_COLOR["too_far"] if status.setup else NOTICE_COLOR["ok"])
        self.countdown.setText("")
        rest = status.setup[1:]
        self.repetition.setText("Then: " + "; ".join(w[0].lower() + w[1:] for w in rest) if rest else "")
        self.repetition.setStyleSheet("font-size: 15pt;")
        self.instruction.setText(status.instruction)
        self.progress.setValue(0)
        self.message.setText("")


class RecordPage(QWidget):
    """Picker, Start/Stop, and the protocol screen. Emits start_requested(values) and stop_requested."""

    start_requested = Signal(dict)
    stop_requested = Signal()
    go_on_requested = Signal()  # start although the set-up check has not passed
    redo_requested = Signal()  # record the tasks not recorded into the same session
    progress_requested = Signal()

    def __init__(self, params: Settings = DEFAULT_SETTINGS, parent=None) -> None:
        super().__init__(parent)
        self.params = params
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 6)
        outer.setSpacing(10)
        top = QHBoxLayout()
        self.picker = PatientPicker(params)
        top.addWidget(self.picker, 4)
        buttons = QVBoxLayout()
        self.start_button = QPushButton("Start recording")
        self.start_button.setObjectName("primary")
        self.start_button.setMinimumHeight(44)
        self.start_button.setStyleSheet("QPushButton:disabled { background: #c8d6cd; color: #f4f6f5; }")
        self.start_button.clicked.connect(lambda: self.start_requested.emit(self.picker.values()))
        buttons.addWidget(self.start_button)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop_requested.emit)
        buttons.addWidget(self.stop_button)
        self.go_on_button = QPushButton("Start anyway")
        self.go_on_button.setToolTip("Start the first task now, although the set-up is not as asked. "
                                     "The session notes that it was started this way.")
        self.go_on_button.setVisible(False)
        self.go_on_button.clicked.connect(self.go_on_requested.emit)
        buttons.addWidget(self.go_on_button)
        self.redo_button = QPushButton("Redo these now")
        self.redo_button.setObjectName("primary")
        self.redo_button.setToolTip("Record only the tasks that were not recorded, into the same session.")
        self.redo_button.setVisible(False)
        self.redo_button.clicked.connect(self.redo_requested.emit)
        buttons.addWidget(self.redo_button)
        self.progress_button = QPushButton("See my progress")
        self.progress_button.setVisible(False)
        self.progress_button.clicked.connect(self.progress_requested.emit)
        buttons.addWidget(self.progress_button)
        self.source_label = QLabel("")
        self.source_label.setObjectName("caption")
        self.source_label.setWordWrap(True)
        buttons.addWidget(self.source_label)
        buttons.addStretch(1)
        top.addLayout(buttons, 1)  # the room beyond the buttons' own goes to the picker's fields
        outer.addLayout(top)
        self.screen_view = ProtocolScreen(params)
        outer.addWidget(self.screen_view, 1)
        self.picker.protocol_box.currentIndexChanged.connect(lambda _i: self.show_plan())
        self.show_plan()

    def current_protocol(self):
        return protocol(self.picker.protocol_box.currentData(), self.params)

    def show_plan(self) -> None:
        self.screen_view.show_plan(self.current_protocol())

    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.picker.setEnabled(not running)
        if running:
            self.progress_button.setVisible(False)
            self.redo_button.setVisible(False)
        else:
            self.go_on_button.setVisible(False)

    def show_problem(self, what_to_do: str, detail: str = "") -> None:
        """Nothing can be recorded (no camera, no source): one prominent sentence of what to do, in
        the place of the prompts, and the source's own sentence below it."""
        screen = self.screen_view
        screen.step_label.setText("Cannot start yet")
        screen.cue.setText(what_to_do)
        # amber, as the live page's "move closer": something to do, not an alarm
        screen.cue.setStyleSheet(f"font-size: 20pt; font-weight: 700; color: {NOTICE_COLOR['no_face']};")
        screen.countdown.setText("")
        screen.repetition.setText("")
        screen.instruction.setText(detail)
        screen.message.setText("")
        screen.preview.clear()
        screen.preview.set_message("")

    def show_error(self, text: str) -> None:
        self.screen_view.message.setText(text)
        self.screen_view.message.setStyleSheet(f"font-size: 13pt; font-weight: 600; color: {NOTICE_COLOR['error']};")
