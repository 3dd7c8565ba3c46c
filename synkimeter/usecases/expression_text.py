"""The expressions found in a clip and the eye narrowing in them, in the plain words a therapist
reads (the `analyze` summary; the report can show the same lines)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Shown per segment; a long clip lists this many and says how many more the JSON holds.
MAX_LISTED = 20
# The eFACE-style score of the healthy real faces the tool was checked on (README, "Expressions").
HEALTHY_SCORE_NOTE = "the healthy real faces checked read 93-99"

NAMES = {
    "rest": "rest",
    "smile": "smile",
    "pucker": "pucker",
    "lips_to_side": "lips pushed",
    "mouth_open": "mouth open",
    "talking": "talking",
    "brow_raise": "brow raise",
    "eye_closure": "eyes held closed",
    "snarl": "snarl",
}


def _side_words(kind: str, side: str | None) -> str:
    if not side:
        return ""
    if kind == "lips_to_side":
        return f" to the {side}"
    if kind == "pucker":
        return ""
    if side == "both":
        return ", both sides" if kind != "eye_closure" else ""
    return f", {side} side only" if kind != "eye_closure" else f", {side} eye only"


def _size_words(seg: dict) -> str:
    if seg["kind"] == "eye_closure" and seg.get("strength"):
        return f" ({seg['strength']})"
    if seg["kind"] == "pucker" and seg.get("size_pct") is not None:
        return f" (mouth {seg['size_pct']:.0f} % narrower)"
    if seg["kind"] in ("smile", "lips_to_side", "brow_raise", "mouth_open", "snarl") and seg.get("size_mm") is not None:
        what = {"smile": "corner moved", "lips_to_side": "moved", "brow_raise": "raised",
                "mouth_open": "lips apart", "snarl": "upper lip raised"}[seg["kind"]]
        return f" ({what} {seg['size_mm']:.1f} mm)"
    return ""


def _when(seg: dict) -> str:
    start, end = seg.get("start_s"), seg.get("end_s")
    return "-" if start is None or end is None else f"{start:.1f}-{end:.1f} s"


def segment_line(seg: dict) -> str:
    when = _when(seg)
    return f"{when:>13}  {NAMES.get(seg['kind'], seg['kind'])}{_side_words(seg['kind'], seg['side'])}{_size_words(seg)}"


def _pct_interval(n: dict) -> str:
    lo, hi = n["ci95_pct"]
    if n["pct"] is None:
        return "-"
    # An eye cannot narrow by more than all of it: the interval's normal approximation can.
    return f"{_whole(n['pct'])} %" + ("" if lo is None else f" ({_whole(lo)} to {_whole(min(hi, 100.0))})")


def _whole(x: float) -> str:
    """A whole number, never '-0'."""
    return str(int(round(x)))


def format_expressions(segments, oo) -> list[str]:
    """Lines for the `analyze` summary from a result's `expressions` and `oral_ocular` documents;
    empty when the clip was not looked at for expressions."""
    if segments is None or oo is None:
        return []
    lines = ["", "  Expressions found (subject's sides; sizes against the clip's rest):"]
    if not segments:
        lines.append("    none (no rest, smile, pucker or other expression held for 0.3 s)")
    for seg in segments[:MAX_LISTED]:
        line = segment_line(seg)
        if seg["kind"] == "rest" and not oo.get("rest_found", True):
            # No still, lips-together stretch: the levels are the clip's typical face, not a rest.
            line = line.replace("rest", "no expression held", 1)
        lines.append(f"  {line}")
    if len(segments) > MAX_LISTED:
        lines.append(f"    ... and {len(segments) - MAX_LISTED} more (all of them in --json)")
    rows = [s for s in oo.get("segments", []) if s["narrowing"]["right"]["pct"] is not None
            or s["narrowing"]["left"]["pct"] is not None]
    if not rows:
        return lines
    lines.append("")
    lines.append("  Eye narrowing during mouth movement (oral-ocular synkinesis), against each eye's rest")
    lines.append("  opening, 95 % interval in brackets; negative = wider than at rest:")
    lines.append(f"    {'':42}{'right eye':>18}{'left eye':>18}")
    for s in rows[:MAX_LISTED]:
        when = _when(s)
        label = f"{when:>11}  {NAMES.get(s['kind'], s['kind'])}{_side_words(s['kind'], s['side'])}"
        lines.append(f"    {label:42}{_pct_interval(s['narrowing']['right']):>18}"
                     f"{_pct_interval(s['narrowing']['left']):>18}")
    for task, words in (("smile", "all two-sided smiles"), ("pucker", "all puckers")):
        pooled = oo.get("narrowing", {}).get(task)
        if pooled:
            lines.append(f"    {words:>42}{_pct_interval(pooled['right']):>18}{_pct_interval(pooled['left']):>18}")
    score = oo.get("ocular_synkinesis", {})
    if score.get("score") is not None:
        lo, hi = score["ci95"]
        # Which eye narrows more is said only when the interval leaves out "none" (100).
        more = f"; the {score['affected_side']} eye narrows more" if hi is not None and hi < 100 else ""
        lines.append(f"  Ocular synkinesis score (eFACE-style): {score['score']:.0f} of 100, 95 % interval "
                     f"{lo:.0f} to {hi:.0f}{more}.")
        lines.append(f"    100 = the eyes do not narrow with mouth movement; {HEALTHY_SCORE_NOTE}.")
    return lines


def narrowing_rows(oral_ocular: Mapping[str, Any] | None) -> list[tuple[str, str, str, str]]:
    """(time, expression, right eye, left eye) for every smile, pucker and sideways push of a clip's
    oral-ocular result (`ClipResult.oral_ocular`) whose narrowing could be measured, for tables (the report)."""
    rows = []
    for s in (oral_ocular or {}).get("segments", []):
        right, left = s["narrowing"]["right"], s["narrowing"]["left"]
        if right["pct"] is None and left["pct"] is None:
            continue
        rows.append((_when(s),
                     f"{NAMES.get(s['kind'], s['kind'])}{_side_words(s['kind'], s['side'])}",
                     _pct_interval(right), _pct_interval(left)))
    return rows
