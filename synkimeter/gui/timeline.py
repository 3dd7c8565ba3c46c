"""The treatment timeline on "My progress" (issue 18): the patient's treatments listed (add, delete),
their markers and botulinum toxin cycles on the trend plots, the weeks since the last injection, and
practice against the measured score on one date axis. The numbers come from
`synkimeter.usecases.timeline`, the same ones the report prints."""

from __future__ import annotations

from datetime import date, datetime, time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from synkimeter.gui.plots import DateAxis, styled_plot
from synkimeter.gui.theme import MUTED_COLOR, PANEL, SIDE_COLOR
from synkimeter.usecases.timeline import KIND_LABELS, Timeline, place_on_sessions

MARKER_COLOR = {"botox": "#7b3fa0", "therapy-start": "#1d7a6b", "therapy-stop": "#1d7a6b",
                "therapy-change": "#1d7a6b", "surgery": "#8a5a00", "other": "#555555"}
CYCLE_BRUSH = (123, 63, 160, 30)
PRACTICE_COLOR = "#2d7a46"


def add_marks(plot: pg.PlotWidget, timeline: Timeline | None, session_dates: list[str]) -> None:
    """Cycle bands and event lines on a plot whose sessions stand at places 1, 2, ... (by date)."""
    if timeline is None or not session_dates:
        return

    def x(day: str) -> float:
        return place_on_sessions(day, session_dates)

    _marks(plot, timeline, x)


def _marks(plot: pg.PlotWidget, timeline: Timeline, x) -> None:
    for start, end in timeline.shading:
        region = pg.LinearRegionItem(values=(x(start), x(end)), movable=False, brush=pg.mkBrush(*CYCLE_BRUSH),
                                     pen=pg.mkPen(None))
        region.setZValue(-10)
        plot.addItem(region)
    for i, (day, label, kind) in enumerate(timeline.markers):
        colour = MARKER_COLOR.get(kind, "#555555")
        style = Qt.PenStyle.SolidLine if kind == "botox" else Qt.PenStyle.DashLine
        line = pg.InfiniteLine(pos=x(day), angle=90, movable=False, pen=pg.mkPen(colour, width=1.4, style=style),
                               label=label, labelOpts={"position": 0.93 - 0.09 * (i % 3), "color": colour,
                                                       "anchors": [(0, 0.5), (0, 0.5)]})
        line.setToolTip(f"{day}: {label}")
        plot.addItem(line)


def date_stamp(day: str) -> float:
    """A day (or a session's date and time) on a date axis, in seconds: a day alone stands at noon."""
    text = str(day)
    if len(text) > 10:
        try:
            return datetime.fromisoformat(text).timestamp()
        except ValueError:
            pass
    return datetime.combine(date.fromisoformat(text[:10]), time(12)).timestamp()


def date_marks(plot: pg.PlotWidget, timeline: Timeline | None) -> None:
    """Botulinum toxin cycles shaded and treatment events as lines on a plot with a date axis."""
    if timeline is not None:
        _marks(plot, timeline, date_stamp)


class PracticePlots(QWidget):
    """The headline score per side and the practice sets per week, one above the other on one date axis."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        self.score = styled_plot("Mouth-corner movement by date", "mm",
                                 "Your score at each session (bars: 95 % interval), on the calendar.", title_pt=11,
                                 background=PANEL)
        self.practice = styled_plot("Practice sets a week", "sets",
                                    "How many practice sets you did each week (green), and the share of clean "
                                    "attempts (red dots, 0-100 % over the same height).", title_pt=11, background=PANEL)
        for w in (self.score, self.practice):
            w.setAxisItems({"bottom": DateAxis()})
            w.setMinimumHeight(170)
            w.setMaximumHeight(220)
            col.addWidget(w)
        self.practice.setXLink(self.score)

    def show_timeline(self, timeline: Timeline | None, series_list) -> None:
        self.score.clear()
        self.practice.clear()
        points = [p for s in series_list for p in s.points]
        if timeline is None or not (points and timeline.practice_weeks):
            self.setVisible(False)
            return
        self.setVisible(True)
        for s in series_list:
            if not s.points:
                continue
            colour = SIDE_COLOR.get(s.side, "#2e7d4f")
            xs = np.asarray([date_stamp(p.started_at) for p in s.points])
            ys = np.asarray([p.value for p in s.points])
            top = np.asarray([max(0.0, p.ci_high - p.value) if p.ci_high is not None else 0.0 for p in s.points])
            bottom = np.asarray([max(0.0, p.value - p.ci_low) if p.ci_low is not None else 0.0 for p in s.points])
            self.score.addItem(pg.ErrorBarItem(x=xs, y=ys, top=top, bottom=bottom, pen=pg.mkPen(colour, width=1.4)))
            self.score.plot(xs, ys, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=7, symbolBrush=colour)
        weeks = timeline.practice_weeks
        week_s = 7 * 86400.0
        xs = np.asarray([date_stamp(w.week_start) + week_s / 2 for w in weeks])
        sets = np.asarray([float(w.sets) for w in weeks])
        self.practice.addItem(pg.BarGraphItem(x=xs, height=sets, width=week_s * 0.85, brush=PRACTICE_COLOR,
                                              pen=pg.mkPen(None)))
        high = max(float(sets.max()), 1.0) if len(sets) else 1.0
        judged = [w for w in weeks if w.judged]
        if judged:
            self.practice.plot([date_stamp(w.week_start) + week_s / 2 for w in judged],
                               [w.clean_pct / 100.0 * high for w in judged], pen=None, symbol="o", symbolSize=5,
                               symbolBrush="#c0392b", symbolPen=None)
        self.practice.setYRange(0, high * 1.1, padding=0)
        first = min([date_stamp(p.started_at) for p in points] + [date_stamp(w.week_start) for w in weeks]) - 14 * 86400
        last = max([date_stamp(p.started_at) for p in points] + [date_stamp(w.week_start) for w in weeks]) + 14 * 86400
        kept = Timeline([e for e in timeline.events if first <= date_stamp(e.date) <= last],
                        [c for c in timeline.cycles if date_stamp(c.end) >= first and date_stamp(c.start) <= last], [])
        for plot in (self.score, self.practice):
            _marks(plot, kept, date_stamp)
        self.score.setXRange(first, last, padding=0)


class TreatmentDialog(QDialog):
    """Add one treatment: kind, date (not in the future), side, and for botulinum toxin units, muscles
    and product. The store checks it; its sentence is shown here when it refuses."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add treatment")
        form = QFormLayout(self)
        self.kind = QComboBox()
        for key, label in KIND_LABELS.items():
            self.kind.addItem(label, key)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        form.addRow("Treatment", self.kind)
        self.day = QDateEdit(QDate.currentDate())
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setMaximumDate(QDate.currentDate())
        form.addRow("Date", self.day)
        self.side = QComboBox()
        sides: tuple[tuple[str, str | None], ...] = (("not stated", None), ("right", "right"), ("left", "left"),
                                                     ("both", "both"))
        for text, side in sides:
            self.side.addItem(text, side)
        form.addRow("Side (yours)", self.side)
        self.units = QDoubleSpinBox()
        self.units.setRange(0, 1000)
        self.units.setDecimals(1)
        self.units.setSpecialValueText("not stated")
        form.addRow("Units", self.units)
        self.muscles = QLineEdit()
        self.muscles.setPlaceholderText("e.g. orbicularis oculi, platysma")
        form.addRow("Muscles", self.muscles)
        self.product = QLineEdit()
        self.product.setPlaceholderText("e.g. Botox, Xeomin, Dysport")
        form.addRow("Product", self.product)
        self.detail = QLineEdit()
        self.detail.setPlaceholderText("e.g. mime therapy, neuromuscular retraining")
        form.addRow("Detail", self.detail)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e;")
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._kind_changed()

    def _kind_changed(self) -> None:
        botox = self.kind.currentData() == "botox"
        for w in (self.units, self.muscles, self.product):
            w.setEnabled(botox)

    def values(self) -> dict:
        botox = self.kind.currentData() == "botox"
        return {"kind": self.kind.currentData(), "day": self.day.date().toString("yyyy-MM-dd"),
                "side": self.side.currentData(), "detail": self.detail.text(),
                "units": self.units.value() if botox and self.units.value() > 0 else None,
                "muscles": self.muscles.text() if botox else "", "product": self.product.text() if botox else ""}


class TreatmentPanel(QFrame):
    """The patient's treatments: the weeks since the last injection and the practice sentence, the list,
    and the buttons to add and delete one. `changed` is emitted after either."""

    changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.pseudonym = ""
        col = QVBoxLayout(self)
        col.setContentsMargins(16, 10, 16, 10)
        col.setSpacing(6)
        bar = QHBoxLayout()
        title = QLabel("Treatments")
        title.setObjectName("title")
        bar.addWidget(title)
        bar.addStretch(1)
        self.add_button = QPushButton("Add treatment…")
        self.add_button.setToolTip("Keep a botulinum toxin injection, a therapy started or stopped, surgery or "
                                   "another treatment on your timeline.")
        self.add_button.clicked.connect(self.add_treatment)
        bar.addWidget(self.add_button)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the treatment chosen in the list.")
        self.delete_button.clicked.connect(self.delete_selected)
        bar.addWidget(self.delete_button)
        col.addLayout(bar)
        self.since = QLabel("")
        self.since.setWordWrap(True)
        self.since.setStyleSheet("font-size: 13pt;")
        col.addWidget(self.since)
        self.practice = QLabel("")
        self.practice.setWordWrap(True)
        col.addWidget(self.practice)
        self.list = QListWidget()
        self.list.setAccessibleName("Treatments")
        self.list.setMaximumHeight(110)
        col.addWidget(self.list)
        self.cycles = QLabel("")
        self.cycles.setObjectName("caption")
        self.cycles.setWordWrap(True)
        col.addWidget(self.cycles)

    def show_timeline(self, pseudonym: str, timeline: Timeline | None) -> None:
        self.pseudonym = pseudonym
        self.add_button.setEnabled(bool(pseudonym))
        self.list.clear()
        if timeline is None:
            for label in (self.since, self.practice, self.cycles):
                label.setText("")
            self.delete_button.setEnabled(False)
            return
        for event in reversed(timeline.events):  # the newest first
            item = QListWidgetItem(f"{event.date}   {event.description}")
            item.setData(Qt.ItemDataRole.UserRole, event.id)
            self.list.addItem(item)
        if not timeline.events:
            self.list.addItem(QListWidgetItem("No treatments yet: add your injections and therapies to see them "
                                              "against your scores."))
        self.delete_button.setEnabled(bool(timeline.events))
        self.since.setText(timeline.since_injection.sentence if timeline.since_injection else "")
        self.since.setVisible(timeline.since_injection is not None)
        self.practice.setText("<br>".join(o.sentence for o in timeline.outcomes))
        self.practice.setVisible(bool(timeline.outcomes))
        lines = []
        for c in timeline.cycles:
            effects = "; ".join(f"{e.side}: {e.before.value:.2f} → {e.after.value:.2f} mm, {e.verdict}"
                                for e in c.effects if e.before is not None and e.after is not None)
            lines.append(f"Injection {c.number} ({c.start}): " + (effects or "no session before and after it to "
                                                                  "compare"))
        self.cycles.setText("<br>".join(lines))
        self.cycles.setVisible(bool(lines))

    def add_treatment(self) -> bool:
        from synkimeter.store import Store, StoreError
        from synkimeter.usecases.timeline import add_event

        if not self.pseudonym:
            return False
        dialog = TreatmentDialog(self)
        while dialog.exec() == QDialog.DialogCode.Accepted:
            v = dialog.values()
            try:
                with Store() as store:
                    add_event(store, self.pseudonym, v["kind"], v["day"], side=v["side"], detail=v["detail"],
                              units=v["units"], muscles=v["muscles"], product=v["product"])
            except StoreError as exc:
                dialog.error.setText(str(exc))
                continue
            self.changed.emit()
            return True
        return False

    def delete_selected(self, confirm: bool = True) -> bool:
        from synkimeter.store import Store, StoreError

        item = self.list.currentItem()
        number = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if number is None or not self.pseudonym:
            return False
        if confirm and QMessageBox.question(self, "Delete treatment", f"Delete “{item.text().strip()}”?") \
                != QMessageBox.StandardButton.Yes:
            return False
        try:
            with Store() as store:
                store.delete_event(store.require_patient(self.pseudonym), number)
        except StoreError as exc:
            self.cycles.setText(f"<span style='color:#b3261e'>{exc}</span>")
            return False
        self.changed.emit()
        return True


__all__ = ["TreatmentPanel", "TreatmentDialog", "PracticePlots", "add_marks", "MUTED_COLOR"]
