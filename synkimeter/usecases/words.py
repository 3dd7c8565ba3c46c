"""Numbers in a patient's words: one formatting of a number (never "-0.00"), and the mouth-corner
movement with its band (healthy / mild / moderate / severe, the core's severity bands:
`core.ocular_oral.severity` on `MeasurementParams.healthy_floor_mm`, `moderate_mm`, `severe_mm`) and
the healthy range in words. The window's patient screens use these; therapist views add their own
detail (intervals' floors, noise) beside them."""

from __future__ import annotations

import math

from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings

DASH = "–"
# severity()'s word -> the band's name on a patient screen
BAND = {"none": "healthy", "mild": "mild", "moderate": "moderate", "severe": "severe"}
# where the value sits against the healthy range, in words
BAND_WORDS = {"healthy": "within the healthy range", "mild": "a little above the healthy range",
              "moderate": "above the healthy range", "severe": "well above the healthy range"}


def fixed(value: float | None, digits: int = 1) -> str:
    """`value` with `digits` decimals; '–' when unknown; a value that rounds to zero has no sign
    (never "-0.00")."""
    if value is None or not math.isfinite(value):
        return DASH
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def signed(value: float | None, digits: int = 1) -> str:
    """With its sign (a true minus), except a value that rounds to zero ("0.00", never "-0.00")."""
    if value is None or not math.isfinite(value):
        return DASH
    text = fixed(value, digits)
    if float(text) == 0:
        return text
    return ("+" + text) if value > 0 else text.replace("-", "\u2212")


def mm(value: float | None, digits: int = 1) -> str:
    return DASH if value is None or not math.isfinite(value) else f"{fixed(value, digits)} mm"


def interval(low: float | None, high: float | None, digits: int = 1, unit: str = "mm") -> str:
    """'0.7–1.1 mm' ('' when unknown)."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return ""
    return f"{fixed(low, digits)}–{fixed(high, digits)}{' ' + unit if unit else ''}"


def band(value_mm: float | None, params: Settings = DEFAULT_SETTINGS) -> str:
    """'healthy', 'mild', 'moderate' or 'severe' for a blink-averaged movement ('' when unknown)."""
    from synkimeter.core.ocular_oral import severity  # numpy: not loaded with the command line's parser

    if value_mm is None or not math.isfinite(value_mm):
        return ""
    return BAND[severity(float(value_mm), params)]


def healthy_range(params: Settings = DEFAULT_SETTINGS) -> str:
    return f"up to {fixed(params.healthy_floor_mm, 2)} mm"


def healthy_blink_range(params: Settings = DEFAULT_SETTINGS) -> str:
    """'up to 1.5 mm': how far one blink of a healthy face moves a mouth corner (a single blink's own
    peak carries its jitter, so its range is wider than the blink-averaged one)."""
    return f"up to {fixed(params.healthy_blink_peak_mm)} mm"


def resting_height_words(diff_mm: float, params: Settings = DEFAULT_SETTINGS) -> str:
    """'within the healthy range (up to 2.5 mm)': a height difference of the mouth corners at rest
    against what healthy faces show (`Settings.resting_height_healthy_mm`)."""
    limit = params.resting_height_healthy_mm
    where = "within" if abs(diff_mm) <= limit else "above"
    return f"{where} the healthy range (up to {fixed(limit)} mm)"


def blink_peak_words(value_mm: float, params: Settings = DEFAULT_SETTINGS) -> str:
    """One blink's own peak against what one blink of a healthy face reaches ('above the healthy range
    for one blink (up to 1.5 mm)'): a single blink moves more than the blink-averaged bands allow."""
    where = "within" if value_mm <= params.healthy_blink_peak_mm else "above"
    return f"{where} the healthy range for one blink ({healthy_blink_range(params)})"


def band_words(value_mm: float | None, params: Settings = DEFAULT_SETTINGS) -> str:
    """'mild: a little above the healthy range (up to 0.75 mm)' ('' when unknown)."""
    name = band(value_mm, params)
    if not name:
        return ""
    return f"{name}: {BAND_WORDS[name]} ({healthy_range(params)})"


def movement_words(value_mm: float | None, low: float | None = None, high: float | None = None,
                   params: Settings = DEFAULT_SETTINGS) -> str:
    """'0.9 mm (0.7–1.1 mm) – mild: a little above the healthy range (up to 0.75 mm)'."""
    if value_mm is None or not math.isfinite(value_mm):
        return DASH
    ci = interval(low, high)
    return f"{mm(value_mm)}{f' ({ci})' if ci else ''} – {band_words(value_mm, params)}"


def change_words(before_mm: float, after_mm: float, verdict: str, params: Settings = DEFAULT_SETTINGS) -> str:
    """'0.9 mm – better, still a little above the healthy range': the latest value, which way it
    went (only when the change is real), and where it sits against the healthy range."""
    name = band(after_mm, params)
    where = BAND_WORDS.get(name, "")
    way = {"improved": "better", "worse": "more than before"}.get(verdict, "")
    if way and name != "healthy":
        where = f"still {where}" if way == "better" else where
    elif way == "better":
        where = f"now {where}"
    return f"{mm(after_mm)} – " + ", ".join(w for w in (way, where) if w)


__all__ = ["band", "band_words", "change_words", "fixed", "healthy_blink_range", "healthy_range", "interval", "mm",
           "movement_words", "resting_height_words", "signed"]
