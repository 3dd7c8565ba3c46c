"""The camera picture (mirrored by default, like a mirror) with a light overlay: eye outlines, mouth
corners and how far each corner has moved from where it rests. Sides are labelled in the
subject's terms whichever way the picture is shown."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from synkimeter.gui.theme import MUTED_COLOR, SIDE_COLOR, SIDE_LABEL
from synkimeter.usecases.settings import DEFAULT_SETTINGS


class PreviewWidget(QWidget):
    def __init__(self, parent=None, arrow_gain: float = DEFAULT_SETTINGS.live_arrow_gain) -> None:
        super().__init__(parent)
        self.mirror = True
        self.arrow_gain = arrow_gain
        self.message = ""
        self._image: QImage | None = None
        self._view = None
        self.latency_s = float("nan")
        self.frames_shown = 0
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip("Your camera picture, shown like a mirror (press M to switch).\n"
                        "Lines: eye outlines and mouth corners. Arrows: how far each mouth corner has "
                        f"moved from where it rests, drawn {self.arrow_gain:g} times longer.")

    def set_mirror(self, mirror: bool) -> None:
        self.mirror = bool(mirror)
        self.update()

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    def clear(self) -> None:
        self._image = None
        self._view = None
        self.update()

    def show_view(self, view) -> None:
        image = np.ascontiguousarray(view.image)
        h, w = image.shape[:2]
        self._image = QImage(image.data, w, h, int(image.strides[0]), QImage.Format.Format_BGR888).copy()
        self._view = view
        self.frames_shown += 1
        self.update()
        # measured when the picture is handed to the screen
        latency = time.monotonic() - view.captured_mono
        self.latency_s = latency if not np.isfinite(self.latency_s) else 0.8 * self.latency_s + 0.2 * latency

    # -- painting ------------------------------------------------------------------------------
    def _target(self) -> QRectF:
        assert self._image is not None  # only called while a picture is shown
        w, h = self._image.width(), self._image.height()
        scale = min(self.width() / w, self.height() / h)
        return QRectF((self.width() - w * scale) / 2, (self.height() - h * scale) / 2, w * scale, h * scale)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt naming
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#1d2024"))
        if self._image is not None:
            target = self._target()
            p.save()
            p.translate(target.topLeft())
            scale = target.width() / self._image.width()
            if self.mirror:
                p.translate(target.width(), 0)
                p.scale(-scale, scale)
            else:
                p.scale(scale, scale)
            p.drawImage(0, 0, self._image)
            self._draw_overlay(p, 1.0 / scale)
            p.restore()
            self._draw_side_labels(p, target)
        if self.message:
            self._draw_message(p)
        p.end()

    def _draw_overlay(self, p: QPainter, px: float) -> None:
        view = self._view
        if view is None or view.eyes is None:
            return
        for side, outline in view.eyes.items():
            color = QColor(SIDE_COLOR[side])
            color.setAlpha(190)
            p.setPen(QPen(color, 1.6 * px))
            p.setBrush(Qt.BrushStyle.NoBrush)
            path = QPainterPath(QPointF(*outline[0]))
            for x, y in outline[1:]:
                path.lineTo(x, y)
            path.closeSubpath()
            p.drawPath(path)
        if view.corners is None:
            return
        for side, (x, y) in view.corners.items():
            color = QColor(SIDE_COLOR[side])
            rest = (view.corner_rest or {}).get(side)
            if rest is not None:
                rx, ry = rest
                end = QPointF(rx + self.arrow_gain * (x - rx), ry + self.arrow_gain * (y - ry))
                p.setPen(QPen(QColor(255, 255, 255, 150), 1.0 * px))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawEllipse(QPointF(rx, ry), 4 * px, 4 * px)
                p.setPen(QPen(color, 3.0 * px, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
                p.drawLine(QPointF(rx, ry), end)
            p.setPen(QPen(QColor("white"), 1.2 * px))
            p.setBrush(color)
            p.drawEllipse(QPointF(x, y), 4.5 * px, 4.5 * px)

    def _draw_side_labels(self, p: QPainter, target: QRectF) -> None:
        # Unmirrored, the subject's right is on the picture's left; in a mirror it is on the right.
        on_left, on_right = ("left", "right") if self.mirror else ("right", "left")
        font = QFont(self.font())
        font.setPointSizeF(max(11.0, font.pointSizeF() * 1.2))
        font.setBold(True)
        margin = 10
        room = target.width() - 2 * margin - 8  # the two badges side by side, never overlapping
        while font.pointSizeF() > 8.0:
            metrics = QFontMetrics(font)
            if sum(metrics.horizontalAdvance(SIDE_LABEL[s]) + 20 for s in (on_left, on_right)) <= room:
                break
            font.setPointSizeF(font.pointSizeF() - 1.0)
        p.setFont(font)
        metrics = p.fontMetrics()
        stacked = sum(metrics.horizontalAdvance(SIDE_LABEL[s]) + 20 for s in (on_left, on_right)) > room
        height = max(24, metrics.height() + 8)
        for row, (side, align) in enumerate(((on_left, Qt.AlignmentFlag.AlignLeft),
                                             (on_right, Qt.AlignmentFlag.AlignRight))):
            text = SIDE_LABEL[side]
            top = target.top() + margin + (row * (height + 6) if stacked else 0)  # too narrow: one under the other
            box = QRectF(target.left() + margin, top, target.width() - 2 * margin, height + 2)
            width = metrics.horizontalAdvance(text) + 20
            pill = QRectF(box.left() if align == Qt.AlignmentFlag.AlignLeft else box.right() - width,
                          box.top(), width, height)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(SIDE_COLOR[side]))
            p.drawRoundedRect(pill, height / 2, height / 2)
            p.setPen(QColor("white"))
            p.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)

    def _draw_message(self, p: QPainter) -> None:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.35)
        p.setFont(font)
        box = QRectF(self.rect()).adjusted(40, 0, -40, 0)
        bounds = p.boundingRect(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
        back = bounds.adjusted(-18, -12, 18, 12)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(20, 22, 26, 200))
        p.drawRoundedRect(back, 10, 10)
        p.setPen(QColor("white") if self._image is not None else QColor(MUTED_COLOR).lighter(170))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
