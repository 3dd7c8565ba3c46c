""""My progress": a patient's scores over sessions (pyqtgraph, error bars = 95 % intervals, baseline
marked), baseline against latest in plain words with the therapist's numbers beside them, and the
report (PDF and HTML) written from here. The numbers come from `synkimeter.usecases.trends`, the same
ones the report prints; the headline per side is the blink-averaged mouth-corner movement, as in
`synkimeter analyze`."""

from __future__ import annotations

import math
import os
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from synkimeter.gui.plots import styled_plot
from synkimeter.gui.programme import AdherenceRows
from synkimeter.gui.questionnaire import SaqPanel
from synkimeter.gui.theme import MUTED_COLOR, PANEL, SIDE_COLOR, TEXT_COLOR, side_html
from synkimeter.gui.timeline import PracticePlots, TreatmentPanel, add_marks
from synkimeter.usecases.timeline import Timeline
from synkimeter.usecases.trends import Change, Trends

HEADLINE = "ocular_oral_average_peak"
SIDES = ("right", "left")
VERDICT_COLOR = {"improved": "#2e7d4f", "worse": "#b3261e", "within noise": MUTED_COLOR,
                 "no interval to judge": MUTED_COLOR, "healthy at both visits": "#2e7d4f"}
PLOTS = (
    ("ocular_oral_average_peak", "Mouth-corner movement when you blink", "mm",
     "How far each mouth corner moves during your blinks (blink-averaged), with its 95 % interval. Lower is better."),
    ("narrowing_pucker", "Eye narrowing when you pucker", "% of rest",
     "How much each eye narrows while you pucker your lips, in percent of its opening at rest. Lower is better."),
    ("ocular_synkinesis", "Ocular synkinesis score (100 = none)", "0-100",
     "eFACE-style ocular synkinesis score from the pucker and smile tasks: 100 = none. Higher is better."),
)
THERAPIST_ORDER = ("ocular_oral_average_peak", "ocular_oral_median", "coupled_fraction", "narrowing_pucker",
                   "narrowing_smile", "ocular_synkinesis")


def _fmt(value, digits: int) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _signed(value: float, digits: int) -> str:
    return f"{value:+.{digits}f}".replace("-", "\u2212")


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
        direction = "less" if change.change < 0 else "more"
        return (f"Your {side} mouth corner moves about the same as {when} ({amount:.1f} mm {direction}, "
                f"within the ±{change.threshold:.1f} mm that repeat recordings of the same face differ by).")
    return f"Your {side} mouth corner moved {amount:.1f} mm {'less' if change.change < 0 else 'more'} than {when}."


def _ticks(pos: dict[int, tuple[int, str]]) -> list[tuple[int, str]]:
    """Each session's place on the x axis: its day, and its time when the day has more than one
    session (two sessions of one day are told apart); thinned to every k-th when crowded."""
    days: dict[str, int] = {}
    for _i, started in pos.values():
        days[started[:10]] = days.get(started[:10], 0) + 1
    every = max(1, math.ceil(len(pos) / 8))
    return [(i, _day(started) + (f" {started[11:16]}" if days[started[:10]] > 1 else ""))
            for _sid, (i, started) in sorted(pos.items(), key=lambda kv: kv[1][0]) if (i - 1) % every == 0]


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


def _wrapped(title: str, width: int = 30) -> str:
    """A long plot title on two lines (pyqtgraph's title does not wrap by itself)."""
    if len(title) <= width:
        return title
    spaces = [i for i, ch in enumerate(title) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - len(title) / 2)) if spaces else len(title)
    return f"{title[:cut]}<br>{title[cut + 1:]}"


def _plot(title: str, unit: str, tip: str) -> pg.PlotWidget:
    # No legend inside the plot (it covered the baseline's point): one line above the plots names
    # the sides in their colours.
    w = styled_plot(_wrapped(title), unit, tip, title_pt=12, background=PANEL)
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
        col.addWidget(self.title)
        self.numbers = QLabel("–")
        self.numbers.setTextFormat(Qt.TextFormat.RichText)
        self.numbers.setStyleSheet(f"font-size: 26pt; font-weight: 700; color: {SIDE_COLOR[side]};")
        col.addWidget(self.numbers)
        self.sentence = QLabel("")
        self.sentence.setWordWrap(True)
        self.sentence.setStyleSheet("font-size: 13pt;")
        col.addWidget(self.sentence)
        self.detail = QLabel("")
        self.detail.setObjectName("caption")
        self.detail.setWordWrap(True)
        col.addWidget(self.detail)

    def show_change(self, change: Change | None, only=None) -> None:
        if change is None:
            if only is not None:
                self.numbers.setText(f"{only.value:.1f} mm")
                self.sentence.setText("Only one session so far: record another one later to see how it changes.")
                self.detail.setText(f"{only.date}: {only.value:.2f} mm (95 % interval "
                                    f"{_fmt(only.ci_low, 2)}–{_fmt(only.ci_high, 2)} mm)")
            else:
                self.numbers.setText("–")
                self.sentence.setText("No natural-blinking recording yet.")
                self.detail.setText("")
            return
        base, latest = change.baseline, change.latest
        arrow = "<span style='font-size:18pt; color:#6b7280'>&nbsp;&rarr;&nbsp;</span>"
        self.numbers.setText(f"{base.value:.1f}{arrow}{latest.value:.1f} mm")
        color = VERDICT_COLOR.get(change.verdict, TEXT_COLOR)
        self.sentence.setText(plain_change(change))
        self.sentence.setStyleSheet(
            f"font-size: 13pt; color: {color if change.verdict != 'within noise' else TEXT_COLOR};")
        self.detail.setText(
            f"Baseline {base.date}: {base.value:.2f} mm ({_fmt(base.ci_low, 2)}–{_fmt(base.ci_high, 2)}), "
            f"n = {base.n} blinks · "
            f"latest {latest.date}: {latest.value:.2f} mm ({_fmt(latest.ci_low, 2)}–{_fmt(latest.ci_high, 2)}), "
            f"n = {latest.n} · change "
            f"{_signed(change.change, 2)} mm, needs ±{_fmt(change.threshold, 2)} mm (this recording's noise "
            f"±{_fmt(change.noise_95, 2)}, between sessions ±{_fmt(change.mdc, 2)}) → {change.verdict}")


class TrendsView(QWidget):
    """The window's current patient's trend (`set_patient`), and their report."""

    report_written = Signal(str, str)  # pdf, html

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.trends: Trends | None = None
        self.timeline: Timeline | None = None
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
        col.addWidget(self.table)
        col.addStretch(1)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        self._report_paths: tuple[Path, Path] | None = None

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
                self.adherence.load(store, self.pseudonym)
                if known:
                    self.trends = patient_trends(store, self.pseudonym)
                    self.timeline = patient_timeline(store, self.pseudonym, self.trends)
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
            self.cards[side].show_change(change, only)
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

    def _positions(self, trends: Trends) -> dict[int, tuple[int, str]]:
        keys = sorted({(p.started_at, p.session_id) for s in trends.series for p in s.points})
        return {sid: (i + 1, started) for i, (started, sid) in enumerate(keys)}

    def _plot(self, plot: pg.PlotWidget, trends: Trends | None, key: str) -> None:
        plot.clear()
        if trends is None:
            plot.setVisible(False)
            return
        pos = self._positions(trends)
        series_list = [s for s in trends.series if s.metric.key == key]
        ys = []
        for s in series_list:
            if not s.points:
                continue
            offset = {"right": -0.07, "left": 0.07}.get(s.side or "", 0.0)  # no side: in the middle
            color = SIDE_COLOR.get(s.side or "", "#2e7d4f")
            x = [pos[p.session_id][0] + offset for p in s.points]
            y = [p.value for p in s.points]
            ys += y
            top = [max(0.0, (p.ci_high - p.value)) if p.ci_high is not None else 0.0 for p in s.points]
            bottom = [max(0.0, (p.value - p.ci_low)) if p.ci_low is not None else 0.0 for p in s.points]
            ys += [v + t for v, t in zip(y, top)]
            plot.addItem(pg.ErrorBarItem(x=np.asarray(x), y=np.asarray(y), top=np.asarray(top),
                                         bottom=np.asarray(bottom), beam=0.12, pen=pg.mkPen(color, width=1.6)))
            plot.plot(x, y, pen=pg.mkPen(color, width=2.4), symbol="o", symbolSize=9, symbolBrush=color,
                      symbolPen=pg.mkPen("white", width=1))
        if trends.baseline_session_id in pos:
            bx = pos[trends.baseline_session_id][0]
            line = pg.InfiniteLine(pos=bx, angle=90, pen=pg.mkPen(MUTED_COLOR, width=1.2, style=Qt.PenStyle.DashLine))
            plot.addItem(line)
        # the treatments: botulinum toxin cycles shaded, events as lines, placed between the sessions by date
        add_marks(plot, self.timeline, [started for _i, started in sorted(pos.values())])
        since = self.timeline.since_injection if self.timeline is not None else None
        if since is not None and key == HEADLINE and pos:
            last_sid, (last_place, _started) = max(pos.items(), key=lambda kv: kv[1][0])
            tops = [p.ci_high if p.ci_high is not None else p.value for s in series_list for p in s.points
                    if p.session_id == last_sid]
            note = pg.TextItem(since.short, color="#7b3fa0", anchor=(0.9, 1.0))
            note.setPos(last_place, max(tops, default=0.0) * 1.05)
            note.setToolTip(since.sentence)
            plot.addItem(note)
            self.since_note = note
        n = len(pos)
        plot.setXRange(0.5, max(n, 1) + 0.5, padding=0)
        plot.getPlotItem().getAxis("bottom").setTicks([_ticks(pos)])
        if key == "ocular_synkinesis":
            plot.setYRange(0, 105, padding=0)
        elif ys:
            room = 1.4 if self.timeline is not None and self.timeline.events else 1.15  # the events' labels
            plot.setYRange(0, max(max(ys) * room, 1.0 if key.startswith("ocular_oral") else 5.0), padding=0)
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
                ci = f" ({_fmt(p.ci_low, m.digits)}–{_fmt(p.ci_high, m.digits)})" if p.ci_low is not None else ""
                return f"{_fmt(p.value, m.digits)}{unit}{ci}<br><span style='color:{MUTED_COLOR}'>{p.date}</span>"

            side = side_html(c.side, c.side) if c.side else "–"
            color = VERDICT_COLOR.get(c.verdict, TEXT_COLOR)
            rows.append(f"<tr><td>{m.label}</td><td>{side}</td><td>{cell(c.baseline)}</td><td>{cell(c.latest)}</td>"
                        f"<td align='right'>{_signed(c.change, m.digits)}{unit}</td><td align='right'>"
                        f"±{_fmt(c.threshold, m.digits)}</td>"
                        f"<td style='color:{color}; font-weight:600'>{c.verdict}</td></tr>")
        return ("<table cellspacing='0' cellpadding='5' border='1' style='border-collapse:collapse; "
                "border-color:#c4cfdb; font-size:10pt' width='100%'>" + "".join(rows) + "</table>")

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
