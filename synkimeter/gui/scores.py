"""The live scores in plain words and big numbers, one column per side (the subject's)."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QFontMetrics, QTextDocumentFragment
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout

from synkimeter.core import ocular_oral as oo
from synkimeter.core.anatomy import SIDES
from synkimeter.gui.theme import BIG_PT, MEDIUM_PT, MUTED_COLOR, SIDE_COLOR, SIDE_LABEL, TEXT_COLOR, label_style, pt
from synkimeter.usecases.settings import DEFAULT_SETTINGS
from synkimeter.usecases.words import band, healthy_blink_range, healthy_range, interval, resting_height_words
from synkimeter.usecases.words import mm as _mm

DASH = "–"
# Why a blink does not count, in a patient's words.
NOT_COUNTED = {
    oo.REASON_MOUTH_MOVING: "you were talking or moving your mouth",
    oo.REASON_MOUTH_STAYED: "your mouth moved on its own",
    oo.REASON_NOT_AT_REST: "your mouth was not at rest",
    oo.REASON_TOO_CLOSE: "too close to another blink",
    oo.REASON_AT_END: "the video ended",
    oo.REASON_VOLUNTARY: "a long eye closure",
    oo.REASON_HEAD_TURNED: "your head was turned: face the camera",
    oo.REASON_FACE_LOST: "your face was out of view",
    oo.REASON_SETTLING: "your face had only just come into view",
    oo.REASON_IMPLAUSIBLE: "your face was not followed",
}

# The same, short enough for a side's column (two lines at most at 1366x768); the full words are in
# the number's tooltip.
NOT_COUNTED_SHORT = {
    oo.REASON_MOUTH_MOVING: "you were talking",
    oo.REASON_MOUTH_STAYED: "your mouth moved",
    oo.REASON_NOT_AT_REST: "mouth not at rest",
    oo.REASON_TOO_CLOSE: "too soon after a blink",
    oo.REASON_AT_END: "the video ended",
    oo.REASON_VOLUNTARY: "a long eye closure",
    oo.REASON_HEAD_TURNED: "head turned",
    oo.REASON_FACE_LOST: "face out of view",
    oo.REASON_SETTLING: "face just in view",
    oo.REASON_IMPLAUSIBLE: "face not followed",
}

def rows(params=DEFAULT_SETTINGS) -> tuple[tuple[str, str, str], ...]:
    """The panel's rows: key, name (with the healthy range of the settings in force), tooltip."""
    return (
        ("eye_open", "Eye open", "How open each eye is now, compared with its usual open level."),
        ("blinks", "Blinks", "Blinks of each eye since you pressed Start (or Reset)."),
        ("latest", f"Mouth corner at your last blink (healthy: {healthy_blink_range(params)})",
         "How far the mouth corner on that side moved while that eye blinked, the last time it blinked "
         "(peak movement, head movement removed)."),
        ("median", f"Usually moves (healthy: {healthy_range(params)})",
         "The mouth-corner movement averaged over this session's blinks (the same figure as the "
         "analysis and the reports). Blinks while talking, smiling or with the head turned are left out."),
    )


# A big number's unit ("mm", "%") is smaller than the number and never on a line of its own: at large
# text on a 1366x768 screen "2.9 mm" in the big font is wider than a side's column.
UNIT_PT = MEDIUM_PT + 3


def big_style(color: str) -> str:
    return label_style(f"color: {color}; font-size: {BIG_PT}pt; font-weight: 700;")


def mm(value: float, digits: int = 1) -> str:
    return _mm(value, digits)


def big_number(text: str) -> str:
    """'2.9 mm' as the big number with its unit smaller and joined to it ('–' and '3' as they are)."""
    number, _, unit = text.rpartition(" ")
    if not number or unit not in ("mm", "%"):
        return text
    return f"{number}<span style='font-size:{pt(UNIT_PT):g}pt'>&nbsp;{unit}</span>"


def band_line(value_mm: float, low=None, high=None, blinks: int | None = None, params=DEFAULT_SETTINGS) -> str:
    """'0.7–1.1 mm<br>mild': the interval and the band under a number (the healthy range is in the
    row's name, once for both sides). Before the blinks a verdict needs (`min_scored_blinks`), their
    count instead: two blinks' range runs from 0 to several mm, and no band is given on them."""
    if blinks is not None and blinks < params.min_scored_blinks:
        return f"{blinks}&nbsp;blink{'s' if blinks != 1 else ''} so&nbsp;far ({params.min_scored_blinks}&nbsp;needed)"
    return "<br>".join(w.replace(" ", "&nbsp;") for w in (interval(low, high), band(value_mm, params)) if w)


def percent(value: float) -> str:
    return f"{100 * value:.0f} %" if value is not None and math.isfinite(value) else DASH


class ScoresPanel(QFrame):
    def __init__(self, parent=None, params=DEFAULT_SETTINGS) -> None:
        super().__init__(parent)
        # The settings in force: the healthy ranges, bands and blinks needed the analysis uses.
        self.params = params
        self._rows = rows(params)
        self.setObjectName("panel")
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(2)
        # the two sides share the width (their wrapped reasons and bands need it); the row names keep theirs
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        self._grid = grid
        self.values: dict[tuple[str, str], QLabel] = {}
        for col, side in enumerate(SIDES, start=1):
            head = QLabel(SIDE_LABEL[side])
            head.setAlignment(Qt.AlignmentFlag.AlignCenter)
            head.setStyleSheet(f"color: {SIDE_COLOR[side]}; border-bottom: 3px solid {SIDE_COLOR[side]};"
                               f"padding-bottom: 2px; font-size: {MEDIUM_PT + 2}pt; font-weight: 700;")
            grid.addWidget(head, 0, col)
        for row, (key, text, tip) in enumerate(self._rows, start=1):
            label = QLabel(text)
            label.setStyleSheet(label_style(f"color: {MUTED_COLOR}; font-size: {MEDIUM_PT - 2}pt;"))
            label.setToolTip(tip)
            # wrapped where the sides' columns need the width (large text on a 1366x768 screen)
            label.setWordWrap(True)
            grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignVCenter)
            for col, side in enumerate(SIDES, start=1):
                value = QLabel(DASH)
                value.setAlignment(Qt.AlignmentFlag.AlignCenter)
                value.setStyleSheet(big_style(SIDE_COLOR[side]))
                if key in ("latest", "median"):
                    # the reason a blink is not counted ("you were talking or moving your mouth") is
                    # wider than the column: wrapped, not cut off, and the row as high as its wrapped lines
                    value.setWordWrap(True)
                    value.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
                value.setToolTip(tip)
                grid.addWidget(value, row, col)
                self.values[(key, side)] = value
        self.level = QLabel("Mouth corners: " + DASH)
        self.level.setStyleSheet(label_style(f"font-size: {MEDIUM_PT}pt;"))
        self.level.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.level.setWordWrap(True)
        self.level.setToolTip("How level the two mouth corners are right now (height difference, head tilt removed).")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 8)
        layout.setSpacing(4)
        layout.addLayout(grid)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setStyleSheet("color: #e3e1dc;")
        layout.addWidget(line)
        layout.addWidget(self.level)
        # What the face is doing now ("Smiling on your left"), as the expression finder sees it.
        self.expression = QLabel("")
        self.expression.setStyleSheet(label_style(f"color: {MUTED_COLOR}; font-size: {MEDIUM_PT}pt;"))
        self.expression.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.expression.setToolTip("What your face is doing now: smiling, puckering, talking, eyebrows raised, "
                                   "eyes closed. Sides are your own.")
        layout.addWidget(self.expression)
        self.expression.setVisible(False)
        self.fit_columns()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.StyleChange:  # the text size changed (gui/text_size.py)
            self.fit_columns()
        super().changeEvent(event)

    def fit_columns(self) -> None:
        """Each side's column at least as wide as a usual number ("8.8 mm" in the big font): the row names
        wrap into what is left, the numbers never do (a rare wider one may take a wrapped reason's room)."""
        number, unit = QFont(self.font()), QFont(self.font())
        number.setPointSizeF(pt(BIG_PT))
        number.setBold(True)
        unit.setPointSizeF(pt(UNIT_PT))
        unit.setBold(True)
        width = QFontMetrics(number).horizontalAdvance("8.8") + QFontMetrics(unit).horizontalAdvance(" mm") + 8
        for col in (1, 2):
            self._grid.setColumnMinimumWidth(col, width)

    def text(self, key: str, side: str) -> str:
        """What a number's label says, as plain text ('2.9 mm' then its interval and band, a line each)."""
        return QTextDocumentFragment.fromHtml(self.values[(key, side)].text()).toPlainText().replace("\xa0", " ")

    def clear(self) -> None:
        for label in self.values.values():
            label.setText(DASH)
        self.level.setText("Mouth corners: " + DASH)
        self._show_expression("")

    def show_snapshot(self, s) -> None:
        for side in SIDES:
            self.values[("eye_open", side)].setText(big_number(percent(s.eye_open[side])))
            self.values[("blinks", side)].setText(str(s.blink_count[side]))
            latest = s.latest[side]
            label = self.values[("latest", side)]
            if latest is None:
                label.setText(DASH)
                label.setToolTip(self._rows[2][2])
            elif not latest.scored:
                # A blink that does not count shows no number: a big grey "22.3 mm" for a blink during
                # talking reads like a measurement.
                label.setText(f"{DASH}<div style='font-size:{pt(11):g}pt; font-weight:400'>not counted: "
                              f"{NOT_COUNTED_SHORT.get(latest.reason, 'not measured')}</div>")
                label.setToolTip(f"{self._rows[2][2]}\nBlink {latest.number} was not counted: "
                                 f"{NOT_COUNTED.get(latest.reason, latest.reason or 'not measured')}.")
                label.setStyleSheet(big_style(MUTED_COLOR))
            else:
                label.setText(big_number(mm(latest.mouth_mm[side])))
                label.setToolTip(f"{self._rows[2][2]}\nBlink {latest.number} ({latest.eye} eye"
                                 f"{'s' if latest.eye == 'both' else ''}).")
                label.setStyleSheet(big_style(SIDE_COLOR[side]))
            median = self.values[("median", side)]
            average = s.average_mm[side]
            low, high = (getattr(s, "average_ci_mm", None) or {}).get(side, (None, None))
            median.setText(big_number(mm(average)) + (f"<div style='font-size:{pt(11):g}pt; font-weight:400; "
                                          f"color:{TEXT_COLOR}'>"
                                          f"{band_line(average, low, high, s.n_scored.get(side, 0), self.params)}</div>"
                                          if math.isfinite(average) else ""))
            median.setToolTip(f"{self._rows[3][2]}\nAveraged over {s.n_scored[side]} blink(s) of the {side} eye; "
                              f"median of their own peaks {mm(s.median_mm[side])}.")
        # While the mouth moves (talking, a smile held) its corners' heights are no measurement: the
        # window's notice says what to do instead.
        self._mouth_busy = getattr(s, "notice", "") == "talking"
        self.level.setText(level_text(s.height_diff_mm, self.params) if not self._mouth_busy else "")
        self._show_expression(getattr(s, "expression", ""))

    def _show_expression(self, text: str) -> None:
        # no empty line's height kept for it: the scores' column is short at large text on a small screen
        self.expression.setText(text)
        self.expression.setVisible(bool(text))

    def show_instant(self, instant) -> None:
        """The per-frame values (eye open, corner heights), as fresh as the picture."""
        for side in SIDES:
            self.values[("eye_open", side)].setText(big_number(percent(instant.eye_open[side])))
        if not getattr(self, "_mouth_busy", False):
            self.level.setText(level_text(instant.height_diff_mm, self.params))


def level_text(diff_mm: float, params=DEFAULT_SETTINGS) -> str:
    """'Your left mouth corner is 1.2 mm higher – within the healthy range (up to 2.5 mm)': the number
    with what healthy faces show at rest (`resting_height_healthy_mm`)."""
    if diff_mm is None or not math.isfinite(diff_mm):
        return "Mouth corners: " + DASH
    if abs(diff_mm) < params.live_level_mm:
        return "Mouth corners are level"
    side = "right" if diff_mm > 0 else "left"
    return (f'<span style="color:{SIDE_COLOR[side]}; font-weight:600">{SIDE_LABEL[side]}</span> '
            f"mouth corner is {abs(diff_mm):.1f}&nbsp;mm higher – {resting_height_words(diff_mm, params)}")
