"""Practice mode: a paced retraining set with an answer at every blink (or pucker/smile), then its
score, the days in a row and the weekly trend. The judging is `synkimeter.usecases.practice` (no Qt); this
module is its worker thread and its widgets.

- `PracticeWorker`: the live worker's capture and face mesh, every frame straight into a
  `PracticeJudge` in the worker thread (no 4x-a-second re-measure), a signal for every verdict.
- `PracticePanel`: the whole mode (choices, the picture, the metronome, the verdict, the summary);
  `MainWindow` shows it as its "Practice" mode, `synkimeter practice` in a window of its own.
"""

from __future__ import annotations

import math
from datetime import datetime

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from synkimeter.capture import SourceError
from synkimeter.core.anatomy import SIDES
from synkimeter.core.ocular_oral import REASON_FACE_LOST, REASON_HEAD_TURNED, REASON_MOUTH_MOVING, REASON_TOO_CLOSE
from synkimeter.gui.preview import PreviewWidget
from synkimeter.gui.programme import ProgrammeToday
from synkimeter.gui.session import describe, make_source
from synkimeter.gui.theme import BACKGROUND, MUTED_COLOR, SIDE_COLOR, SIDE_LABEL, STYLE, TEXT_COLOR, label_style, pt
from synkimeter.gui.worker import LiveWorker, ViewFrame, overlay_points
from synkimeter.usecases.practice import (
    KIND_BLINK,
    PHASE_CALIBRATING,
    PHASE_PRACTISING,
    PHASE_WAITING,
    REASON_NOT_SEEN,
    REASON_SHORT,
    Attempt,
    History,
    PracticeJudge,
    PracticeSetResult,
    TargetPlan,
    Week,
    floor_for,
    history,
    nothing_counted_advice,
    plan_target,
)
from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings
from synkimeter.usecases.words import band_words, blink_peak_words, fixed, healthy_blink_range

CLEAN_COLOR = "#2e7d4f"
COUPLED_COLOR = "#d9731a"
SKIPPED_COLOR = MUTED_COLOR  # a verdict's words: readable grey (WCAG AA), as all secondary text
KIND_CHOICES = (
    (KIND_BLINK, "Blink – keep the mouth still"),
    ("pucker", "Pucker – keep the eye open"),
    ("smile", "Smile – keep the eye open"),
)
CUE_WORD = {KIND_BLINK: "Blink now", "pucker": "Pucker now", "smile": "Smile now"}
ACTION = {KIND_BLINK: "blink", "pucker": "pucker", "smile": "smile"}
# What a skipped attempt tells the patient.
REASON_WORDS = {
    REASON_FACE_LOST: "Not counted: stay in view",
    REASON_HEAD_TURNED: "Not counted: face the camera",
    REASON_MOUTH_MOVING: "Not counted: keep your mouth still before you blink",
    REASON_TOO_CLOSE: "Not counted: too close to another blink",
    REASON_SHORT: "Not counted: stay in view",
    REASON_NOT_SEEN: "Not seen - try again",
}
VERDICT_HOLD_MS = 1800


def verdict_text(attempt) -> tuple[str, str]:
    """(big words, colour) for one judged attempt."""
    if not attempt.judged:
        return REASON_WORDS.get(attempt.reason, "Not counted"), SKIPPED_COLOR
    if attempt.kind == KIND_BLINK:
        return (("Clean blink ✓", CLEAN_COLOR) if attempt.clean
                else (f"Mouth moved {attempt.value:.1f} mm<br><span style='font-size: {pt(13):g}pt; font-weight: 400'>"
                      f"{blink_peak_words(attempt.value)}</span>", COUPLED_COLOR))
    return (("Eye stayed open ✓", CLEAN_COLOR) if attempt.clean
            else (f"Eye narrowed {attempt.value:.0f} %", COUPLED_COLOR))


def goal_text(kind: str, target: float, side: str, params=DEFAULT_SETTINGS) -> str:
    """The set's goal with what a healthy face shows beside it (a number on a patient screen never
    stands without its healthy range): one blink's own peak for blinks, the practice floor of the
    eye's narrowing (a healthy eye's narrowing plus the mesh's jitter) for pucker and smile."""
    if kind == KIND_BLINK:
        mm = f"{target:.1f}" if abs(target - round(target, 1)) < 1e-9 else f"{target:.2f}"  # a set goal: 0.75
        return (f"Goal: {SIDE_LABEL[side].lower()} mouth corner moves less than {mm} mm "
                f"(healthy: {healthy_blink_range(params)} at one blink)")
    return (f"Goal: {SIDE_LABEL[side].lower()} eye narrows less than {target:.0f} % "
            f"(healthy: up to {floor_for(kind, params):.0f} %)")


# --- the worker ----------------------------------------------------------------------------------
class PracticeWorker(LiveWorker):
    """The live worker with a practice judge instead of the 4x-a-second re-measure."""

    attempt_judged = Signal(object)  # Attempt
    set_finished = Signal()

    def __init__(self, source, judge: PracticeJudge, params: Settings = DEFAULT_SETTINGS, **kwargs) -> None:
        super().__init__(source, params, **kwargs)
        self.judge = judge

    def _measure(self, mesh, frame, captured: float) -> None:
        if self.judge.done:
            return
        obs = mesh.process(frame.image, frame.timestamp_s)
        points = obs.points if obs.has_face else None
        for attempt in self.judge.push(frame.timestamp_s, points):
            self.attempt_judged.emit(attempt)
        self.frames += 1
        eyes, corners = overlay_points(points)
        self.views.put(ViewFrame(frame.image, frame.timestamp_s, captured, eyes, corners, None))
        if self.judge.done:
            self.set_finished.emit()
            self.stop()

    def _publish(self) -> None:  # the judge answers per frame; nothing to re-measure
        pass


# --- widgets -------------------------------------------------------------------------------------
class MetronomeDial(QWidget):
    """A ring that fills until the next cue; at the cue it turns solid and says what to do."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.fraction = 0.0
        self.text = ""
        self.active = False
        self.color = QColor(SIDE_COLOR["right"])
        self.setMinimumSize(220, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_state(self, fraction: float, text: str, active: bool) -> None:
        if (round(fraction, 2), text, active) != (round(self.fraction, 2), self.text, self.active):
            self.fraction, self.text, self.active = fraction, text, active
            self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt naming
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = min(self.width(), self.height()) - 24
        rect = QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)
        pen = QPen(QColor("#e3e1dc"), 16)
        p.setPen(pen)
        p.drawEllipse(rect)
        if self.active:
            p.setBrush(self.color)
            p.setPen(Qt.PenStyle.NoPen)
            p.drawEllipse(rect)
        elif self.fraction > 0:
            pen = QPen(self.color, 16)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            p.setPen(pen)
            p.drawArc(rect, 90 * 16, int(-360 * 16 * self.fraction))
        p.setPen(QColor("white" if self.active else TEXT_COLOR))
        font = QFont(self.font())
        font.setPointSizeF(max(11.0, side / (9 if self.active else 15)))
        font.setBold(True)
        p.setFont(font)
        p.drawText(rect.adjusted(14, 14, -14, -14), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.text)
        p.end()


class AttemptDots(QWidget):
    """One dot per attempt of the set: green clean, orange moved, grey not counted, hollow to come."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.count = 20
        self.attempts: list[Attempt] = []
        self.setMinimumHeight(34)

    def show_attempts(self, attempts, count: int) -> None:
        self.attempts, self.count = list(attempts), int(count)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        n = max(self.count, len(self.attempts), 1)
        step = min(34.0, self.width() / n)
        r = step * 0.36
        y = self.height() / 2
        for i in range(n):
            x = step * (i + 0.5)
            if i < len(self.attempts):
                a = self.attempts[i]
                color = SKIPPED_COLOR if not a.judged else (CLEAN_COLOR if a.clean else COUPLED_COLOR)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(color))
            else:
                p.setPen(QPen(QColor("#c9c6bf"), 2))
                p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(QRectF(x - r, y - r, 2 * r, 2 * r))
        p.end()


class WeekBars(QWidget):
    """Clean attempts per week as bars (0-100 %), this week on the right, labelled in plain words."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.weeks: list[Week] = []
        self.setMinimumHeight(170)

    def show_weeks(self, weeks) -> None:
        self.weeks = list(weeks)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        n = max(len(self.weeks), 1)
        top, bottom = 22.0, self.height() - 24.0
        slot = self.width() / n
        small = QFont(self.font())
        small.setPointSizeF(9.5)
        p.setFont(small)
        p.setPen(QPen(QColor("#e3e1dc"), 1))
        p.drawLine(0, int(bottom), self.width(), int(bottom))
        for i, week in enumerate(self.weeks):
            x = slot * i + slot * 0.18
            w = slot * 0.64
            label = "This week" if i == n - 1 else ("Last week" if i == n - 2 else week.start.strftime("%d %b"))
            p.setPen(QColor(MUTED_COLOR))
            p.drawText(QRectF(slot * i, bottom + 2, slot, 20),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, label)
            if not week.judged:
                p.drawText(QRectF(slot * i, bottom - 22, slot, 20), Qt.AlignmentFlag.AlignCenter, "–")
                continue
            score = week.score
            h = max(2.0, (bottom - top) * score)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(CLEAN_COLOR if i == n - 1 else "#9cc9ad"))
            p.drawRoundedRect(QRectF(x, bottom - h, w, h), 4, 4)
            p.setPen(QColor(TEXT_COLOR))
            p.drawText(QRectF(slot * i, bottom - h - 20, slot, 18), Qt.AlignmentFlag.AlignCenter,
                       f"{100 * score:.0f} %")
        p.end()


def _label(text: str = "", size: float = 11, bold: bool = False, color: str = TEXT_COLOR,
           center: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(label_style(f"color: {color}; font-size: {size}pt; font-weight: {700 if bold else 400};"))
    if center:
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


class PracticePanel(QWidget):
    """The practice mode. `store_factory()` opens the patient's store (None: sets are not kept)."""

    set_saved = Signal(object)  # PracticeSetResult

    def __init__(self, params: Settings = DEFAULT_SETTINGS, store_factory=None, patient: str = "",
                 side: str | None = None, source=None, mesh_factory=None, count: int | None = None,
                 parent=None) -> None:
        super().__init__(parent)
        self.params = params
        self.store_factory = store_factory
        self.mesh_factory = mesh_factory
        self.count_override = count
        self.source_spec = source
        self.worker: PracticeWorker | None = None
        self.plan: TargetPlan | None = None
        self.last_result: PracticeSetResult | None = None
        self.last_history: History | None = None
        self.attempts: list[Attempt] = []
        self.programme_count: int | None = None  # the home programme's repetitions, while one runs
        self._verdict_until = 0
        self._build(patient, side)
        self._timer = QTimer(self)
        self._timer.setInterval(max(5, int(1000 * params.live_preview_interval_s)))
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self.refresh_plan()

    # -- layout ----------------------------------------------------------------------------------
    def _build(self, patient: str, side: str | None) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(10)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Practise:"))
        self.kind_box = QComboBox()
        self.kind_box.setAccessibleName("What to practise")
        for kind, text in KIND_CHOICES:
            self.kind_box.addItem(text, kind)
        self.kind_box.activated.connect(lambda _i: self.refresh_plan())
        bar.addWidget(self.kind_box)
        bar.addWidget(QLabel("Side that moves too much:"))
        self.side_box = QComboBox()
        self.side_box.setAccessibleName("Side to practise")
        for s in SIDES:
            self.side_box.addItem(SIDE_LABEL[s], s)
        if side in SIDES:
            self.side_box.setCurrentIndex(SIDES.index(side))
        self.side_box.activated.connect(lambda _i: self.refresh_plan())
        bar.addWidget(self.side_box)
        # The patient is the window's current patient (set_patient); it is shown, not typed, here.
        self.patient_edit = QLineEdit(patient)
        self.patient_edit.setVisible(False)
        self.patient_label = QLabel("")
        self.patient_label.setObjectName("caption")
        # Wraps rather than widening the row past a 1366 px screen at the largest text.
        self.patient_label.setWordWrap(True)
        bar.addWidget(self.patient_label, 1)
        self._show_patient_label()
        self.sound_box = QCheckBox("Sound")
        self.sound_box.setChecked(True)
        self.sound_box.setToolTip("A short beep when the mouth (or eye) moved")
        bar.addWidget(self.sound_box)
        bar.addStretch(1)
        self.start_button = QPushButton("Start a set")
        self.start_button.setObjectName("primary")
        self.start_button.setMinimumWidth(130)
        self.start_button.clicked.connect(self.toggle)
        bar.addWidget(self.start_button)
        outer.addLayout(bar)
        self.programme_today = ProgrammeToday()  # the therapist's home programme, above both pages
        outer.addWidget(self.programme_today)

        body = QHBoxLayout()
        body.setSpacing(12)
        left = QVBoxLayout()
        self.preview = PreviewWidget(arrow_gain=self.params.live_arrow_gain)
        self.preview.setToolTip("Your camera picture, shown like a mirror.")
        left.addWidget(self.preview, 1)
        self.hint = _label("", 12, color=MUTED_COLOR)
        left.addWidget(self.hint)
        body.addLayout(left, 5)

        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_live())
        self.pages.addWidget(self._build_summary())
        body.addWidget(self.pages, 4)
        outer.addLayout(body, 1)

    def _panel(self) -> QFrame:
        frame = QFrame()
        frame.setObjectName("panel")
        return frame

    def _build_live(self) -> QWidget:
        frame = self._panel()
        v = QVBoxLayout(frame)
        v.setContentsMargins(18, 14, 18, 14)
        self.goal = _label("", 13, bold=True)
        v.addWidget(self.goal)
        self.dial = MetronomeDial()
        v.addWidget(self.dial, 3)
        self.verdict = _label("", 30, bold=True)
        self.verdict.setMinimumHeight(70)
        v.addWidget(self.verdict)
        self.progress = _label("", 15)
        v.addWidget(self.progress)
        self.dots = AttemptDots()
        v.addWidget(self.dots)
        return frame

    def _build_summary(self) -> QWidget:
        frame = self._panel()
        v = QVBoxLayout(frame)
        v.setContentsMargins(18, 14, 18, 14)
        v.setSpacing(6)
        v.addWidget(_label("Set done", 15, bold=True, color=MUTED_COLOR))
        self.sum_big = _label("", 40, bold=True, color=CLEAN_COLOR)
        v.addWidget(self.sum_big)
        self.sum_line = _label("", 15)
        v.addWidget(self.sum_line)
        self.sum_detail = _label("", 12, color=MUTED_COLOR)
        v.addWidget(self.sum_detail)
        self.sum_streak = _label("", 17, bold=True)
        v.addWidget(self.sum_streak)
        v.addWidget(_label("Clean each week", 12, bold=True, color=MUTED_COLOR))
        self.week_bars = WeekBars()
        v.addWidget(self.week_bars, 1)
        self.sum_week = _label("", 13)
        v.addWidget(self.sum_week)
        self.sum_next = _label("", 12, color=MUTED_COLOR)
        v.addWidget(self.sum_next)
        again = QPushButton("Practise again")
        again.setObjectName("primary")
        again.clicked.connect(self.start)
        v.addWidget(again, 0, Qt.AlignmentFlag.AlignHCenter)
        return frame

    # -- state -----------------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self.kind_box.currentData()

    @property
    def side(self) -> str:
        return self.side_box.currentData()

    @property
    def patient(self) -> str:
        return self.patient_edit.text().strip()

    def set_patient(self, pseudonym: str) -> None:
        """Keep the sets for this patient (the window's current patient); '' keeps none."""
        if (pseudonym or "") == self.patient:
            return
        self.patient_edit.setText(pseudonym or "")
        self.side_box.setProperty("user_set", None)
        self._show_patient_label()
        self.refresh_plan()

    def _show_patient_label(self) -> None:
        self.patient_label.setText(f"Sets kept for {self.patient}" if self.patient
                                   else "Sets not kept: choose a patient first")

    @property
    def running(self) -> bool:
        return self.worker is not None

    def _open_store(self):
        if self.store_factory is None or not self.patient:
            return None
        try:
            return self.store_factory()
        except Exception as exc:  # the store's errors are one plain sentence  # noqa: BLE001
            self.hint.setText(str(exc))
            return None

    def refresh_plan(self) -> None:
        """The next set's target for the chosen patient, kind and side (from the store)."""
        from synkimeter.usecases.practice import plan_for_patient
        from synkimeter.usecases.programme import planned

        store = self._open_store()
        plan = None
        programme = None
        if store is not None:
            try:
                with store:
                    found = store.patient(self.patient)
                    if found is not None and found.affected_side and not self.running and \
                            self.side_box.property("user_set") is None:
                        self.side_box.setCurrentIndex(SIDES.index(found.affected_side))
                    plan, _ = plan_for_patient(store, self.patient, self.kind, self.side, self.params)
                    programme = self.programme_today.load(store, self.patient, self.kind)
                    plan = planned(plan, programme)
            except Exception as exc:  # noqa: BLE001
                self.hint.setText(str(exc))
        else:
            self.programme_today.clear()
        # The therapist's programme sets the set's length while it runs (the test hook `count` first).
        self.programme_count = programme.repetitions if programme is not None else None
        self.plan = plan or plan_target(self.kind, None, [], self.params)
        self.goal.setText(goal_text(self.kind, self.plan.target, self.side, self.params))
        self.goal.setToolTip(self.plan.why)
        if not self.running:
            self.dial.show_state(0.0, "Press\nStart a set", False)
            self.progress.setText(self.plan.why)

    def set_source(self, spec) -> None:
        self.source_spec = spec

    def toggle(self) -> None:
        if self.running:
            self.stop()
        else:
            self.start()

    def start(self) -> None:
        self.stop()
        self.refresh_plan()
        spec = self.source_spec if self.source_spec is not None else "0"
        try:
            source = make_source(spec)
        except SourceError as exc:
            self.hint.setText(str(exc))
            return
        assert self.plan is not None  # refresh_plan() always sets one
        count = self.count_override if self.count_override is not None else self.programme_count
        judge = PracticeJudge(self.kind, self.side, self.plan.target, self.params, count=count)
        kwargs = {"mesh_factory": self.mesh_factory} if self.mesh_factory else {}
        worker = PracticeWorker(source, judge, self.params, **kwargs)
        worker.attempt_judged.connect(self._on_attempt)
        worker.set_finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.ended.connect(self._on_ended)
        self.worker = worker
        self.attempts = []
        self._started_at = datetime.now().replace(microsecond=0).isoformat()
        self._source_name = describe(spec)
        self.dots.show_attempts([], judge.count)
        self.verdict.setText("")
        self.pages.setCurrentIndex(0)
        self.start_button.setText("Stop")
        self.hint.setText("Sit still and look at the camera…")
        worker.start()

    def stop(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            for signal in (worker.attempt_judged, worker.set_finished, worker.failed, worker.ended):
                signal.disconnect()
            worker.stop()
            worker.wait(5000)
        self.start_button.setText("Start a set")
        self.dial.show_state(0.0, "Press\nStart a set", False)  # never a stale "Smile now, hold 1"
        self.verdict.setText("")
        if self.plan is not None:
            self.progress.setText(self.plan.why)

    # -- from the worker -------------------------------------------------------------------------
    def _on_attempt(self, attempt) -> None:
        self.attempts.append(attempt)
        text, color = verdict_text(attempt)
        self.verdict.setText(text)
        self.verdict.setStyleSheet(f"color: {color}; font-size: 30pt; font-weight: 700;")
        self._verdict_until = VERDICT_HOLD_MS
        self.dots.show_attempts(self.attempts, self.worker.judge.count if self.worker else len(self.attempts))
        self._show_progress()
        if attempt.judged and not attempt.clean and self.sound_box.isChecked():
            QApplication.beep()

    def _show_progress(self) -> None:
        judged = [a for a in self.attempts if a.judged]
        clean = sum(bool(a.clean) for a in judged)
        count = self.worker.judge.count if self.worker else len(self.attempts)
        noun = {"blink": "Blink", "pucker": "Pucker", "smile": "Smile"}[self.kind]
        self.progress.setText(f"{noun} {len(self.attempts)} of {count}  ·  {clean} clean")

    def _finish(self) -> None:
        worker = self.worker
        if worker is None:
            return
        result = worker.judge.result(self._started_at, self._source_name)
        self._planned_count = worker.judge.count
        self.stop()
        if not result.attempts:
            self.hint.setText("No blink was seen. Start again when you are ready.")
            return
        self.last_result = result
        sets = []
        store = self._open_store()
        saved = False
        if store is not None:
            from synkimeter.usecases.practice import save_set

            try:
                with store:
                    save_set(store, self.patient, result)
                    patient = store.patient(self.patient)
                    sets = store.practice_sets(patient, result.kind)
                    saved = True
            except Exception as exc:  # noqa: BLE001
                self.hint.setText(str(exc))
        if not saved:
            sets = [result.record()]
        self.last_history = history(sets, params=self.params)
        self.show_summary(result, self.last_history, saved)
        self.set_saved.emit(result)
        self.refresh_plan()
        self.show_next_goal()

    def _on_finished(self) -> None:
        self._finish()

    def _on_ended(self) -> None:  # a replayed video came to its end
        self._ended_early = True
        try:
            self._finish()
        finally:
            self._ended_early = False

    def _on_failed(self, message: str) -> None:
        self.stop()
        self.preview.set_message(message)
        self.hint.setText(message)

    # -- summary ---------------------------------------------------------------------------------
    def show_summary(self, result, hist, saved: bool = True) -> None:
        judged = result.judged
        noun = {"blink": "blinks", "pucker": "puckers", "smile": "smiles"}[result.kind]
        pct = 100 * result.score if judged else float("nan")
        self.sum_big.setText(f"{result.clean} of {judged} clean" if judged else "Nothing counted")
        color = CLEAN_COLOR if judged and result.score >= 0.5 else COUPLED_COLOR
        self.sum_big.setStyleSheet(f"color: {color}; font-size: 40pt; font-weight: 700;")
        unit = "mm" if result.kind == KIND_BLINK else "%"
        what = "mouth corner moved" if result.kind == KIND_BLINK else "eye narrowed"
        median = result.median_value
        fmt = (lambda x: f"{fixed(x, 1)} {unit}") if unit == "mm" else (lambda x: f"{fixed(x, 0)} {unit}")
        self.sum_line.setText(f"{pct:.0f} % of your {noun} were clean" if judged else nothing_counted_advice(result))
        parts = [f"{SIDE_LABEL[result.affected_side]} {what} {fmt(median)} in a typical {noun[:-1]} (the median: "
                 f"half moved less, half more; goal: under {fmt(result.target)})"] if math.isfinite(median) else []
        if result.kind == KIND_BLINK and math.isfinite(median):
            # clean against the goal is not healthy: say where a typical blink sits
            parts[0] += f". {fmt(median)} is {band_words(median).split(': ', 1)[1]}"
        if result.skipped and judged:
            parts.append(f"{result.skipped} not counted")
        if not judged:
            parts.append("This try is kept, but it does not count as a practice set.")
        detail = ("; " if judged else " ").join(parts)
        planned = getattr(self, "_planned_count", 0)
        if planned and len(result.attempts) < planned:  # cut short: say why the count is low
            why = "the video ended" if getattr(self, "_ended_early", False) else "the set was stopped"
            detail = (f"Cut short: {why} after {len(result.attempts)} of {planned} {noun}. " + detail).strip()
        self.sum_detail.setText(detail)
        days = hist.streak_days
        self.sum_streak.setText(f"{days} day{'s' if days != 1 else ''} in a row – keep it up!" if days > 1
                                else "Day 1 – come back tomorrow to start a streak")
        self.week_bars.show_weeks(hist.weeks)
        this, last = hist.weeks[-1], hist.weeks[-2] if len(hist.weeks) > 1 else None
        text = f"This week: {this.sets} set{'s' if this.sets != 1 else ''}, {100 * this.score:.0f} % clean" \
            if this.judged else "This week: no sets yet"
        if last is not None and last.judged and this.judged:
            change = 100 * (this.score - last.score)
            if abs(change) < 5:
                text += " – about the same as last week"
            else:
                text += f" – {'better' if change > 0 else 'fewer'} than last week ({100 * last.score:.0f} %)"
                if change < 0:
                    text = text.replace("fewer than", "fewer clean than")
        self.sum_week.setText(text)
        self.sum_next.setText("" if saved else
                              "Choose a patient (Patient… at the top) to keep your sets and see your streak.")
        self.pages.setCurrentIndex(1)
        self.hint.setText("")

    def show_next_goal(self) -> None:
        if self.plan is not None and self.last_result is not None and self.plan.target < self.last_result.target:
            self.sum_next.setText(f"Well done: next time the goal is stricter ({self.plan.target:.1f} "
                                  f"{self.plan.unit} instead of {self.last_result.target:.1f}).")

    # -- per frame -------------------------------------------------------------------------------
    def _tick(self) -> None:
        worker = self.worker
        if worker is None:
            return
        view = worker.take_view()
        if view is not None:
            self.preview.show_view(view)
        status = worker.judge.status
        interval_ms = self._timer.interval()
        if self._verdict_until > 0:
            self._verdict_until -= interval_ms
            if self._verdict_until <= 0:
                self.verdict.setText("")
        if status.phase == PHASE_WAITING:
            self.dial.show_state(0.0, "Looking for your face…", False)
            self.hint.setText("Sit in front of the camera, face it, good light on your face.")
        elif status.phase == PHASE_CALIBRATING:
            self.dial.show_state(1.0 - status.calibration_left_s / self.params.practice_calibration_s,
                                 "Keep still…", False)
            self.hint.setText("Getting ready: look at the camera and keep your face still.")
        elif status.phase == PHASE_PRACTISING and status.cue is not None:
            cue = status.cue
            action = ACTION[self.kind]
            if self.kind == KIND_BLINK:
                active = cue.number > 0 and cue.since_s < 0.8
                text = CUE_WORD[self.kind] if active else f"Next {action}\nin {math.ceil(cue.until_next_s)} s"
                self.hint.setText("Blink when the circle fills – gently, and let your mouth rest.")
            else:
                hold = self.params.practice_move_hold_s
                active = cue.number > 0 and cue.since_s < hold
                text = (f"{CUE_WORD[self.kind]}\nhold {math.ceil(hold - cue.since_s)}" if active
                        else f"Relax\nnext in {math.ceil(cue.until_next_s)} s")
                live = status.live_value
                self.hint.setText(f"Keep {SIDE_LABEL[self.side].lower()} eye open while you {action}."
                                  + (f"  Eye now {max(live, 0):.0f} % narrower."
                                     if active and math.isfinite(live) else ""))
            self.dial.show_state(1.0 if active else cue.fraction, text, active)
        if not status.face and status.phase == PHASE_PRACTISING:
            self.hint.setText("Your face is out of view.")

    def closeEvent(self, event) -> None:  # noqa: N802
        self._timer.stop()
        self.stop()
        super().closeEvent(event)


class PracticeWindow(QMainWindow):
    """`synkimeter practice`: the practice mode in a window of its own."""

    def __init__(self, panel: PracticePanel) -> None:
        super().__init__()
        self.setWindowTitle("synkimeter – practice")
        self.setStyleSheet(STYLE)
        central = QWidget()
        central.setObjectName("central")
        central.setStyleSheet(f"QWidget#central {{ background: {BACKGROUND}; }}")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addWidget(panel)
        self.setCentralWidget(central)
        self.panel = panel
        self.resize(1280, 760)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.panel.stop()
        super().closeEvent(event)
