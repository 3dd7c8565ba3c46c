"""Trend plots drawn with QPainter onto a QImage, saved as PNG bytes.

QPainter rather than pyqtgraph's ImageExporter: pyqtgraph's exporter needs a QApplication with
widgets and a scene laid out on screen, while a QImage painter needs only a QGuiApplication, draws
at any resolution (the PDF gets crisp 2x images), and gives full control over what a printed page
needs (units on the axis, a legend naming the subject's sides, the baseline marked, error bars).
"""

from __future__ import annotations

import math

from synkimeter.report.qt import ensure_gui_app

SIDE_COLOURS = {"right": "#1f5fa8", "left": "#d9731a", None: "#2d7a46"}
SIDE_LABELS = {"right": "Right side (subject's)", "left": "Left side (subject's)", None: "Score"}
SIDE_OFFSET = {"right": -1, "left": 1, None: 0}


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, v = [], start
    while v <= hi + step * 1e-6:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _fmt_tick(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:g}"


def trend_png(series_list, title: str, unit: str, *, bands: list[tuple[float, str]] | None = None,
              y_range: tuple[float, float] | None = None, width: int = 1500, height: int = 520,
              numbers: dict[int, int] | None = None) -> bytes:
    """One metric over sessions: a line per side with 95 % interval bars, baseline marked. PNG bytes.

    Sessions stand in order, one place each (two on the same day never share a place), labelled with
    their number in the report (`numbers`: session id -> number), date, and time when a day has more
    than one. A long title wraps onto a second line."""
    ensure_gui_app()
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
    from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPainterPath, QPen

    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    px = width / 1000.0  # 1 design unit: a thousandth of the width

    def font(size, bold=False):
        f = QFont("DejaVu Sans")
        f.setPixelSize(max(8, int(size * px)))
        f.setBold(bold)
        return f

    points_all = [pt for s in series_list for pt in s.points]
    p.setFont(font(25, True))
    p.setPen(QColor("#1b1b1b"))
    title_box = p.boundingRect(QRectF(20 * px, 8 * px, width - 40 * px, 200 * px),
                               Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap, title)
    p.drawText(QRectF(20 * px, 8 * px, width - 40 * px, title_box.height()),
               Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap, title)
    legend_y = 8 * px + title_box.height() + 14 * px
    left, right, top, bottom = 110 * px, width - 40 * px, legend_y + 28 * px, height - 122 * px

    if not points_all:
        p.setFont(font(20))
        p.setPen(QColor("#666"))
        p.drawText(QRectF(left, top, right - left, bottom - top), Qt.AlignmentFlag.AlignCenter, "No measurement yet")
        p.end()
        return _png(image, QBuffer, QByteArray, QIODevice)

    # x: the sessions in order, one place each (a single session in the middle)
    order = sorted({(pt.started_at, pt.session_id) for pt in points_all})
    place = {key: i for i, key in enumerate(order)}
    slot = (right - left) / max(len(order), 1)

    def x_of(pt) -> float:
        return left + slot * (place[(pt.started_at, pt.session_id)] + 0.5)

    values = [v for pt in points_all for v in (pt.value, pt.ci_low, pt.ci_high) if v is not None and math.isfinite(v)]
    if y_range:
        lo, hi = y_range
    else:
        lo, hi = min(values + [0.0]), max(values)
        if bands:
            hi = max(hi, max(b for b, _ in bands) * 1.05)
        hi = hi + 0.08 * ((hi - lo) or 1.0)
    ticks = _nice_ticks(lo, hi)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])

    def y_of(v: float) -> float:
        return bottom - (v - lo) / ((hi - lo) or 1.0) * (bottom - top)

    # grid and y axis
    p.setFont(font(17))
    for tick in ticks:
        y = y_of(tick)
        p.setPen(QPen(QColor("#e3e3e3"), 1 * px))
        p.drawLine(QPointF(left, y), QPointF(right, y))
        p.setPen(QColor("#333"))
        p.drawText(QRectF(0, y - 12 * px, left - 10 * px, 24 * px),
                   Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, _fmt_tick(tick))
    p.save()
    p.translate(22 * px, (top + bottom) / 2)
    p.rotate(-90)
    p.setFont(font(18, True))
    p.drawText(QRectF(-(bottom - top) / 2, -12 * px, bottom - top, 24 * px), Qt.AlignmentFlag.AlignCenter, unit)
    p.restore()

    # reference bands (e.g. severity edges in mm)
    for value, label in bands or []:
        if lo <= value <= hi:
            y = y_of(value)
            p.setPen(QPen(QColor("#b04040"), 1.2 * px, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(left, y), QPointF(right, y))
            p.setFont(font(16))
            p.setPen(QColor("#b04040"))
            p.drawText(QRectF(right - 260 * px, y - 24 * px, 255 * px, 22 * px),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)

    # baseline marker (its word goes under the axis, where no point or legend can cover it)
    base = next((pt for pt in points_all if pt.baseline), None)
    if base is not None:
        xb = x_of(base)
        p.setPen(QPen(QColor("#888"), 1.2 * px, Qt.PenStyle.DashLine))
        p.drawLine(QPointF(xb, top), QPointF(xb, bottom))

    # axes
    p.setPen(QPen(QColor("#333"), 1.4 * px))
    p.drawLine(QPointF(left, bottom), QPointF(right, bottom))
    p.drawLine(QPointF(left, top), QPointF(left, bottom))

    # x labels: number, date, and the time when the day has more than one session (thinned when crowded)
    per_day: dict[str, int] = {}
    for started_at, _sid in order:
        per_day[started_at[:10]] = per_day.get(started_at[:10], 0) + 1
    p.setFont(font(16))
    p.setPen(QColor("#333"))
    last_x = -1e9
    base_key = (base.started_at, base.session_id) if base is not None else None
    for started_at, sid in order:
        x = left + slot * (place[(started_at, sid)] + 0.5)
        p.drawLine(QPointF(x, bottom), QPointF(x, bottom + 5 * px))
        if x - last_x < 120 * px and (started_at, sid) != base_key:
            continue
        number = f"#{numbers[sid]} " if numbers and sid in numbers else ""
        lines = [f"{number}{started_at[:10]}"]
        if per_day[started_at[:10]] > 1:
            lines.append(started_at[11:16])
        if (started_at, sid) == base_key:
            lines.append("baseline")
        p.drawText(QRectF(x - 90 * px, bottom + 6 * px, 180 * px, 66 * px),
                   Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, "\n".join(lines))
        last_x = x
    p.setFont(font(18, True))
    p.drawText(QRectF(left, bottom + 74 * px, right - left, 22 * px), Qt.AlignmentFlag.AlignCenter,
               "Session (number as in the table, date)")

    # series
    legend = []
    for s in series_list:
        if not s.points:
            continue
        colour = QColor(SIDE_COLOURS.get(s.side, "#333"))
        dx = SIDE_OFFSET.get(s.side, 0) * 5 * px
        pts = sorted(s.points, key=lambda pt: (pt.started_at, pt.session_id))
        path = QPainterPath()
        for i, pt in enumerate(pts):
            q = QPointF(x_of(pt) + dx, y_of(pt.value))
            path.moveTo(q) if i == 0 else path.lineTo(q)
        p.setPen(QPen(colour, 2.2 * px))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        for pt in pts:
            x = x_of(pt) + dx
            if pt.ci_low is not None and pt.ci_high is not None:
                p.setPen(QPen(colour, 1.6 * px))
                y0, y1 = y_of(pt.ci_low), y_of(pt.ci_high)
                p.drawLine(QPointF(x, y0), QPointF(x, y1))
                p.drawLine(QPointF(x - 5 * px, y0), QPointF(x + 5 * px, y0))
                p.drawLine(QPointF(x - 5 * px, y1), QPointF(x + 5 * px, y1))
            p.setPen(QPen(colour.darker(130), 1.2 * px))
            p.setBrush(QBrush(colour if not pt.baseline else QColor("white")))
            r = 6 * px
            p.drawEllipse(QPointF(x, y_of(pt.value)), r, r)
        legend.append((SIDE_LABELS.get(s.side, str(s.side)), colour))

    # legend, top right
    p.setFont(font(17))
    x = right
    for label, colour in reversed(legend):
        w = p.fontMetrics().horizontalAdvance(label) + 34 * px
        x -= w
        p.setPen(QPen(colour, 2.2 * px))
        p.drawLine(QPointF(x, legend_y + 11 * px), QPointF(x + 22 * px, legend_y + 11 * px))
        p.setBrush(QBrush(colour))
        p.drawEllipse(QPointF(x + 11 * px, legend_y + 11 * px), 4 * px, 4 * px)
        p.setPen(QColor("#222"))
        p.drawText(QRectF(x + 26 * px, legend_y, w, 22 * px),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
        x -= 14 * px
    p.setFont(font(15))
    p.setPen(QColor("#666"))
    p.drawText(QRectF(left, height - 22 * px, right - left, 20 * px),
               Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
               "Bars: 95 % interval. Open circle: baseline session.")
    p.end()
    return _png(image, QBuffer, QByteArray, QIODevice)


def _png(image, QBuffer, QByteArray, QIODevice) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return bytes(data.data())
