"""Colours, fonts and words shared by every widget: one colour per side, everywhere."""

from __future__ import annotations

# Subject's sides. Blue and orange stay distinct for the common colour-vision deficiencies. Every text
# colour here reads at WCAG AA (4.5:1) on BACKGROUND and PANEL (tests/test_readable.py): the orange is a
# dark one, the grey of secondary text no lighter than #5b6370.
SIDE_COLOR = {"right": "#2f6db5", "left": "#a85a12"}
SIDE_LABEL = {"right": "Your right", "left": "Your left"}
BOTH_COLOR = "#7a7f87"
TEXT_COLOR = "#22262b"
MUTED_COLOR = "#5b6370"
BACKGROUND = "#f6f5f2"
PANEL = "#ffffff"
NOTICE_COLOR = {"ok": "#2e7d4f", "waiting": MUTED_COLOR, "no_face": "#a15c00", "too_far": "#a15c00",
                "turned": "#a15c00", "talking": "#a15c00", "error": "#b3261e", "ended": MUTED_COLOR,
                "stopped": MUTED_COLOR}

BIG_PT = 30
MEDIUM_PT = 15
NORMAL_PT = 11
_SCALE = [1.0]  # the text-size setting's factor (gui/text_size.py)


def text_scale() -> float:
    return _SCALE[0]


def set_text_scale(factor: float) -> None:
    _SCALE[0] = float(factor)


def pt(points: float) -> float:
    """A font size in points at the current text size (for rich text and plots built on the fly;
    style sheets are scaled as they are set: gui/text_size.py)."""
    return round(points * _SCALE[0], 1)

STYLE = f"""
QMainWindow, QWidget#central {{ background: {BACKGROUND}; }}
QWidget {{ color: {TEXT_COLOR}; font-size: {NORMAL_PT}pt; }}
QFrame#panel {{ background: {PANEL}; border: 1px solid #e3e1dc; border-radius: 10px; }}
QLabel#title {{ font-size: {MEDIUM_PT}pt; font-weight: 600; }}
QLabel#caption {{ color: {MUTED_COLOR}; }}
QLabel#notice {{ font-size: {MEDIUM_PT + 2}pt; font-weight: 600; padding: 6px 10px; }}
QPushButton {{ padding: 5px 14px; border: 1px solid #c9c6bf; border-radius: 6px; background: #ffffff; }}
QPushButton:hover {{ background: #efeee9; }}
QPushButton#primary {{ background: #2e7d4f; color: white; border: none; font-weight: 600; }}
QPushButton#primary:hover {{ background: #276b43; }}
QComboBox {{ padding: 4px 8px; }}
QToolTip {{ color: {TEXT_COLOR}; background: #fffef6; border: 1px solid #c9c6bf;
           font-size: {NORMAL_PT}pt; font-weight: 400; }}
"""
# A tooltip is styled with its widget's style sheet: a label set to the big number font would show
# its tooltip in that font too (and off the screen). Labels with their own font size end their
# style sheet with this rule.
TOOLTIP_RULE = (f"QToolTip {{ color: {TEXT_COLOR}; background: #fffef6; border: 1px solid #c9c6bf; "
                f"font-size: {NORMAL_PT}pt; font-weight: 400; padding: 2px; }}")


def label_style(declarations: str) -> str:
    """A label's own style sheet (e.g. its font size) that leaves its tooltip at the normal size."""
    return f"QLabel {{ {declarations} }} {TOOLTIP_RULE}"


def side_html(side: str, text: str | None = None) -> str:
    return f'<span style="color:{SIDE_COLOR[side]}; font-weight:600">{text or SIDE_LABEL[side]}</span>'
