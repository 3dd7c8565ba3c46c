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
              numbers: dict[int, int] | None = None, markers: list[tuple[str, str, str]] | None = None,
              shading: list[tuple[str, str]] | None = None, latest_note: str | None = None) -> bytes:
    """One metric over sessions: a line per side with 95 % interval bars, baseline marked. PNG bytes.

    `markers` (date, short label, kind): treatment events as vertical lines with their label; `shading`
    (start, end): botulinum toxin cycles as bands. Both stand between the sessions by their dates
    (`usecases.timeline.place_on_sessions`). `latest_note`: a few words beside the latest session (the
    weeks since the last injection).

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
        hi = hi + (0.22 if markers else 0.08) * ((hi - lo) or 1.0)  # room for the event labels above the data
    ticks = _nice_ticks(lo, hi)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])

    def y_of(v: float) -> float:
        return bottom - (v - lo) / ((hi - lo) or 1.0) * (bottom - top)

    _draw_y_axis(p, ticks, y_of, top, bottom, left, right, px, font(17), font(18, True), unit)

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

    # treatment cycles (bands) and events (lines with a label), placed between the sessions by date
    if markers or shading:
        _draw_timeline(p, [started for started, _sid in order], markers or [], shading or [],
                       lambda place: left + slot * (place - 0.5), top, bottom, left, right, px, font)

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
        keep = (started_at, sid) == base_key or (latest_note and (started_at, sid) == order[-1])
        if x - last_x < 120 * px and not keep:
            continue
        number = f"#{numbers[sid]} " if numbers and sid in numbers else ""
        lines = [f"{number}{started_at[:10]}"]
        if per_day[started_at[:10]] > 1:
            lines.append(started_at[11:16])
        if (started_at, sid) == base_key:
            lines.append("baseline")
        half = 90 * px
        if latest_note and (started_at, sid) == order[-1]:  # beside the latest session, under its date
            lines.append(latest_note)
            half = min(150 * px, right + 30 * px - x) if x + 150 * px > right + 30 * px else 150 * px
        p.drawText(QRectF(x - half, bottom + 6 * px, 2 * half, 66 * px),
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
    foot = "Bars: 95 % interval. Open circle: baseline session."
    if shading:
        foot += " Shaded: botulinum toxin cycles."
    p.drawText(QRectF(left, height - 22 * px, right - left, 20 * px),
               Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, foot)
    p.end()
    return _png(image, QBuffer, QByteArray, QIODevice)


MARKER_COLOURS = {"botox": "#7b3fa0", "therapy-start": "#1d7a6b", "therapy-stop": "#1d7a6b",
                  "therapy-change": "#1d7a6b", "surgery": "#8a5a00", "other": "#555555"}
CYCLE_FILL = "#7b3fa0"


def _draw_timeline(p, session_dates: list[str], markers, shading, x_of_place, top: float, bottom: float,
                   left: float, right: float, px: float, font) -> None:
    """Cycle bands and event lines on a session-ordered axis (`x_of_place`: 1-based place -> x)."""
    from synkimeter.usecases.timeline import place_on_sessions

    def x_of(day: str) -> float:
        return min(max(x_of_place(place_on_sessions(day, session_dates)), left), right)

    _draw_marks(p, x_of, markers, shading, top, bottom, px, font)


def _draw_y_axis(p, ticks, y_of, top: float, bottom: float, left: float, right: float, px: float,
                 tick_font, label_font, label: str) -> None:
    """Grid lines with their tick values, and the axis label written upwards beside them."""
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QPen

    p.setFont(tick_font)
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
    p.setFont(label_font)
    p.drawText(QRectF(-(bottom - top) / 2, -12 * px, bottom - top, 24 * px), Qt.AlignmentFlag.AlignCenter, label)
    p.restore()


def _draw_marks(p, x_of, markers, shading, top, bottom, px, font) -> None:
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QPen

    left_mid = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    fill = QColor(CYCLE_FILL)
    fill.setAlpha(28)
    for start, end in shading:
        x0, x1 = x_of(start), x_of(end)
        p.fillRect(QRectF(x0, top, max(x1 - x0, 1.0), bottom - top), fill)
    p.setFont(font(14))
    rows: list[float] = []  # the right end of the last label in each row: labels never overlap
    for day, label, kind in markers:
        x = x_of(day)
        colour = QColor(MARKER_COLOURS.get(kind, "#555555"))
        p.setPen(QPen(colour, 1.6 * px, Qt.PenStyle.DashLine if kind != "botox" else Qt.PenStyle.SolidLine))
        p.drawLine(QPointF(x, top), QPointF(x, bottom))
        text = f"{label} ({day[5:]})" if len(label) < 22 else label
        w = p.fontMetrics().horizontalAdvance(text) + 8 * px
        row = next((i for i, end in enumerate(rows) if x > end), len(rows))
        if row == len(rows):
            rows.append(0.0)
        rows[row] = x + w
        p.setPen(colour)
        p.drawText(QRectF(x + 3 * px, top + 2 * px + row * 18 * px, w, 18 * px), left_mid, text)


def practice_png(weeks, series_list, *, markers=None, shading=None, title: str = "", unit: str = "mm",
                 width: int = 1500, height: int = 700) -> bytes:
    """Practice against outcome on one date axis: above, the measured coupling per side (95 % bars);
    below, practice sets per week (bars) with the share of clean attempts (dots, right axis); treatment
    events and botulinum toxin cycles across both. PNG bytes."""
    ensure_gui_app()
    from datetime import date, timedelta

    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
    from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPainterPath, QPen

    left_mid = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    centre_top = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
    px = width / 1000.0

    def font(size, bold=False):
        f = QFont("DejaVu Sans")
        f.setPixelSize(max(8, int(size * px)))
        f.setBold(bold)
        return f

    p.setFont(font(25, True))
    p.setPen(QColor("#1b1b1b"))
    p.drawText(QRectF(20 * px, 8 * px, width - 40 * px, 36 * px), left_mid, title)
    left, right = 110 * px, width - 90 * px
    top1, bottom1 = 80 * px, height * 0.5
    top2, bottom2 = bottom1 + 40 * px, height - 80 * px

    points = [pt for s in series_list for pt in s.points]
    # the span of the measurements and the practice (an old event, e.g. surgery years ago, is in the
    # report's table, not squeezing this axis); cycles are cut to it
    days = [date.fromisoformat(pt.started_at[:10]) for pt in points]
    days += [date.fromisoformat(w.week_start) for w in weeks] + [date.fromisoformat(w.week_start) + timedelta(days=7)
                                                                 for w in weeks]
    if not days:
        p.end()
        return _png(image, QBuffer, QByteArray, QIODevice)
    d0, d1 = min(days) - timedelta(days=14), max(days) + timedelta(days=14)
    markers = [m for m in markers or [] if d0 <= date.fromisoformat(m[0]) <= d1]
    shading = [(max(a, d0.isoformat()), min(b, d1.isoformat())) for a, b in shading or []
               if b >= d0.isoformat() and a <= d1.isoformat()]
    span = max((d1 - d0).days, 1)

    def x_of(day) -> float:
        if isinstance(day, str):
            day = date.fromisoformat(day[:10])
        return left + (day - d0).days / span * (right - left)

    # panel 1: coupling
    values = [v for pt in points for v in (pt.value, pt.ci_low, pt.ci_high) if v is not None and math.isfinite(v)]
    hi1 = max(values + [1.0]) * 1.1
    ticks1 = _nice_ticks(0.0, hi1)
    hi1 = max(hi1, ticks1[-1])

    def y1(v: float) -> float:
        return bottom1 - v / hi1 * (bottom1 - top1)

    # panel 2: practice
    max_sets = max([w.sets for w in weeks] + [1])
    ticks2 = [t for t in _nice_ticks(0.0, max_sets, 4) if t == int(t)]
    hi2 = max(float(max_sets), ticks2[-1])

    def y2(v: float) -> float:
        return bottom2 - v / hi2 * (bottom2 - top2)

    for ticks, y_of, t, b, label in ((ticks1, y1, top1, bottom1, unit), (ticks2, y2, top2, bottom2, "sets/week")):
        _draw_y_axis(p, ticks, y_of, t, b, left, right, px, font(16), font(17, True), label)
        p.setPen(QPen(QColor("#333"), 1.4 * px))
        p.drawLine(QPointF(left, b), QPointF(right, b))
        p.drawLine(QPointF(left, t), QPointF(left, b))

    # bands and event lines across both panels
    _draw_marks(p, x_of, markers or [], shading or [], top1, bottom2, px, font)

    # coupling per side
    legend = []
    for s in series_list:
        if not s.points:
            continue
        colour = QColor(SIDE_COLOURS.get(s.side, "#333"))
        pts = sorted(s.points, key=lambda pt: (pt.started_at, pt.session_id))
        path = QPainterPath()
        for i, pt in enumerate(pts):
            q = QPointF(x_of(pt.started_at), y1(pt.value))
            path.moveTo(q) if i == 0 else path.lineTo(q)
        p.setPen(QPen(colour, 2.2 * px))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        for pt in pts:
            x = x_of(pt.started_at)
            if pt.ci_low is not None and pt.ci_high is not None:
                p.setPen(QPen(colour, 1.6 * px))
                p.drawLine(QPointF(x, y1(pt.ci_low)), QPointF(x, y1(pt.ci_high)))
            p.setPen(QPen(colour.darker(130), 1.2 * px))
            p.setBrush(QBrush(colour))
            p.drawEllipse(QPointF(x, y1(pt.value)), 5 * px, 5 * px)
        legend.append((SIDE_LABELS.get(s.side, str(s.side)), colour))

    # practice bars and % clean (right axis 0-100 %)
    bar = QColor("#2d7a46")
    for w in weeks:
        if w.sets:
            x0, x1 = x_of(w.week_start), x_of(date.fromisoformat(w.week_start) + timedelta(days=7))
            p.fillRect(QRectF(x0 + 0.5 * px, y2(w.sets), max(x1 - x0 - 1 * px, 1.0), bottom2 - y2(w.sets)), bar)
    clean = QColor("#c0392b")
    p.setFont(font(15))
    p.setPen(clean)
    for pct in (0, 50, 100):
        y = bottom2 - pct / 100.0 * (bottom2 - top2)
        p.drawText(QRectF(right + 6 * px, y - 10 * px, 80 * px, 20 * px), left_mid, f"{pct} %")
    p.setBrush(QBrush(clean))
    p.setPen(QPen(clean.darker(120), 1 * px))
    for w in weeks:
        if w.judged:
            xm = x_of(date.fromisoformat(w.week_start) + timedelta(days=3.5))
            p.drawEllipse(QPointF(xm, bottom2 - w.clean_pct / 100.0 * (bottom2 - top2)), 3.5 * px, 3.5 * px)

    # date axis: month starts
    p.setFont(font(15))
    p.setPen(QColor("#333"))
    month = date(d0.year, d0.month, 1)
    last_x = -1e9
    while month <= d1:
        if month >= d0:
            x = x_of(month)
            p.drawLine(QPointF(x, bottom2), QPointF(x, bottom2 + 5 * px))
            if x - last_x > 70 * px:
                p.drawText(QRectF(x - 50 * px, bottom2 + 6 * px, 100 * px, 22 * px), centre_top,
                           month.strftime("%b %Y"))
                last_x = x
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)

    # legend and foot
    p.setFont(font(16))
    x = right
    items = legend + [("Practice sets a week", bar), ("% of attempts clean", clean)]
    for label, colour in reversed(items):
        w = p.fontMetrics().horizontalAdvance(label) + 30 * px
        x -= w
        p.fillRect(QRectF(x, 50 * px + 5 * px, 18 * px, 12 * px), colour)
        p.setPen(QColor("#222"))
        p.drawText(QRectF(x + 22 * px, 50 * px, w, 22 * px), left_mid, label)
        x -= 12 * px
    p.setFont(font(15))
    p.setPen(QColor("#666"))
    p.drawText(QRectF(left, height - 30 * px, right - left, 24 * px), left_mid,
               "Above: the measured coupling (bars: 95 % interval). Below: practice. Shaded: botulinum toxin cycles.")
    p.end()
    return _png(image, QBuffer, QByteArray, QIODevice)


def _png(image, QBuffer, QByteArray, QIODevice) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return bytes(data.data())
