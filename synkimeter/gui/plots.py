"""Rolling trends (last ~20 s) and the per-blink history, drawn with pyqtgraph."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor

from synkimeter.core.anatomy import SIDES
from synkimeter.gui.text_size import size_plot
from synkimeter.gui.theme import BOTH_COLOR, MUTED_COLOR, PANEL, SIDE_COLOR, SIDE_LABEL, TEXT_COLOR, pt
from synkimeter.usecases.settings import DEFAULT_SETTINGS

pg.setConfigOptions(antialias=True, background=PANEL, foreground=TEXT_COLOR)

EYE_MARK_COLOR = {"both": BOTH_COLOR, **SIDE_COLOR}
BARS_MIN_HEIGHT = 145  # pixels


class DateAxis(pg.DateAxisItem):
    """A date axis whose tick labels keep apart at large text: pyqtgraph spaces them by a short example
    label ("31") plus 10 pixels, and a month's first tick ("Apr") then runs into the next day's ("02")."""

    def setZoomLevelForDensity(self, density):  # noqa: N802 - pyqtgraph naming
        super().setZoomLevelForDensity(2.5 * density)


class CompactPlot(pg.PlotWidget):
    """A plot that asks a layout for no more than its minimum height: a QGraphicsView's preferred
    640x480 would make a scroll area (the live scores' column) scroll for room the chart does not need,
    and take the picture's room in the live page's left column."""

    def sizeHint(self):  # noqa: N802 - Qt naming
        return QSize(self.minimumWidth() or 200, self.minimumHeight())


def styled_plot(title: str, y_label: str, tip: str, title_pt: int = 11, background=None,
                compact: bool = False) -> pg.PlotWidget:
    """A quiet plot in the window's style: titled, no mouse zoom or menu, light horizontal grid."""
    kind = CompactPlot if compact else pg.PlotWidget
    w = kind() if background is None else kind(background=background)
    w.setTitle(f'<span style="font-size:{pt(title_pt):g}pt; color:{TEXT_COLOR}">{title}</span>')
    w.setLabel("left", y_label)
    w.showGrid(x=False, y=True, alpha=0.15)
    w.setMenuEnabled(False)
    w.setMouseEnabled(x=False, y=False)
    w.hideButtons()
    w.setToolTip(tip)
    w.setMinimumHeight(130)
    size_plot(w)
    return w


def side_key() -> str:
    """'In the charts: ▬ Your right ▬ Your left', each in its colour (rich text)."""
    return "In the charts: " + "&nbsp;&nbsp;".join(
        f'<span style="color:{SIDE_COLOR[side]}; font-weight:600">&#9644;&nbsp;'
        f'{SIDE_LABEL[side].replace(" ", "&nbsp;")}</span>' for side in SIDES)


class TrendPlots:
    """Eye closing and mouth-corner movement per side, with blinks marked; time in seconds ago."""

    def __init__(self, window_s: float = DEFAULT_SETTINGS.live_plot_window_s) -> None:
        self.window_s = window_s
        self.eyes = styled_plot("Eyes closing", "how closed",
                                "How closed each eye is (0 = open as usual, 1 = fully shut). Ticks mark counted "
                                "blinks.", compact=True)
        self.mouth = styled_plot("Mouth-corner movement", "mm",
                                 "How far each mouth corner is from where it rests, in millimetres (head movement "
                                 "removed).", compact=True)
        self.mouth.setXLink(self.eyes)
        self.eyes.setYRange(-0.05, 1.0, padding=0)
        # three ticks: a short plot's automatic ones (0.2 ... 0.8) sit on top of each other
        self.eyes.getPlotItem().getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        self.mouth.setYRange(0.0, 3.0, padding=0)
        for w in (self.eyes, self.mouth):
            w.setLabel("bottom", "seconds ago")
            # under the picture, beside each other: the picture gives up this much on a 1366x768 screen
            w.setMinimumHeight(120)
            w.setXRange(-window_s, 0.0, padding=0.01)
            w.getPlotItem().getAxis("bottom").setTicks(
                [[(float(-s), f"{s:g}") for s in range(0, int(window_s) + 1, 5)]])
        self.curves = {}
        for name, w in (("eyes", self.eyes), ("mouth", self.mouth)):
            # The side colours are named once, under the picture (`side_key`): in each title they made
            # the two charts, side by side under the picture, too wide for it at large text; a legend
            # inside would cover the lines.
            for side in SIDES:
                self.curves[(name, side)] = w.plot([], [], pen=pg.mkPen(SIDE_COLOR[side], width=2.2),
                                                   name=SIDE_LABEL[side])
        self.marks_eyes = pg.ScatterPlotItem(symbol="t", size=11, pen=None)
        self.eyes.addItem(self.marks_eyes)
        self.marks_mouth = pg.PlotDataItem([], [], connect="pairs",
                                           pen=pg.mkPen(MUTED_COLOR, width=1, style=Qt.PenStyle.DashLine))
        self.mouth.addItem(self.marks_mouth)

    def widgets(self):
        return self.eyes, self.mouth

    def clear(self) -> None:
        for curve in self.curves.values():
            curve.setData([], [])
        self.marks_eyes.setData([], [])
        self.marks_mouth.setData([], [])

    def show_series(self, series) -> None:
        if series is None:
            return
        t = series.time_s
        for side in SIDES:
            self.curves[("eyes", side)].setData(t, np.nan_to_num(series.closure[side], nan=0.0), connect="finite")
            self.curves[("mouth", side)].setData(t, series.mouth_mm[side], connect="finite")
        top = max(3.0, float(np.nanmax([np.nanmax(v) if np.isfinite(v).any() else 0
                                        for v in series.mouth_mm.values()])) * 1.1)
        self.mouth.setYRange(0.0, top, padding=0)
        marks = series.blink_times_s
        brushes = [pg.mkBrush(EYE_MARK_COLOR[e]) for e in series.blink_eyes]
        self.marks_eyes.setData(marks, np.full(marks.size, 0.95), brush=brushes)
        self.marks_mouth.setData(np.repeat(marks, 2), np.tile([0.0, top], marks.size))


class BlinkBars:
    """Mouth-corner movement at each recent blink, per side, with the session's usual value."""

    def __init__(self, n_blinks: int = DEFAULT_SETTINGS.live_bar_blinks) -> None:
        self.n_blinks = n_blinks
        self.widget = styled_plot("Mouth-corner movement at each blink", "mm",
                                  "One pair of bars per blink (right, left). A blink left out of the usual value "
                                  "(talking, head turned, too close to another blink) has no bar: its movement "
                                  "is not a measurement. Dashed lines: the median of these bars per side.",
                                  compact=True)
        self.widget.setLabel("bottom", "blink number")
        # Readable bars under a title, tick numbers and an axis label at any text size; the scores'
        # column scrolls rather than squash it (gui/main_window.py).
        self.widget.setMinimumHeight(BARS_MIN_HEIGHT)
        self.widget.setYRange(0.0, 3.0, padding=0)
        self.widget.setXRange(0.5, 10.5, padding=0)  # whole blink numbers before the first blink
        self.bars = {}
        self.medians = {}
        for side in SIDES:
            self.bars[side] = pg.BarGraphItem(x=[], height=[], width=0.38, brush=SIDE_COLOR[side], pen=None)
            self.widget.addItem(self.bars[side])
            self.medians[side] = pg.InfiniteLine(angle=0, movable=False,
                                                 pen=pg.mkPen(SIDE_COLOR[side], width=1.5, style=Qt.PenStyle.DashLine))
            self.medians[side].setVisible(False)
            self.widget.addItem(self.medians[side])

    def clear(self) -> None:
        for side in SIDES:
            self.bars[side].setOpts(x=[], height=[])
            self.medians[side].setVisible(False)
        self.widget.setXRange(0.5, 10.5, padding=0)

    def show_blinks(self, blinks, median_mm: dict) -> None:
        numbers = np.array([b.number for b in blinks], dtype=float)
        top = 3.0
        for k, side in enumerate(SIDES):
            # Only blinks that count get a bar: talking reads as 10-20 mm of "movement".
            heights = np.array([b.mouth_mm[side] if b.involves(side) and b.scored else np.nan for b in blinks],
                               dtype=float)
            shown = np.isfinite(heights)
            x = numbers[shown] + (-0.2 if k == 0 else 0.2)
            self.bars[side].setOpts(x=x, height=heights[shown], brush=pg.mkBrush(QColor(SIDE_COLOR[side])))
            if shown.any():
                top = max(top, float(heights[shown].max()) * 1.1)
            m = median_mm.get(side, float("nan"))
            self.medians[side].setVisible(bool(np.isfinite(m)))
            if np.isfinite(m):
                self.medians[side].setValue(m)
        self.widget.setYRange(0.0, top, padding=0)
        if numbers.size:
            last = numbers.max()
            self.widget.setXRange(max(0.5, last - self.n_blinks + 0.5), max(last, 10) + 0.5, padding=0)
        else:
            self.widget.setXRange(0.5, 10.5, padding=0)
