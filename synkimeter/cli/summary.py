"""What `synkimeter analyze` prints: the summary a therapist reads, and the table of every blink."""

from __future__ import annotations

from typing import Callable

from synkimeter import __version__
from synkimeter.cli.analyze import HEADLINE
from synkimeter.core.closure import closure_side
from synkimeter.core.ocular_oral import REASON_VOLUNTARY
from synkimeter.core.results import UNDETERMINED, ClipResult, ClosureCoupling, SideCoupling, number
from synkimeter.usecases.expression_text import format_expressions
from synkimeter.usecases.settings import DEFAULT_SETTINGS

SEVERITY_WORDS = {
    "none": "none (within what healthy faces show)",
    "mild": "mild (under 1 mm)",
    "moderate": "moderate (1-2 mm)",
    "severe": "severe (over 2 mm)",
    "undetermined": "not determined (the notes below say why)",
}


def _nan(x: float | None) -> float:
    """A number as the result document holds it (rounded there), NaN where it holds none: what is
    printed matches what --json writes."""
    v = number(x)
    return float("nan") if v is None else v


def _known(x: float | None) -> bool:
    return number(x) is not None


def _mm(x: float, digits: int = 2) -> str:
    return f"{_nan(x):.{digits}f} mm" if _known(x) else "-"


def _pct(x: float) -> str:
    return f"{100 * _nan(x):.0f} %" if _known(x) else "-"


def _interval(lo_hi: tuple[float, float]) -> str:
    return f"{_nan(lo_hi[0]):.2f} to {_nan(lo_hi[1]):.2f} mm" if _known(lo_hi[0]) else "-"


def _two(x: float) -> float:
    """`x` as printed with two decimals, so sums of printed figures add up as printed."""
    return float(f"{_nan(x):.2f}")


def _header(r: ClipResult) -> list[str]:
    lines = [f"synkimeter {__version__}: {r.source or ''}"]
    pct = 100.0 * r.face_frames / r.frames if r.frames else 0.0
    lines.append(f"  {_nan(r.duration_s):.1f} s, {r.frames} frames at {_nan(r.fps):.1f} frames/s; "
                 f"face found in {r.face_frames} frames ({pct:.0f} %)")
    rel = 100 * (number(r.mm_per_px_uncertainty) or 0) / (number(r.mm_per_px) or 1)
    lines.append(f"  Scale from the iris: {_nan(r.iris_px):.1f} px across -> {_nan(r.mm_per_px):.3f} mm per pixel "
                 f"(+/- {rel:.0f} %)")
    c = r.blink_counts
    lines.append(f"  Blinks: {c.total} (both eyes {c.both}, "
                 f"right eye only {c.right_only}, left eye only {c.left_only}); {c.scored} scored"
                 + (f"; {len(r.eye_closures)} long eye closure(s) reported apart" if r.eye_closures else ""))
    return lines


# The label column of the per-side tables (blinks, held closures): one width, so their columns line up.
LABEL_WIDTH = 36


def _side_table(rows, right, left) -> list[str]:
    """A per-side table: the 'right side'/'left side' header and one line per (label, format) row."""
    return [f"    {'':{LABEL_WIDTH}}{'right side':>17}{'left side':>17}",
            *(f"    {label:{LABEL_WIDTH}}{fmt(right):>17}{fmt(left):>17}" for label, fmt in rows)]


def _ocular_oral(r: ClipResult) -> list[str]:
    oo = r.ocular_oral
    threshold = f"{DEFAULT_SETTINGS.coupled_threshold_mm:g} mm"
    rows: list[tuple[str, Callable[[SideCoupling], str]]] = [
        (f"headline: {HEADLINE}", lambda d: _mm(d.average_peak_mm)),
        ("  95 % interval", lambda d: _interval(d.average_ci95_mm)),
        ("typical single blink (median)", lambda d: _mm(d.median_mm)),
        ("  95 % interval", lambda d: _interval(d.ci95_mm)),
        (f"blinks that moved it over {threshold}", lambda d: _pct(d.coupled_fraction)),
        ("moves with the eyelid (-1 to 1)", lambda d: f"{_nan(d.correlation):.2f}" if _known(d.correlation) else "-"),
        ("blinks scored", lambda d: str(d.n)),
    ]
    lines = ["", "  Mouth-corner movement during blinks (ocular-oral synkinesis), subject's sides:",
             *_side_table(rows, oo.right, oo.left), ""]
    if oo.severity == UNDETERMINED:
        lines.append(f"  Verdict: {SEVERITY_WORDS[UNDETERMINED]}")
        return lines
    side = f"{oo.affected_side} side affected" if oo.affected_side else "neither side stands out"
    lines.append(f"  Verdict, from the headline row: {side}; severity: {SEVERITY_WORDS.get(oo.severity, oo.severity)}")
    if _known(oo.right.average_peak_mm) and _known(oo.left.average_peak_mm):
        right, left = _two(oo.right.average_peak_mm), _two(oo.left.average_peak_mm)
        lines.append(f"  Asymmetry, right minus left on the headline row: {right:.2f} - {left:.2f} "
                     f"= {right - left:.2f} mm")
    return lines


def _expressions(r: ClipResult) -> list[str]:
    return format_expressions(r.expressions, r.oral_ocular)


def _notes(r: ClipResult) -> list[str]:
    notes = list(dict.fromkeys(r.warnings))  # each note once, in the order they came
    if not notes:
        return []
    return ["", "  Notes:", *(f"    - {w}" for w in notes)]


def format_closure_coupling(r: ClipResult) -> list[str]:
    """The block on the mouth during held eye closures (core.closure), when the clip holds any."""
    cc = r.closure_ocular_oral
    if not r.eye_closures and cc.right is None and cc.left is None:
        return []
    rows: list[tuple[str, Callable[[ClosureCoupling | None], str]]] = [
        ("median of closures", lambda d: _mm(d.median_mm) if d else "-"),
        ("  95 % interval", lambda d: _interval(d.ci95_mm) if d else "-"),
        ("closures measured", lambda d: str(d.n) if d else "0"),
    ]
    lines = ["", "  Mouth-corner movement during held eye closures (ocular-oral synkinesis), against the rest",
             "  just before each closure, subject's sides:", *_side_table(rows, cc.right, cc.left)]
    side = closure_side(cc, DEFAULT_SETTINGS)
    if side:
        lines.append(f"  The {side} mouth corner moves more while the eyes are held closed.")
    if cc.right is None and cc.left is None:  # none measured: say why, closure by closure
        lines += [f"  The closure at {_nan(c.onset_s):.1f}-{_nan(c.offset_s):.1f} s was not measured: {c.reason}."
                  for c in r.eye_closures if c.reason and c.reason != REASON_VOLUNTARY]
    return lines


# The summary's sections in the order printed; each takes the clip's result and gives its lines
# (none when it has nothing to say). A new block is one more function here.
SECTIONS: tuple[Callable[[ClipResult], list[str]], ...] = (
    _header, _ocular_oral, format_closure_coupling, _expressions, _notes)


def format_summary(result: ClipResult) -> str:
    """The short readable summary a therapist reads after `analyze`."""
    return "\n".join(line for section in SECTIONS for line in section(result))


def format_blink_table(result: ClipResult) -> str:
    lines = ["   #  eye    onset s  apex s  dur ms  closure R/L  complete  mouth R mm  mouth L mm  scored"]
    # Blinks and long closures in the order they happened; a row that is not scored shows no
    # millimetres (talking reads as 10-20 mm of "movement"), only why.
    rows = sorted(result.blinks + result.eye_closures, key=lambda b: _nan(b.onset_s))

    def mouth(v: float) -> str:
        return f"{_nan(v):10.2f}" if _known(v) else f"{'-':>10}"

    for i, b in enumerate(rows, 1):
        cr, cl = b.closure["right"], b.closure["left"]
        mr, ml = (b.mouth_mm["right"], b.mouth_mm["left"]) if b.scored else (float("nan"), float("nan"))
        lines.append(
            f"  {i:2d}  {b.eye:5}  {_nan(b.onset_s):7.2f}  {_nan(b.apex_s):6.2f}  {1000 * _nan(b.duration_s):6.0f}"
            f"  {_nan(cr):4.2f}/{_nan(cl):4.2f}"
            f"  {'yes' if b.complete else 'partial':8}  {mouth(mr)}"
            f"  {mouth(ml)}  {'yes' if b.scored else 'no: ' + str(b.reason)}"
        )
    return "\n".join(lines)
