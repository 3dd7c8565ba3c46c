"""The patient's Synkinesis Assessment Questionnaire (issue 27): one page of the window where the patient
answers the nine items in plain words with five big buttons each, dates them and saves them (the
store's write runs on a worker thread, so a slow clinic server never holds the window), and the panel on
"My progress" that trends the total by date. The items, the total and what a change can mean come from
`synkimeter.core.questionnaire`, the same ones the command line and the report use."""

from __future__ import annotations

import contextlib
import threading

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from synkimeter.core.questionnaire import (
    SAQ_ANSWERS,
    SAQ_ITEMS,
    SAQ_SCALE,
    SAQ_SDC_POINTS,
    SAQ_SDC_SOURCE,
    SaqChange,
    saq_meaning,
    saq_total,
)
from synkimeter.gui.plots import styled_plot
from synkimeter.gui.theme import MUTED_COLOR, PANEL, label_style
from synkimeter.gui.timeline import date_stamp

SAQ_COLOR = "#5b4a9e"  # neither side's colour: the answers are the whole face's
ITEM_PT = 15
ANSWER_BUTTON_HEIGHT = 64
ANSWER_STYLE = ("QPushButton { font-size: 12pt; padding: 6px 8px; border: 2px solid #c9c6bf; border-radius: 8px; "
                "background: #ffffff; } QPushButton:checked { background: #2e7d4f; color: white; "
                "border-color: #2e7d4f; font-weight: 600; } QPushButton:focus { border-color: #2f6db5; }")


class AnswerRow(QFrame):
    """One item: its words and five big buttons, 1 (seldom or not at all) to 5 (all the time). The keys 1-5
    choose an answer while any of the row's buttons has the focus."""

    answered = Signal()  # the answer changed (chosen or cleared)
    chosen = Signal()  # the patient chose an answer (a button or a key)

    def __init__(self, number: int, text: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.number = number
        col = QVBoxLayout(self)
        col.setContentsMargins(14, 8, 14, 10)
        col.setSpacing(6)
        self.label = QLabel(f"{number}. {text}")
        self.label.setWordWrap(True)
        self.label.setStyleSheet(label_style(f"font-size: {ITEM_PT}pt; font-weight: 600;"))
        col.addWidget(self.label)
        row = QHBoxLayout()
        row.setSpacing(8)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: list[QPushButton] = []
        for value, words in enumerate(SAQ_ANSWERS, 1):
            button = QPushButton(f"{value}\n{words}")
            button.setCheckable(True)
            button.setMinimumHeight(ANSWER_BUTTON_HEIGHT)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setStyleSheet(ANSWER_STYLE)
            button.setAccessibleName(f"{text} {value}: {words}")
            button.setAccessibleDescription(f"Question {number} of {len(SAQ_ITEMS)}: answer {value} of 5")
            button.setToolTip(f"Answer {value}: {words} (key {value})")
            self.group.addButton(button, value)
            self.buttons.append(button)
            row.addWidget(button, 1)
        self.group.idClicked.connect(self._clicked)
        col.addLayout(row)
        self.setAccessibleName(f"Question {number}: {text}")

    def _clicked(self, _value: int) -> None:
        self.answered.emit()
        self.chosen.emit()

    @property
    def value(self) -> int | None:
        value = self.group.checkedId()
        return value if value > 0 else None

    def choose(self, value: int | None) -> None:
        if value is None:
            self.group.setExclusive(False)
            for button in self.buttons:
                button.setChecked(False)
            self.group.setExclusive(True)
        else:
            self.buttons[value - 1].setChecked(True)
        self.answered.emit()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt naming; the buttons pass digits on to us
        text = event.text()
        if text in ("1", "2", "3", "4", "5"):
            value = int(text)
            self.choose(value)
            self.buttons[value - 1].setFocus()
            self.chosen.emit()
            return
        super().keyPressEvent(event)


class QuestionnairePage(QWidget):
    """The questionnaire for the window's current patient (`set_patient`): nine rows, the date, Save."""

    saved = Signal(str)  # the patient whose answers were kept
    _done = Signal(object, str)  # from the worker thread: (SaqRecord or None, one sentence on failure)

    def __init__(self, store_factory=None, parent=None) -> None:
        super().__init__(parent)
        self.store_factory = store_factory
        self.pseudonym = ""
        self.saving = False
        self._worker: threading.Thread | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 6)
        outer.setSpacing(8)
        self.title = QLabel("How often does this happen to you?")
        self.title.setObjectName("title")
        self.title.setStyleSheet(label_style("font-size: 18pt; font-weight: 600;"))
        outer.addWidget(self.title)
        intro = QLabel("For each sentence, press the answer that fits you best over the last weeks: 1 = seldom or "
                       "not at all, 5 = all the time. You can also press the keys 1 to 5. This is the Synkinesis "
                       "Assessment Questionnaire (SAQ, Mehta et al. 2007); your therapist sees the total beside your "
                       "measurements.")
        intro.setWordWrap(True)
        intro.setStyleSheet(label_style("font-size: 12pt;"))
        outer.addWidget(intro)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        body.setObjectName("central")
        rows = QVBoxLayout(body)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(8)
        self.rows = [AnswerRow(i, text) for i, text in enumerate(SAQ_ITEMS, 1)]
        for i, row in enumerate(self.rows):
            row.answered.connect(self._update)
            row.chosen.connect(lambda i=i: self._next(i))
            rows.addWidget(row)
        self.answers_area = scroll
        rows.addStretch(1)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        bar = QHBoxLayout()
        date_label = QLabel("Date answered:")
        date_label.setStyleSheet(label_style("font-size: 13pt;"))
        bar.addWidget(date_label)
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setMaximumDate(QDate.currentDate())  # answers are kept once given, never ahead
        self.date_edit.setMinimumHeight(44)
        self.date_edit.setStyleSheet("font-size: 13pt;")
        self.date_edit.setAccessibleName("Date the answers were given")
        date_label.setBuddy(self.date_edit)
        bar.addWidget(self.date_edit)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setStyleSheet(label_style("font-size: 13pt;"))
        bar.addWidget(self.status, 1)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setMinimumHeight(48)
        self.clear_button.setAccessibleName("Clear all answers")
        self.clear_button.clicked.connect(self.clear)
        bar.addWidget(self.clear_button)
        self.save_button = QPushButton("Save answers")
        self.save_button.setObjectName("primary")
        self.save_button.setMinimumHeight(48)
        self.save_button.setMinimumWidth(180)
        self.save_button.setStyleSheet("font-size: 14pt;")
        self.save_button.setAccessibleName("Save the answers")
        self.save_button.clicked.connect(self.save)
        bar.addWidget(self.save_button)
        outer.addLayout(bar)
        self._done.connect(self._on_done)
        self._update()

    # -- state ------------------------------------------------------------------------------------
    @property
    def answers(self) -> list[int | None]:
        return [row.value for row in self.rows]

    def _next(self, index: int) -> None:
        """After an answer the next question comes into view with the focus (keys 1-5 answer it at once);
        after the last, Save."""
        if index + 1 < len(self.rows):
            following = self.rows[index + 1]
            self.answers_area.ensureWidgetVisible(following)
            chosen = following.value
            following.buttons[(chosen or 1) - 1].setFocus()
        elif self.save_button.isEnabled():
            self.save_button.setFocus()

    def set_patient(self, pseudonym: str) -> None:
        pseudonym = (pseudonym or "").strip()
        if pseudonym != self.pseudonym:
            self.pseudonym = pseudonym
            self.clear()
        self._update()

    def clear(self) -> None:
        for row in self.rows:
            row.choose(None)
        self._update()

    def _update(self) -> None:
        answers = self.answers
        done = sum(v is not None for v in answers)
        if not self.pseudonym:
            self.status.setText("Choose the patient with Patients… at the top first.")
        elif self.saving:
            self.status.setText("Saving…")
        elif done < len(SAQ_ITEMS):
            missing = ", ".join(str(i) for i, v in enumerate(answers, 1) if v is None)
            self.status.setText(f"{done} of {len(SAQ_ITEMS)} answered (still to answer: {missing}).")
        else:
            total = saq_total([v for v in answers if v is not None])
            self.status.setText(f"All nine answered: total {total:.0f} of 100 ({SAQ_SCALE}), {saq_meaning(total)}.")
        self.save_button.setEnabled(bool(self.pseudonym) and done == len(SAQ_ITEMS) and not self.saving)

    # -- saving -----------------------------------------------------------------------------------
    def save(self) -> bool:
        """Keep the answers for the current patient, on a worker thread; False if nothing was started."""
        answers = self.answers
        if not self.pseudonym or self.saving or self.store_factory is None or None in answers:
            return False
        day = self.date_edit.date().toString("yyyy-MM-dd")
        self.saving = True
        self._update()
        self._worker = threading.Thread(target=self._write, name="saq-save", daemon=True,
                                        args=(self.store_factory, self.pseudonym, day, tuple(answers)))
        self._worker.start()
        return True

    def _write(self, store_factory, pseudonym: str, day: str, answers: tuple) -> None:
        record, problem = None, ""
        try:
            with store_factory() as store:
                record = store.add_questionnaire(store.require_patient(pseudonym), day, answers)
        except Exception as exc:  # the store's errors are one plain sentence  # noqa: BLE001
            problem = str(exc) or "The answers could not be kept."
        with contextlib.suppress(RuntimeError):  # the window was closed meanwhile: nobody to tell
            self._done.emit(record, problem)

    def _on_done(self, record, problem: str) -> None:
        self.saving = False
        if record is None:
            self._update()
            self.status.setText(f"<span style='color:#b3261e'>Not saved: {problem}</span>")
            return
        for row in self.rows:
            row.choose(None)
        self._update()
        self.status.setText(f"<b>Saved</b> for {self.pseudonym} on {record.date}: total {record.total:.0f} "
                            f"({SAQ_SCALE}), {saq_meaning(record.total)}. See it on My progress.")
        self.saved.emit(self.pseudonym)


class SaqPanel(QFrame):
    """On "My progress": the SAQ total by date answered, and the first against the latest in words."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        grid = QGridLayout(self)
        grid.setContentsMargins(12, 8, 12, 8)
        self.plot = styled_plot("Your questionnaire (SAQ) total", "20-100",
                                "Your Synkinesis Assessment Questionnaire total on each day you answered it: "
                                "20 = none of the nine, 100 = all nine all the time. Lower is fewer symptoms.",
                                title_pt=11, background=PANEL)
        self.plot.setAxisItems({"bottom": pg.DateAxisItem()})
        self.plot.setMinimumHeight(170)
        self.plot.setMaximumHeight(240)
        grid.addWidget(self.plot, 0, 0, 2, 1)
        self.sentence = QLabel("")
        self.sentence.setWordWrap(True)
        self.sentence.setStyleSheet(label_style("font-size: 13pt;"))
        grid.addWidget(self.sentence, 0, 1)
        self.detail = QLabel("")
        self.detail.setObjectName("caption")
        self.detail.setWordWrap(True)
        grid.addWidget(self.detail, 1, 1)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 1)
        self.records: list = []

    def show_records(self, records) -> None:
        self.records = list(records or [])
        self.plot.clear()
        if not self.records:
            self.setVisible(False)
            return
        self.setVisible(True)
        xs = np.asarray([date_stamp(r.date) for r in self.records])
        ys = np.asarray([r.total for r in self.records])
        self.plot.plot(xs, ys, pen=pg.mkPen(SAQ_COLOR, width=2.2), symbol="s", symbolSize=9, symbolBrush=SAQ_COLOR,
                       symbolPen=pg.mkPen("white", width=1))
        self.plot.setYRange(20, 100, padding=0.04)
        change = SaqChange.of(self.records)
        if change is None:  # answered once
            one = self.records[0]
            self.plot.setXRange(xs[0] - 15 * 86400, xs[0] + 15 * 86400, padding=0)
            self.sentence.setText(f"Answered once ({one.date}): total {one.total:.0f} ({SAQ_SCALE}), "
                                  f"{saq_meaning(one.total)}. "
                                  "Answer it again at your next visit to see how it changes.")
        else:
            self.sentence.setText(change.sentence)
        self.detail.setText("Answers per day (items 1-9): " + "; ".join(
            f"{r.date}: {' '.join(str(v) for v in r.items)} = {r.total:.0f}" for r in self.records[-6:])
            + f". Repeat answers of one patient differ by up to {SAQ_SDC_POINTS:.1f} points ({SAQ_SDC_SOURCE}).")
        self.detail.setStyleSheet(f"color: {MUTED_COLOR};")
