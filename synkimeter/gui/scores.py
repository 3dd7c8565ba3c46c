"""The live scores in plain words and big numbers, one column per side (the subject's)."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout

from synkimeter.core import ocular_oral as oo
from synkimeter.core.anatomy import SIDES
from synkimeter.gui.theme import BIG_PT, MEDIUM_PT, MUTED_COLOR, SIDE_COLOR, SIDE_LABEL, TEXT_COLOR, label_style, pt
from synkimeter.usecases.words import band, healthy_range, interval
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

ROWS = (
    ("eye_open", "Eye open", "How open each eye is now, compared with its usual open level."),
    ("blinks", "Blinks", "Blinks of each eye since you pressed Start (or Reset)."),
    ("latest", "Mouth corner moved\nat your last blink",
     "How far the mouth corner on that side moved while that eye blinked, the last time it blinked "
     "(peak movement, head movement removed)."),
    ("median", f"Usually moves\n(healthy: {healthy_range()})",
     "The mouth-corner movement averaged over this session's blinks (the same figure as the "
     "analysis and the reports). Blinks while talking, smiling or with the head turned are left out."),
)


def big_style(color: str) -> str:
    return label_style(f"color: {color}; font-size: {BIG_PT}pt; font-weight: 700;")


def mm(value: float, digits: int = 1) -> str:
    return _mm(value, digits)


def band_line(value_mm: float, low=None, high=None) -> str:
    """'0.7–1.1 mm<br>mild': the interval and the band under a number (the healthy range is in the
    row's name, once for both sides)."""
    return "<br>".join(w.replace(" ", "&nbsp;") for w in (interval(low, high), band(value_mm)) if w)


def percent(value: float) -> str:
    return f"{100 * value:.0f} %" if value is not None and math.isfinite(value) else DASH


class ScoresPanel(QFrame):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(4)
        # the two sides share the width (their wrapped reasons and bands need it); the row names keep theirs
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        self.values: dict[tuple[str, str], QLabel] = {}
        for col, side in enumerate(SIDES, start=1):
            head = QLabel(SIDE_LABEL[side])
            head.setAlignment(Qt.AlignmentFlag.AlignCenter)
            head.setStyleSheet(f"color: {SIDE_COLOR[side]}; border-bottom: 3px solid {SIDE_COLOR[side]};"
                               f"padding-bottom: 2px; font-size: {MEDIUM_PT + 2}pt; font-weight: 700;")
            grid.addWidget(head, 0, col)
        for row, (key, text, tip) in enumerate(ROWS, start=1):
            label = QLabel(text)
            label.setStyleSheet(label_style(f"color: {MUTED_COLOR}; font-size: {MEDIUM_PT - 2}pt;"))
            label.setToolTip(tip)
            grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignVCenter)
            for col, side in enumerate(SIDES, start=1):
                value = QLabel(DASH)
                value.setAlignment(Qt.AlignmentFlag.AlignCenter)
                value.setStyleSheet(big_style(SIDE_COLOR[side]))
                value.setMinimumWidth(150)
                if key in ("latest", "median"):
                    # the reason a blink is not counted ("you were talking or moving your mouth") is
                    # wider than the column: wrapped, not cut off
                    value.setWordWrap(True)
                value.setToolTip(tip)
                grid.addWidget(value, row, col)
                self.values[(key, side)] = value
        self.level = QLabel("Mouth corners: " + DASH)
        self.level.setStyleSheet(label_style(f"font-size: {MEDIUM_PT}pt;"))
        self.level.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.level.setWordWrap(True)
        self.level.setToolTip("How level the two mouth corners are right now (height difference, head tilt removed).")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
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

    def text(self, key: str, side: str) -> str:
        return self.values[(key, side)].text()

    def clear(self) -> None:
        for label in self.values.values():
            label.setText(DASH)
        self.level.setText("Mouth corners: " + DASH)
        self.expression.setText("")

    def show_snapshot(self, s) -> None:
        for side in SIDES:
            self.values[("eye_open", side)].setText(percent(s.eye_open[side]))
            self.values[("blinks", side)].setText(str(s.blink_count[side]))
            latest = s.latest[side]
            label = self.values[("latest", side)]
            if latest is None:
                label.setText(DASH)
                label.setToolTip(ROWS[2][2])
            elif not latest.scored:
                # A blink that does not count shows no number: a big grey "22.3 mm" for a blink during
                # talking reads like a measurement.
                label.setText(f"{DASH}<div style='font-size:{pt(11):g}pt; font-weight:400'>not counted: "
                              f"{NOT_COUNTED_SHORT.get(latest.reason, 'not measured')}</div>")
                label.setToolTip(f"{ROWS[2][2]}\nBlink {latest.number} was not counted: "
                                 f"{NOT_COUNTED.get(latest.reason, latest.reason or 'not measured')}.")
                label.setStyleSheet(big_style(MUTED_COLOR))
            else:
                label.setText(mm(latest.mouth_mm[side]))
                label.setToolTip(f"{ROWS[2][2]}\nBlink {latest.number} ({latest.eye} eye"
                                 f"{'s' if latest.eye == 'both' else ''}).")
                label.setStyleSheet(big_style(SIDE_COLOR[side]))
            median = self.values[("median", side)]
            average = s.average_mm[side]
            low, high = (getattr(s, "average_ci_mm", None) or {}).get(side, (None, None))
            median.setText(mm(average) + (f"<div style='font-size:{pt(11):g}pt; font-weight:400; "
                                          f"color:{TEXT_COLOR}'>{band_line(average, low, high)}</div>"
                                          if math.isfinite(average) else ""))
            median.setToolTip(f"{ROWS[3][2]}\nAveraged over {s.n_scored[side]} blink(s) of the {side} eye; "
                              f"median of their own peaks {mm(s.median_mm[side])}.")
        # While the mouth moves (talking, a smile held) its corners' heights are no measurement: the
        # window's notice says what to do instead.
        self._mouth_busy = getattr(s, "notice", "") == "talking"
        self.level.setText(level_text(s.height_diff_mm) if not self._mouth_busy else "")
        self.expression.setText(getattr(s, "expression", ""))

    def show_instant(self, instant) -> None:
        """The per-frame values (eye open, corner heights), as fresh as the picture."""
        for side in SIDES:
            self.values[("eye_open", side)].setText(percent(instant.eye_open[side]))
        if not getattr(self, "_mouth_busy", False):
            self.level.setText(level_text(instant.height_diff_mm))


def level_text(diff_mm: float) -> str:
    if diff_mm is None or not math.isfinite(diff_mm):
        return "Mouth corners: " + DASH
    if abs(diff_mm) < 0.5:
        return "Mouth corners are level"
    side = "right" if diff_mm > 0 else "left"
    return (f'<span style="color:{SIDE_COLOR[side]}; font-weight:600">{SIDE_LABEL[side]}</span> '
            f"mouth corner is {abs(diff_mm):.1f} mm higher")
