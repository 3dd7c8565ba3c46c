"""Oral-ocular synkinesis from any clip: how much each eye narrows during the smiles, puckers and
sideways lip pushes the expression finder (`core.expressions`) found, against that eye's rest.

The guided protocol cuts rest, smile and pucker into clips of their own; here they are stretches of
one clip, and the same functions measure them (`core.oral_ocular`): the rest level is the median
fissure over the clip's rest frames, a task's level the low percentile of the smoothed fissure over
its stretch, narrowing % = 100 x (1 - task / rest) with a 95 % interval from a block bootstrap of
both. Blinks are left out of both with a margin; held closures are left out of rest but kept in a
task (an eye that closes during a pucker is exactly what is measured).

The eFACE-style score pools every pucker, and every smile of both sides (a one-sided smile moves
one side's face only, so comparing the eyes would read the smile, not synkinesis); each segment's
own narrowing is reported as well, a one-sided smile's and a sideways push's included.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from synkimeter.core.anatomy import MEASURED, SIDES
from synkimeter.core.expressions import (
    BOTH,
    LIPS_TO_SIDE,
    PUCKER,
    SMILE,
    Expressions,
    ExpressionSegment,
    closure_spans,
    find_expressions,
)
from synkimeter.core.oral_ocular import (
    FissureLevel,
    Narrowing,
    OcularScore,
    event_mask,
    fissure_level,
    narrowing,
    ocular_synkinesis_score,
    summary_dict,
)
from synkimeter.core.params import DEFAULT_MEASUREMENT, MeasurementParams

MOUTH_TASKS = (SMILE, PUCKER, LIPS_TO_SIDE)
# The rest level's bootstrap holds resamples x frames numbers: an hour of rest would need gigabytes,
# and a few minutes of rest settle the median as well.
MAX_REST_FRAMES = 3000


@dataclass(frozen=True)
class SegmentNarrowing:
    segment: ExpressionSegment
    narrowing: dict[str, Narrowing]  # by the subject's side


@dataclass(frozen=True)
class SegmentOralOcular:
    rest: dict[str, FissureLevel]  # each eye's open level over the clip's rest frames
    segments: list[SegmentNarrowing]  # every smile, pucker and sideways push
    by_task: dict[str, dict[str, Narrowing]]  # pooled: "pucker", "smile" (two-sided smiles only)
    score: OcularScore


def _frames(t: np.ndarray, segments: list[ExpressionSegment]) -> np.ndarray:
    return event_mask(t, [s.start_s for s in segments], [s.end_s for s in segments])


def segment_oral_ocular(timestamps_s: np.ndarray, fissure_mm: dict[str, np.ndarray], rest_frames: np.ndarray,
                        segments: list[ExpressionSegment], blinks, affected_side: str | None = None,
                        params: MeasurementParams = DEFAULT_MEASUREMENT) -> SegmentOralOcular:
    t = np.asarray(timestamps_s, dtype=np.float64)
    voluntary = np.asarray(blinks.voluntary, dtype=bool)
    margin = float(params.fissure_blink_margin_s)
    blinking = event_mask(t, np.asarray(blinks.onset_s)[~voluntary], np.asarray(blinks.offset_s)[~voluntary], margin)
    closed = event_mask(t, blinks.onset_s, blinks.offset_s, margin)
    rest_use = np.asarray(rest_frames, dtype=bool) & ~closed
    if rest_use.sum() > MAX_REST_FRAMES:
        rest_use &= np.cumsum(rest_use) <= MAX_REST_FRAMES
    rest = {side: fissure_level(t, fissure_mm[side], ~rest_use, "open", params) for side in SIDES}

    def task_levels(mask: np.ndarray) -> dict[str, Narrowing]:
        return {side: narrowing(rest[side], fissure_level(t, fissure_mm[side], ~mask | blinking, "active", params))
                for side in SIDES}

    # Eyes held closed on purpose before a mouth movement began are not narrowed by it: a segment
    # that starts in a held closure's span is measured without that closure's frames (one that began
    # before the eyes closed keeps them: the eye closing during a smile is what is measured).
    first, last = (edge[np.asarray(blinks.shut, dtype=bool)] for edge in closure_spans(blinks, params))

    def own_frames(s: ExpressionSegment) -> np.ndarray:
        began_in = (first <= s.start_s) & (s.start_s <= last)
        return _frames(t, [s]) & ~event_mask(t, first[began_in], last[began_in])

    def frames_of(chosen: list[ExpressionSegment]) -> np.ndarray:
        return np.logical_or.reduce([own_frames(s) for s in chosen])

    per_segment = [SegmentNarrowing(s, task_levels(own_frames(s))) for s in segments if s.kind in MOUTH_TASKS]
    pooled = {PUCKER: [s for s in segments if s.kind == PUCKER],
              SMILE: [s for s in segments if s.kind == SMILE and s.side == BOTH]}
    by_task = {task: task_levels(frames_of(chosen)) for task, chosen in pooled.items() if chosen}
    score = ocular_synkinesis_score(by_task, affected_side, params)
    return SegmentOralOcular(rest, per_segment, by_task, score)


def clip_expressions(analysis, points: np.ndarray, affected_side: str | None = None,
                     params: MeasurementParams = DEFAULT_MEASUREMENT) -> tuple[Expressions, SegmentOralOcular]:
    """Expressions and their oral-ocular result for an analysed clip (`core.analysis.ClipAnalysis`)
    and its landmarks (T, 478, 3) or the packed `MEASURED` subset."""
    packed = MEASURED.take(np.asarray(points))
    if packed.shape[0] != np.asarray(analysis.timestamps_s).shape[0]:
        raise ValueError(f"the landmarks hold {packed.shape[0]} frames, the analysis {len(analysis.timestamps_s)}")
    found = find_expressions(analysis.timestamps_s, packed, MEASURED, analysis.alignment.reference,
                             analysis.mm_per_px, analysis.blinks, params)
    result = segment_oral_ocular(analysis.timestamps_s, found.geometry.fissure_mm, found.rest_frames,
                                 found.segments, analysis.blinks, affected_side, params)
    return found, result


def _f(x, digits: int = 2):
    x = float(x)
    return round(x, digits) if np.isfinite(x) else None


def segment_dict(s: ExpressionSegment) -> dict:
    return {"kind": s.kind, "start_s": _f(s.start_s, 3), "end_s": _f(s.end_s, 3), "side": s.side or None,
            "confidence": _f(s.confidence), "size_mm": _f(s.size_mm, 1), "size_pct": _f(s.size_pct, 1),
            "strength": s.strength or None}


def expressions_summary(found: Expressions) -> list[dict]:
    """JSON-ready list of segments, in time order."""
    return [segment_dict(s) for s in found.segments]


def oral_ocular_summary(result: SegmentOralOcular, rest_found: bool = True) -> dict:
    """JSON-ready: each eye's rest level, every mouth segment's narrowing per side, the pooled
    narrowing per task and the eFACE-style score (as `core.oral_ocular.summary_dict`)."""
    pooled = summary_dict(result.by_task, result.score)
    return {
        "rest_found": bool(rest_found),
        "rest_mm": {side: {"mm": _f(level.mm, 3), "se_mm": _f(level.se_mm, 3), "frames": level.n_frames}
                    for side, level in result.rest.items()},
        "segments": [
            {**segment_dict(item.segment),
             "narrowing": {side: {"pct": _f(n.pct, 1), "ci95_pct": [_f(n.ci95_pct[0], 1), _f(n.ci95_pct[1], 1)],
                                  "task_mm": _f(n.task_mm, 3)}
                           for side, n in item.narrowing.items()}}
            for item in result.segments
        ],
        **pooled,
    }


def add_expressions(analysis, points: np.ndarray, affected_side: str | None = None,
                    params: MeasurementParams = DEFAULT_MEASUREMENT) -> None:
    """Find the expressions of an analysed clip and put them, with their oral-ocular result, in the
    analysis and its result (`expressions`, `oral_ocular`)."""
    found, result = clip_expressions(analysis, points, affected_side, params)
    analysis.expressions, analysis.oral_ocular = found, result
    warnings = tuple(analysis.result.warnings)
    # Said only when some expression was measured against that stand-in for a rest (a clip with
    # nothing but its typical face has no size to doubt).
    if not found.rest_found and any(seg.kind != "rest" for seg in found.segments):
        warnings += ("No still moment with the lips together was found, so expressions are measured against the "
                     "clip's typical face, not its rest: start a recording with a second of relaxed face.",)
    analysis.result = replace(analysis.result, expressions=tuple(expressions_summary(found)),
                              oral_ocular=oral_ocular_summary(result, found.rest_found), warnings=warnings)
