"""Keyboard and screen-reader access: every control can be reached with Tab and has an accessible name
(Qt's accessibility: what a screen reader says). A control named where it is built keeps its name;
the others are named from their own words (a button's text) or their tooltip's first sentence."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)

CONTROLS = (QAbstractButton, QComboBox, QLineEdit, QAbstractSpinBox, QAbstractItemView, QPlainTextEdit, QTextEdit,
            QTabBar)


def _words(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text or "").replace("&&", "\0").replace("&", "").replace("\0", "&")
    return text.replace("…", "").strip()


def control_name(widget: QWidget) -> str:
    if isinstance(widget, QAbstractButton) and _words(widget.text()):
        return _words(widget.text())
    tip = _words(widget.toolTip())
    if tip:
        return re.split(r"(?<=[.:(])\s|\n", tip)[0].rstrip(".:( ")
    if isinstance(widget, QLineEdit) and widget.placeholderText():
        return widget.placeholderText()
    if isinstance(widget, QTabBar):
        return "Pages"
    return ""


def _inside_combo(widget: QWidget) -> bool:
    """A combo box's own pop-up list, or a spin or date box's own text field (named by their box)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QComboBox, QAbstractSpinBox)):
            return True
        parent = parent.parentWidget()
    return False


def name_controls(root: QWidget) -> list[QWidget]:
    """Give each control under `root` an accessible name and Tab focus; returns the controls still
    without a name (none, when every page names what it builds)."""
    unnamed: list[QWidget] = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or _inside_combo(widget):
            continue
        if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        if not widget.accessibleName():
            name = control_name(widget)
            if name:
                widget.setAccessibleName(name)
            else:
                unnamed.append(widget)
    return unnamed


__all__ = ["control_name", "name_controls"]
