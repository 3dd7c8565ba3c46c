"""The text-size setting (normal / large / larger): every page's text and every plot's labels, remembered
with the window's other state (`gui.patients.window_state_path`, in `store.backend.config_dir()`).

Widgets keep writing their style sheets in points as designed for normal text ("font-size: 26pt"); one
event filter on the application scales each style sheet as it is set (`QEvent.StyleChange`), so a page
built or restyled later is sized too. Rich text built on the fly sizes itself with `theme.pt`; a label's
rich text already on screen is re-sized at once when the setting changes (`size_rich_text`), not at its
next update. pyqtgraph draws its axes and titles itself: `size_plot` sets their fonts.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtGui import QFont, Qt
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from synkimeter.gui import theme

# key, what the menu says, factor on every point size
SIZES = (("normal", "Normal text", 1.0), ("large", "Large text", 1.25), ("larger", "Larger text", 1.5))
FACTOR = {key: factor for key, _text, factor in SIZES}
STATE_KEY = "text_size"
_POINTS = re.compile(r"font-size:\s*(\d+(?:\.\d+)?)pt")
_BASE, _SIZED = "synkimeterBaseSheet", "synkimeterSizedSheet"


def sized(sheet: str, factor: float) -> str:
    """`sheet` with every "font-size: Npt" times `factor`."""
    if factor == 1.0:
        return sheet
    return _POINTS.sub(lambda m: f"font-size: {round(float(m.group(1)) * factor, 1):g}pt", sheet)


def remembered_text_size() -> str:
    from synkimeter.gui.patients import read_window_state

    key = read_window_state().get(STATE_KEY)
    return key if key in FACTOR else "normal"


def remember_text_size(key: str) -> None:
    from synkimeter.gui.patients import write_window_state

    write_window_state({STATE_KEY: key})


class _Sizer(QObject):
    """Scales each widget's style sheet when it is set."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt naming
        # StyleChange: a polished widget's sheet was set; Polish: a widget about to be shown the first
        # time (Qt sends no StyleChange before that)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.Polish) and isinstance(obj, QWidget):
            size_widget(obj)
        return False


_sizer: _Sizer | None = None


def size_widget(widget: QWidget) -> None:
    sheet = widget.styleSheet()
    if not sheet or sheet == widget.property(_SIZED):
        return
    widget.setProperty(_BASE, sheet)
    scaled = sized(sheet, theme.text_scale())
    widget.setProperty(_SIZED, scaled)
    if scaled != sheet:
        widget.setStyleSheet(scaled)


def size_plot(plot) -> None:
    """A pyqtgraph PlotWidget's tick numbers, axis labels and title at the current text size."""
    item = plot.getPlotItem()
    points = theme.pt(theme.NORMAL_PT - 1)
    font = QFont()
    font.setPointSizeF(points)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setStyle(tickFont=font)
        axis.setTickFont(font)
        axis.labelStyle = {**axis.labelStyle, "font-size": f"{points:g}pt"}
        axis._updateLabel()
    title = item.titleLabel
    base = getattr(plot, "_synkimeter_title", None)
    if title.text != getattr(plot, "_synkimeter_title_sized", None):
        base = title.text  # set (again) by its owner, at the size of its time: theme.pt
        base = sized(base, 1.0 / getattr(plot, "_synkimeter_scale", theme.text_scale()))
    if base:
        plot._synkimeter_title = base
        plot._synkimeter_title_sized = sized(base, theme.text_scale())
        title.setText(plot._synkimeter_title_sized)
        # pyqtgraph gives a title a row 30 pixels high: a larger or two-line title gets the height it needs
        height = max(30, int(title.item.boundingRect().height()) + 4)
        title.setMaximumHeight(height)
        item.layout.setRowFixedHeight(0, height)
    plot._synkimeter_scale = theme.text_scale()


def size_rich_text(label: QLabel, factor: float) -> None:
    """A label's rich text with its own point sizes (built with `theme.pt` at the old size) times
    `factor`: its owner sets it again only at its next update, seconds away or never."""
    text = label.text()
    if factor == 1.0 or "font-size" not in text:
        return
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and Qt.mightBeRichText(text))
    if rich:
        label.setText(sized(text, factor))


def install(app: QCoreApplication | None = None) -> None:
    """Size every style sheet set from now on (once per application)."""
    global _sizer
    app = app or QApplication.instance()
    if _sizer is None and app is not None:
        _sizer = _Sizer(app)
        app.installEventFilter(_sizer)


def apply_text_size(key: str) -> None:
    """Use text size `key` now, on every open window, page and plot."""
    import pyqtgraph as pg

    old = theme.text_scale()
    theme.set_text_scale(FACTOR.get(key, 1.0))
    install()
    for widget in QApplication.allWidgets():
        if isinstance(widget, QLabel):
            size_rich_text(widget, theme.text_scale() / old)
        base = widget.property(_BASE)
        if base:
            widget.setProperty(_SIZED, None)
            widget.setStyleSheet(base)
        elif widget.styleSheet():
            size_widget(widget)
        if isinstance(widget, pg.PlotWidget):
            size_plot(widget)


__all__ = ["SIZES", "apply_text_size", "install", "remember_text_size", "remembered_text_size", "size_plot",
           "size_rich_text", "sized"]
