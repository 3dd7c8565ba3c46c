"""A column that scrolls up and down when its page is taller than the room given (large text on a
1366x768 screen) and never sideways: the one set-up the live scores, the record page's task list and
the patient manager's detail share."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

# the page (the viewport's child) shows the window's background through it, not the viewport's own
TRANSPARENT = "QScrollArea, QScrollArea > QWidget > QWidget { background: transparent; }"


def vertical_scroll(page: QWidget, *, transparent: bool = True) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    if transparent:
        area.setStyleSheet(TRANSPARENT)
    area.setWidget(page)
    return area
