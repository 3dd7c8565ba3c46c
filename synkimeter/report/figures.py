"""The report's figures, drawn with matplotlib as vector SVG (and JPEG for the face pictures).

matplotlib is imported here, when a report is made, never at start-up, and only its non-GUI parts
(`matplotlib.figure.Figure` saved through the SVG and Agg backends; pyplot and GUI backends are never
touched). Every trend stands on a date axis (sessions placed by their dates and times), with each
value's 95 % interval as an error bar, the baseline ringed, treatment events as labelled vertical
lines and botulinum toxin cycles shaded.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SIDE_COLOURS = {"right": "#1f5fa8", "left": "#d9731a", None: "#2d7a46"}
SIDE_LABELS = {"right": "Right side (subject's)", "left": "Left side (subject's)", None: "Score"}
SIDE_MARKERS = {"right": "o", "left": "s", None: "D"}
EVENT_COLOUR = "#7a3e9d"
CYCLE_SHADE = "#efe6f5"
STYLE = {"font.family": "DejaVu Sans", "font.size": 8.5, "axes.titlesize": 10, "axes.titleweight": "bold",
         "axes.spines.top": False, "axes.spines.right": False, "svg.fonttype": "path",
         "axes.grid": True, "grid.color": "#e3e3e3", "grid.linewidth": 0.6}
WIDTH_IN = 7.2  # an A4 page's text width
_EMPTY_GLYPH = re.compile(rb'<path id="([^"]+)" transform="[^"]*"/>\s*')


def new_figure(height_in: float, rows: int = 1, cols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(STYLE)  # type: ignore[arg-type,unused-ignore]  # the stubs type each key
    fig = Figure(figsize=(WIDTH_IN, height_in), layout="constrained")
    return fig, fig.subplots(rows, cols, **kwargs)


def when(started_at: str) -> datetime:
    """A session's time as the x of a trend (its date, and its time of day when stored)."""
    return datetime.fromisoformat(started_at[:19]) if len(started_at) > 10 else datetime.fromisoformat(started_at[:10])


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text[:10])


def _x(moment: datetime) -> float:
    """matplotlib's date number (days) of a moment: the date axis' x."""
    from matplotlib.dates import date2num

    return float(date2num(moment))


def _date_axis(ax: Axes, lo: datetime, hi: datetime) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    pad = max((hi - lo) * 0.06, timedelta(days=3))
    ax.set_xlim(_x(lo - pad), _x(hi + pad))
    locator = AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _span(points_x: list[datetime], markers, shading) -> tuple[datetime, datetime] | None:
    """The axis' span: the sessions, and the treatments that fall near them (an old event, e.g.
    surgery years ago, is in the report's table rather than squeezing the axis)."""
    if not points_x:
        return None
    lo, hi = min(points_x), max(points_x)
    near = timedelta(days=120)
    for d, *_ in markers or ():
        if lo - near <= _day(d) <= hi + near:
            lo, hi = min(lo, _day(d)), max(hi, _day(d))
    return lo, hi


def _draw_treatments(ax: Axes, markers, shading, lo: datetime, hi: datetime, labels: bool = True) -> None:
    from matplotlib.dates import num2date

    # cut to the axis here: Qt's SVG renderer (the PDF) does not apply SVG clip paths
    left, right = (num2date(x).replace(tzinfo=None) for x in ax.get_xlim())
    for start, end in shading or ():
        s, e = max(_day(start), left), min(_day(end), right)
        if s < e:
            ax.axvspan(_x(s), _x(e), color=CYCLE_SHADE, zorder=0, lw=0)
    for d, label, _kind in markers or ():
        x = _day(d)
        if not lo - timedelta(days=120) <= x <= hi + timedelta(days=120):
            continue
        ax.axvline(_x(x), color=EVENT_COLOUR, lw=1.3, ls=(0, (5, 2.5)), zorder=1)
        if labels:
            ax.annotate(label, (_x(x), 1.0), xycoords=("data", "axes fraction"), xytext=(3, -2),
                        textcoords="offset points", va="top", ha="left", fontsize=7, color=EVENT_COLOUR)


def _draw_series(ax: Axes, series_list) -> list[datetime]:
    xs: list[datetime] = []
    for s in series_list:
        pts = sorted(s.points, key=lambda p: (p.started_at, p.session_id))
        if not pts:
            continue
        x = [when(p.started_at) for p in pts]
        y = [p.value for p in pts]
        lower = [p.value - p.ci_low if p.ci_low is not None else 0.0 for p in pts]
        upper = [p.ci_high - p.value if p.ci_high is not None else 0.0 for p in pts]
        colour = SIDE_COLOURS.get(s.side, "#333333")
        ax.errorbar([_x(xi) for xi in x], y, yerr=[lower, upper], color=colour, marker=SIDE_MARKERS.get(s.side, "o"),
                    ms=4.5, lw=1.4, capsize=3, elinewidth=1.0, label=SIDE_LABELS.get(s.side, str(s.side)), zorder=3)
        base = [(xi, p.value) for xi, p in zip(x, pts) if p.baseline]
        if base:
            ax.plot([_x(b[0]) for b in base], [b[1] for b in base], ls="none", marker="o", ms=10, mfc="none",
                    mec="#1b1b1b", mew=1.0, zorder=4)
        xs += x
    return xs


def trend_figure(series_list, title: str, unit: str, *, bands: list[tuple[float, str]] | None = None,
                 y_range: tuple[float, float] | None = None, markers: list[tuple[str, str, str]] | None = None,
                 shading: list[tuple[str, str]] | None = None, latest_note: str | None = None) -> Figure:
    """One metric over time: a line per side with 95 % interval bars, on a date axis; the baseline
    ringed; `bands` (value, label) as dashed reference lines; `markers` (date, label, kind) treatment
    events; `shading` (start, end) botulinum toxin cycles; `latest_note` beside the latest session."""
    fig, ax = new_figure(2.6)
    xs = _draw_series(ax, series_list)
    ax.set_title(title, loc="left")
    ax.set_ylabel(unit)
    span = _span(xs, markers, shading)
    if span is not None:
        _date_axis(ax, *span)
        _draw_treatments(ax, markers, shading, *span)
    for value, label in bands or ():
        ax.axhline(value, color="#9a9a9a", lw=0.9, zorder=1)
        ax.annotate(label, (1.0, value), xycoords=("axes fraction", "data"), xytext=(-2, 2),
                    textcoords="offset points", ha="right", va="bottom", fontsize=7, color="#666666")
    if y_range is not None:
        ax.set_ylim(*y_range)
    else:
        lo, hi = ax.get_ylim()
        ax.set_ylim(min(lo, 0.0), hi)
    if latest_note and xs:
        ax.annotate(latest_note, (_x(max(xs)), 0.02), xycoords=("data", "axes fraction"), xytext=(-3, 0),
                    textcoords="offset points", ha="right", va="bottom", fontsize=7, color=EVENT_COLOUR)
    handles, labels = ax.get_legend_handles_labels()
    if any(s.points for s in series_list if s.side is not None) or shading:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles.append(Line2D([], [], ls="none", marker="o", ms=9, mfc="none", mec="#1b1b1b"))
        labels.append("baseline")
        if shading:
            handles.append(Patch(color=CYCLE_SHADE))
            labels.append("botulinum toxin cycle")
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    return fig


def practice_figure(weeks, series_list, *, markers=None, shading=None, title: str = "", unit: str = "mm") -> Figure:
    """Practice against outcome on one date axis: above, the measured coupling per side (95 % bars);
    below, practice sets per week (bars) and the share of clean attempts (dots, right axis)."""
    fig, (top, bottom) = new_figure(3.6, rows=2, sharex=True, height_ratios=[1.2, 1.0])
    xs = _draw_series(top, series_list)
    top.set_title(title, loc="left")
    top.set_ylabel(unit)
    top.set_ylim(bottom=min(0.0, top.get_ylim()[0]))
    starts = [_day(w.week_start) for w in weeks]
    bottom.bar([_x(s + timedelta(days=3.5)) for s in starts], [w.sets for w in weeks], width=6.0, color="#9fb3c8",
               label="practice sets per week")
    bottom.set_ylabel("sets per week")
    clean = [(_x(s + timedelta(days=3.5)), 100.0 * w.clean / w.judged) for s, w in zip(starts, weeks) if w.judged]
    twin = bottom.twinx()
    twin.spines["right"].set_visible(True)
    twin.grid(False)
    if clean:
        twin.plot([c[0] for c in clean], [c[1] for c in clean], ls="none", marker="o", ms=3.5, color="#1d6b34",
                  label="clean attempts, %")
    twin.set_ylim(0, 100)
    twin.set_ylabel("clean attempts, %")
    span = _span(xs + starts + [s + timedelta(days=7) for s in starts], markers, shading)
    if span is not None:
        _date_axis(bottom, *span)
        _draw_treatments(top, markers, shading, *span)
        _draw_treatments(bottom, markers, shading, *span, labels=False)
    # one legend for both panels, beside the upper one (the lower one's right axis has its label there)
    handles, labels = [], []
    for ax in (top, bottom, twin):
        h, lab = ax.get_legend_handles_labels()
        handles += h
        labels += lab
    top.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    return fig


def svg_bytes(fig: Figure) -> bytes:
    """The figure as SVG (text drawn as paths, so it needs no font where it is shown). A glyph with
    no outline (the space) is left out with its uses: Qt's SVG renderer (the PDF) rejects a path
    without data."""
    out = io.BytesIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    data = out.getvalue()
    for glyph in set(_EMPTY_GLYPH.findall(data)):
        data = re.sub(rb'<use xlink:href="#' + re.escape(glyph) + rb'"[^>]*/>\s*', b"", data)
    return _EMPTY_GLYPH.sub(b"", data)


def jpeg_bytes(fig: Figure, dpi: int = 150, quality: int = 85) -> bytes:
    """The figure as JPEG: for photographs (the face pictures), a fifth of a PNG's size."""
    out = io.BytesIO()
    fig.savefig(out, format="jpeg", dpi=dpi, pil_kwargs={"quality": quality, "optimize": True})
    return out.getvalue()
