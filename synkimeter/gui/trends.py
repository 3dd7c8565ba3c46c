""""My progress": a patient's scores over sessions (pyqtgraph, error bars = 95 % intervals, baseline
marked), baseline against latest in plain words with the therapist's numbers beside them, and the
report (PDF and HTML) written from here. The numbers come from `synkimeter.usecases.trends`, the same
ones the report prints; the headline per side is the blink-averaged mouth-corner movement, as in
`synkimeter analyze`."""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from synkimeter.gui.plots import DateAxis, styled_plot
from synkimeter.gui.programme import AdherenceRows
from synkimeter.gui.questionnaire import SaqPanel
from synkimeter.gui.text_size import size_plot
from synkimeter.gui.theme import MUTED_COLOR, PANEL, SIDE_COLOR, TEXT_COLOR, pt, side_html
from synkimeter.gui.timeline import PracticePlots, TreatmentPanel, date_marks, date_stamp
from synkimeter.usecases.timeline import Timeline
from synkimeter.usecases.trends import NO_FLOOR, Change, Trends
from synkimeter.usecases.words import band_words, change_words, fixed, signed

HEADLINE = "ocular_oral_average_peak"
SIDES = ("right", "left")
VERDICT_COLOR = {"improved": "#2e7d4f", "worse": "#b3261e", "within noise": MUTED_COLOR,
                 "no interval to judge": MUTED_COLOR, "healthy at both visits": "#2e7d4f"}
PLOTS = (
    ("ocular_oral_average_peak", "Mouth-corner movement when you blink", "mm",
     "How far each mouth corner moves during your blinks (blink-averaged), with its 95 % interval. Lower is better."),
    ("closure_ocular_oral", "Mouth-corner movement when you close your eyes", "mm",
     "How far each mouth corner moves while you hold your eyes gently closed (median over the closures), with "
     "its 95 % interval. Lower is better."),
    ("narrowing_pucker", "Eye narrowing when you pucker", "% of rest",
     "How much each eye narrows while you pucker your lips, in percent of its opening at rest. Lower is better."),
    ("ocular_synkinesis", "Ocular synkinesis score (100 = none)", "0-100",
     "eFACE-style ocular synkinesis score from the pucker and smile tasks: 100 = none. Higher is better."),
)
THERAPIST_ORDER = ("ocular_oral_average_peak", "ocular_oral_median", "coupled_fraction", "closure_ocular_oral",
                   "narrowing_pucker",
                   "narrowing_smile", "ocular_synkinesis")


def _day(started_at: str) -> str:
    try:
        d = datetime.fromisoformat(started_at).date()
    except ValueError:
        return started_at[:10]
    return f"{d.day} {d.strftime('%b')}" + ("" if d.year == date.today().year else f" {d.year}")


def plain_change(change: Change) -> str:
    """One sentence a patient understands about the headline change on one side."""
    side = change.side or ""
    when = f"at your first visit ({_day(change.baseline.started_at)})"
    amount = abs(change.change)
    if change.verdict == "healthy at both visits":
        return (f"Your {side} mouth corner moves no more than a healthy face's when you blink, now and {when} "
                f"({change.baseline.value:.1f} mm then, {change.latest.value:.1f} mm now).")
    if change.verdict == "improved":
        return (f"Your {side} mouth corner moved {amount:.1f} mm less when you blink than {when} — "
                "a real improvement.")
    if change.verdict == "worse":
        return (f"Your {side} mouth corner moved {amount:.1f} mm more when you blink than {when}. "
                "This is more than the measurement's usual wobble: mention it to your therapist.")
    if change.verdict == "within noise":
        # patient words: the therapist's floor (±mm) is in the therapist's numbers, not here
        return (f"Your {side} mouth corner moves about the same as {when}: a difference this small can come "
                "from the recording itself (distance, light, head position).")
    return f"Your {side} mouth corner moved {amount:.1f} mm {'less' if change.change < 0 else 'more'} than {when}."


def default_report_folder() -> Path:
    """Where reports go: beside the data when SYNKIMETER_DATA_DIR is set (tests, a clinic's folder),
    else the user's Documents folder."""
    from synkimeter.store.backend import ENV_DATA_DIR, data_dir

    if os.environ.get(ENV_DATA_DIR, "").strip():
        return data_dir() / "reports"
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs) / "synkimeter reports" if docs else data_dir() / "reports"


def write_reports(store, patient, folder: Path | None = None) -> tuple[Path, Path]:
    """The patient's PDF and HTML report, named by patient and day. Returns (pdf, html)."""
    from synkimeter.report import write_html, write_pdf

    folder = Path(folder or default_report_folder())
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in patient.pseudonym)
    stem = folder / f"synkimeter-{safe}-{date.today().isoformat()}"
    pdf, html = stem.with_suffix(".pdf"), stem.with_suffix(".html")
    write_pdf(store, patient, pdf)
    write_html(store, patient, html)
    return pdf, html


def _wrapped(title: str, width: int = 56) -> str:
    """A long plot title on two lines (pyqtgraph's title does not wrap by itself). The charts are the
    page's width (at least ~900 px), so the titles here (up to 46 characters) keep one line even at
    the largest text size."""
    if len(title) <= width:
        return title
    spaces = [i for i, ch in enumerate(title) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - len(title) / 2)) if spaces else len(title)
    return f"{title[:cut]}<br>{title[cut + 1:]}"


def _plot(title: str, unit: str, tip: str) -> pg.PlotWidget:
    # No legend inside the plot (it covered the baseline's point): one line above the plots names
    # the sides in their colours.
    w = styled_plot(_wrapped(title), unit, tip, title_pt=12, background=PANEL)
    # sessions stand at their dates: two sessions minutes apart are close, two months apart far
    w.setAxisItems({"bottom": DateAxis()})
    size_plot(w)
    w.setMinimumHeight(230)
    w.setMaximumHeight(330)
    return w


def legend_html() -> str:
    sides = "&nbsp;&nbsp;&nbsp;".join(f"<span style='color:{SIDE_COLOR[side]}; font-weight:600'>&#9644;&#9679; "
                                      f"{'Your right side' if side == 'right' else 'Your left side'}</span>"
                                      for side in SIDES)
    return (f"{sides}&nbsp;&nbsp;&nbsp;<span style='color:{MUTED_COLOR}'>bars: 95 % interval · dashed line: "
            "your first visit (baseline)</span>")


class SideCard(QFrame):
    """One side: baseline → latest in big numbers, the plain sentence, the numbers for the therapist."""

    def __init__(self, side: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.side = side
        col = QVBoxLayout(self)
        col.setContentsMargins(16, 10, 16, 10)
        col.setSpacing(4)
        self.title = QLabel(f"{side_html(side)} mouth corner when you blink")
        self.title.setObjectName("title")
        self.title.setWordWrap(True)  # two cards side by side fit a 1366 px screen at the largest text
        col.addWidget(self.title)
        self.numbers = QLabel("–")
        self.numbers.setTextFormat(Qt.TextFormat.RichText)
        self.numbers.setStyleSheet(f"font-size: 26pt; font-weight: 700; color: {SIDE_COLOR[side]};")
        col.addWidget(self.numbers)
        # where the latest number sits: its band and the healthy range in words
        self.band = QLabel("")
        self.band.setWordWrap(True)
        self.band.setStyleSheet("font-size: 13pt; font-weight: 600;")
        col.addWidget(self.band)
        self.sentence = QLabel("")
        self.sentence.setWordWrap(True)
        self.sentence.setStyleSheet("font-size: 13pt;")
        col.addWidget(self.sentence)
        self.detail = QLabel("")  # the therapist's numbers: shown with "For the therapist" (TrendsView)
        self.detail.setObjectName("caption")
        self.detail.setWordWrap(True)
        self.detail.setVisible(False)
        col.addWidget(self.detail)

    def show_change(self, change: Change | None, only=None, blink_recordings: int = 0) -> None:
        """`blink_recordings`: the patient's kept natural-blinking recordings (when none gives a
        number, they are recordings in which no blink could be scored, not "no recording")."""
        # Every state sets its own colour: nothing carries over from the previous patient's verdict.
        self.sentence.setStyleSheet(f"font-size: 13pt; color: {TEXT_COLOR};")
        self.band.setText("")
        if change is None:
            if only is not None:
                self.numbers.setText(f"{fixed(only.value, 1)} mm")
                self.band.setText(f"{fixed(only.value, 1)} mm – {band_words(only.value)}")
                self.sentence.setText("Only one session so far: record another one later to see how it changes.")
                self.detail.setText(f"{only.date}: {fixed(only.value, 2)} mm (95 % interval "
                                    f"{fixed(only.ci_low, 2)}–{fixed(only.ci_high, 2)} mm)")
            elif blink_recordings:
                self.numbers.setText("–")
                self.sentence.setText(
                    f"No blink could be scored in your {blink_recordings} natural-blinking recording"
                    f"{'s' if blink_recordings != 1 else ''}: record again, facing the camera, with your mouth "
                    "still and relaxed.")
                self.detail.setText("")
            else:
                self.numbers.setText("–")
                self.sentence.setText("No natural-blinking recording yet.")
                self.detail.setText("")
            return
        base, latest = change.baseline, change.latest
        arrow = f"<span style='font-size:{pt(18):g}pt; color:{MUTED_COLOR}'>&nbsp;&rarr;&nbsp;</span>"
        self.numbers.setText(f"{fixed(base.value, 1)}{arrow}{fixed(latest.value, 1)} mm")
        self.band.setText(change_words(base.value, latest.value, change.verdict))
        color = VERDICT_COLOR.get(change.verdict, TEXT_COLOR)
        self.sentence.setText(plain_change(change))
        self.sentence.setStyleSheet(
            f"font-size: 13pt; color: {color if change.verdict != 'within noise' else TEXT_COLOR};")
        self.detail.setText(
            f"Baseline {base.date}: {fixed(base.value, 2)} mm ({fixed(base.ci_low, 2)}–{fixed(base.ci_high, 2)}), "
            f"n = {base.n} blinks · "
            f"latest {latest.date}: {fixed(latest.value, 2)} mm "
            f"({fixed(latest.ci_low, 2)}–{fixed(latest.ci_high, 2)}), "
            f"n = {latest.n} · change "
            f"{signed(change.change, 2)} mm, needs ±{fixed(change.threshold, 2)} mm (this recording's noise "
            f"±{fixed(change.noise_95, 2)}, between sessions ±{fixed(change.mdc, 2)}) → {change.verdict}")


class TrendsView(QWidget):
    """The window's current patient's trend (`set_patient`), and their report."""

    report_written = Signal(str, str)  # pdf, html

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.trends: Trends | None = None
        self.timeline: Timeline | None = None
        self.blink_recordings = 0  # the patient's complete natural-blinking clips
        self.since_note = None  # the weeks since the last injection, beside the latest session
        self.report_folder: Path | None = None  # None: default_report_folder()
        self.audit_problem = ""  # write_report(): why its export could not be audited, or ''
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 6)
        outer.setSpacing(10)
        self.pseudonym = ""  # the window's current patient
        bar = QHBoxLayout()
        self.patient_title = QLabel("")
        self.patient_title.setObjectName("title")
        bar.addWidget(self.patient_title)
        self.summary = QLabel("")
        self.summary.setObjectName("caption")
        self.summary.setWordWrap(True)
        bar.addWidget(self.summary, 1)
        self.therapist_box = QCheckBox("For the therapist")
        self.therapist_box.setToolTip("Show the therapist's numbers: intervals, the change a verdict needs, "
                                      "and every measure baseline against latest.")
        self.therapist_box.toggled.connect(self._show_therapist)
        bar.addWidget(self.therapist_box)
        self.report_button = QPushButton("Write report (PDF)")
        self.report_button.setObjectName("primary")
        self.report_button.setToolTip("Write this patient's report as a PDF and a web page, for the therapist.")
        self.report_button.clicked.connect(self.write_report)
        bar.addWidget(self.report_button)
        self.folder_button = QPushButton("Show folder")
        self.folder_button.setVisible(False)
        self.folder_button.clicked.connect(self._open_folder)
        bar.addWidget(self.folder_button)
        outer.addLayout(bar)
        self.report_label = QLabel("")
        self.report_label.setWordWrap(True)
        self.report_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report_label.setVisible(False)
        outer.addWidget(self.report_label)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        body.setObjectName("central")
        col = QVBoxLayout(body)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(10)
        cards = QHBoxLayout()
        self.cards = {side: SideCard(side) for side in SIDES}
        for side in SIDES:
            cards.addWidget(self.cards[side], 1)
        col.addLayout(cards)
        self.legend = QLabel(legend_html())
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        col.addWidget(self.legend)
        grid = QGridLayout()
        grid.setSpacing(10)
        self.plots = {}
        for i, (key, title, unit, tip) in enumerate(PLOTS):
            self.plots[key] = _plot(title, unit, tip)
            grid.addWidget(self.plots[key], 0, i)
        col.addLayout(grid)
        # the patient's own questionnaire (SAQ) total by date, beside the measurements (issue 27)
        self.saq = SaqPanel()
        self.saq.setVisible(False)
        col.addWidget(self.saq)
        # the treatment timeline (issue 18): treatments listed, weeks since the last injection, practice
        self.treatments = TreatmentPanel()
        self.treatments.changed.connect(lambda: self.refresh())
        col.addWidget(self.treatments)
        self.practice_plots = PracticePlots()
        self.practice_plots.setVisible(False)
        col.addWidget(self.practice_plots)
        self.adherence = AdherenceRows()  # the home programme (issue 31): sets done against prescribed
        col.addWidget(self.adherence)
        self.table = QLabel("")
        self.table.setTextFormat(Qt.TextFormat.RichText)
        self.table.setWordWrap(True)
        self.table.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table.setVisible(False)  # the therapist's table: with "For the therapist"
        col.addWidget(self.table)
        col.addStretch(1)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        self._report_paths: tuple[Path, Path] | None = None

    def _show_therapist(self, on: bool) -> None:
        """The therapist's numbers (intervals, floors, verdicts) beside the patient's words, or not."""
        for card in self.cards.values():
            card.detail.setVisible(on and bool(card.detail.text()))
        self.table.setVisible(on)

    # -- data -------------------------------------------------------------------------------------
    def set_patient(self, pseudonym: str) -> None:
        """Show this patient (the window's current one); '' shows nobody's data."""
        self.pseudonym = (pseudonym or "").strip()
        if self.isVisible():
            self.show_patient(self.pseudonym)

    def refresh(self, select: str | None = None) -> None:
        """Reload the shown patient's trend from the store (`select`: show that patient)."""
        if select is not None:
            self.pseudonym = select.strip()
        self.show_patient(self.pseudonym)

    def show_patient(self, pseudonym: str) -> None:
        from synkimeter.store import Store, StoreError
        from synkimeter.usecases.timeline import patient_timeline
        from synkimeter.usecases.trends import patient_trends

        self.pseudonym = (pseudonym or "").strip()
        self.patient_title.setText(self.pseudonym or "No patient chosen")
        self.report_label.setVisible(False)
        self.folder_button.setVisible(False)
        self.trends = None
        self.timeline = None
        self.report_button.setEnabled(False)
        try:
            with Store() as store:
                known = bool(self.pseudonym) and store.patient(self.pseudonym) is not None
                self.blink_recordings = 0
                self.adherence.load(store, self.pseudonym)
                if known:
                    self.trends = patient_trends(store, self.pseudonym)
                    self.timeline = patient_timeline(store, self.pseudonym, self.trends)
                    self.blink_recordings = sum(1 for r in store.results(self.trends.patient)
                                                if r["task"] == "natural_blinking" and r["clip_status"] == "complete")
        except StoreError as exc:
            self.summary.setText(str(exc))
            self.adherence.clear()
            self._show(None)
            return
        if self.trends is None:
            self.summary.setText("Choose the patient with Patients… at the top." if not self.pseudonym
                                 else "No sessions yet: record one on the Record page.")
            self._show(None)
            return
        self.report_button.setEnabled(True)
        self._show(self.trends)

    def _show(self, trends: Trends | None) -> None:
        for side in SIDES:
            change = None
            only = None
            if trends is not None:
                change = next((c for c in trends.changes if c.metric.key == HEADLINE and c.side == side), None)
                series = trends.get(HEADLINE, side)
                only = series.points[-1] if series and series.points else None
            self.cards[side].show_change(change, only, self.blink_recordings if trends is not None else 0)
        self._show_therapist(self.therapist_box.isChecked())
        for key, plot in self.plots.items():
            self._plot(plot, trends, key)
        self.saq.show_records(trends.questionnaires if trends is not None else [])
        self.treatments.show_timeline(self.pseudonym if trends is not None else "", self.timeline)
        self.practice_plots.show_timeline(self.timeline, [s for s in trends.series if s.metric.key == HEADLINE]
                                          if trends is not None else [])
        if trends is None:
            self.table.setText("")
            return
        complete = [s for s in trends.sessions if s.status == "complete"]
        incomplete = len(trends.sessions) - len(complete)
        affected = trends.patient.affected_side
        self.summary.setText(f"{len(complete)} session{'s' if len(complete) != 1 else ''}"
                             + (f" (+{incomplete} unfinished)" if incomplete else "")
                             + (f" · affected side: {affected}" if affected else ""))
        self.table.setText(self._table(trends))

    def _positions(self, trends: Trends) -> dict[int, float]:
        """Each session's place on the date axis (seconds): its date and time."""
        return {p.session_id: date_stamp(p.started_at) for s in trends.series for p in s.points}

    def _plot(self, plot: pg.PlotWidget, trends: Trends | None, key: str) -> None:
        plot.clear()
        if trends is None:
            plot.setVisible(False)
            return
        pos = self._positions(trends)
        first, last = (min(pos.values()), max(pos.values())) if pos else (0.0, 0.0)
        pad = max(86400.0, 0.06 * (last - first))  # a day, or 6 % of the span, on each side
        nudge = pad / 12  # the two sides' bars side by side, not on top of each other
        series_list = [s for s in trends.series if s.metric.key == key]
        ys = []
        for s in series_list:
            if not s.points:
                continue
            offset = {"right": -nudge, "left": nudge}.get(s.side or "", 0.0)  # no side: in the middle
            color = SIDE_COLOR.get(s.side or "", "#2e7d4f")
            x = [pos[p.session_id] + offset for p in s.points]
            y = [p.value for p in s.points]
            ys += y
            top = [max(0.0, (p.ci_high - p.value)) if p.ci_high is not None else 0.0 for p in s.points]
            bottom = [max(0.0, (p.value - p.ci_low)) if p.ci_low is not None else 0.0 for p in s.points]
            ys += [v + t for v, t in zip(y, top)]
            plot.addItem(pg.ErrorBarItem(x=np.asarray(x), y=np.asarray(y), top=np.asarray(top),
                                         bottom=np.asarray(bottom), beam=nudge, pen=pg.mkPen(color, width=1.6)))
            plot.plot(x, y, pen=pg.mkPen(color, width=2.4), symbol="o", symbolSize=9, symbolBrush=color,
                      symbolPen=pg.mkPen("white", width=1))
        if trends.baseline_session_id in pos:
            bx = pos[trends.baseline_session_id]
            line = pg.InfiniteLine(pos=bx, angle=90, pen=pg.mkPen(MUTED_COLOR, width=1.2, style=Qt.PenStyle.DashLine))
            plot.addItem(line)
        # the treatments: botulinum toxin cycles shaded, events as lines, at their dates
        date_marks(plot, self.timeline)
        since = self.timeline.since_injection if self.timeline is not None else None
        if since is not None and key == HEADLINE and pos:
            last_sid, last_place = max(pos.items(), key=lambda kv: kv[1])
            tops = [p.ci_high if p.ci_high is not None else p.value for s in series_list for p in s.points
                    if p.session_id == last_sid]
            note = pg.TextItem(since.short, color="#7b3fa0", anchor=(0.9, 1.0))
            note.setPos(last_place, max(tops, default=0.0) * 1.05)
            note.setToolTip(since.sentence)
            plot.addItem(note)
            self.since_note = note
        plot.setXRange(first - pad, last + pad, padding=0)
        if key == "ocular_synkinesis":
            plot.setYRange(0, 105, padding=0)
        elif ys:
            room = 1.4 if self.timeline is not None and self.timeline.events else 1.15  # the events' labels
            least = 1.0 if key.startswith(("ocular_oral", "closure")) else 5.0  # mm plots: at least 1 mm high
            plot.setYRange(0, max(max(ys) * room, least), padding=0)
        plot.setVisible(bool(ys))  # a task never recorded (e.g. imported blinking clips only): no empty frame

    @staticmethod
    def _table(trends: Trends) -> str:
        changes = sorted((c for c in trends.changes if c.metric.key in THERAPIST_ORDER),
                         key=lambda c: (THERAPIST_ORDER.index(c.metric.key), c.side != "right"))
        if not changes:
            return (f"<p style='color:{MUTED_COLOR}'>For the therapist: a baseline and at least one later session "
                    "are needed to compare.</p>")
        rows = ["<tr style='background:#e8eef5'><th align='left'>For the therapist: measure</th><th>side</th>"
                "<th>baseline (95 % interval)</th><th>latest (95 % interval)</th><th>change</th><th>needs</th>"
                "<th>judgement</th></tr>"]
        for c in changes:
            m = c.metric
            unit = "" if m.unit == "points" else f" {m.unit}"

            def cell(p, m=m, unit=unit):
                ci = f" ({fixed(p.ci_low, m.digits)}–{fixed(p.ci_high, m.digits)})" if p.ci_low is not None else ""
                return f"{fixed(p.value, m.digits)}{unit}{ci}<br><span style='color:{MUTED_COLOR}'>{p.date}</span>"

            side = side_html(c.side, c.side) if c.side else "–"
            color = VERDICT_COLOR.get(c.verdict, TEXT_COLOR)
            floor = ("" if c.has_floor else
                     f"<br><span style='color:{MUTED_COLOR}'>{NO_FLOOR}</span>")
            rows.append(f"<tr><td>{m.label}</td><td>{side}</td><td>{cell(c.baseline)}</td><td>{cell(c.latest)}</td>"
                        f"<td align='right'>{signed(c.change, m.digits)}{unit}</td><td align='right'>"
                        f"±{fixed(c.threshold, m.digits)}{floor}</td>"
                        f"<td style='color:{color}; font-weight:600'>{c.verdict}</td></tr>")
        return ("<table cellspacing='0' cellpadding='5' border='1' style='border-collapse:collapse; "
                f"border-color:#c4cfdb; font-size:{pt(10):g}pt' width='100%'>" + "".join(rows) + "</table>")

    # -- report -----------------------------------------------------------------------------------
    def write_report(self) -> tuple[Path, Path] | None:
        from synkimeter.store import Store, StoreError

        pseudonym = self.pseudonym
        if not pseudonym:
            return None
        self.report_label.setVisible(True)
        from synkimeter.gui.patients import record_access

        self.audit_problem = ""
        try:
            with Store() as store:
                patient = store.require_patient(pseudonym)
                pdf, html = write_reports(store, patient, self.report_folder)
                # Each file is a copy of the patient's data leaving the store: one audit row each. A
                # row that cannot be written is said in the status bar; the report stays written.
                for path in (pdf, html):
                    problem = record_access(store, "export", pseudonym, path.name)
                    self.audit_problem = self.audit_problem or problem
        except (StoreError, OSError) as exc:
            message = (str(exc) if isinstance(exc, StoreError)
                       else f"The report could not be written ({exc.strerror or exc}).")
            self.report_label.setText(f"<span style='color:#b3261e'>{message}</span>")
            return None
        self._report_paths = (pdf, html)
        self.report_label.setText(f"<b>Report saved</b> as <b>{pdf.name}</b> (and {html.name}, to open in a web "
                                  f"browser) in the folder {pdf.parent}")
        self.folder_button.setVisible(True)
        self.report_written.emit(str(pdf), str(html))
        return pdf, html

    def _open_folder(self) -> None:
        if self._report_paths:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._report_paths[0].parent)))
