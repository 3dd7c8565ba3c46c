"""The live measurement, one frame at a time, with no Qt and no OpenCV.

`LiveEngine` keeps the last `live_buffer_s` seconds of frames (timestamps and the packed `MEASURED`
landmarks) in a fixed-size ring buffer. `update()` re-runs the very same
`core.analysis.analyze_landmarks` the offline analysis uses over that buffer and returns a
`LiveSnapshot`: current eye closure, per-frame symmetry, the blinks that are now final (each counted
once for the whole session, recognised across updates by its apex time), per-side mouth movement at
the latest blink and the session's running median, a notice about the face, and series for plots.

    engine = LiveEngine()
    for t, points in frames:            # points: (478, 3) pixels, NaN/None when no face
        engine.push(t, points)
        snapshot = engine.update()      # a few times a second is plenty

Memory is bounded: the buffer never grows, and the session keeps a few numbers per blink.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from synkimeter.core.align import apply_similarity, similarity_transforms
from synkimeter.core.analysis import ClipAnalysis, analyze_landmarks, head_within_range
from synkimeter.core.anatomy import COMMISSURE, HEAD_ANCHORS, MEASURED, N_LANDMARKS, SIDES
from synkimeter.core.blinks import EYE_NAMES
from synkimeter.core.expressions import REST, find_expressions
from synkimeter.core.eyes import openness
from synkimeter.core.ocular_oral import average_movement, blink_traces, bta_trigger_s, final_after_offset_s
from synkimeter.core.symmetry import facing_yaw_deg, iris_diameter_image_px, symmetry
from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings

# Notices about the face, newest frame first. The text is what the window shows.
NOTICE_WAITING = "waiting"
NOTICE_NO_FACE = "no_face"
NOTICE_TOO_FAR = "too_far"
NOTICE_TURNED = "turned"
NOTICE_OK = "ok"
NOTICE_TALKING = "talking"  # the mouth is moving (talking, a smile or pucker held): blinks are not counted
NOTICE_TEXT = {
    NOTICE_WAITING: "Waiting for the picture…",
    NOTICE_NO_FACE: "Looking for your face…",
    NOTICE_TOO_FAR: "Please move closer to the camera",
    NOTICE_TURNED: "Please face the camera",
    NOTICE_OK: "Face found – blink naturally",
    NOTICE_TALKING: "Keep your mouth still and relaxed: blinks are not counted while it moves",
}
# What the face is doing (expression_now's words) that keeps a blink from being counted.
_MOUTH_BUSY = ("Talking", "Smiling", "Puckering", "Lips pushed", "Mouth open")


@dataclass(frozen=True)
class SessionBlink:
    """One final blink of the session (a few numbers: the session history stays small)."""

    number: int  # 1, 2, ... in the session
    eye: str  # "both", "right", "left"
    onset_s: float
    apex_s: float
    offset_s: float
    mouth_mm: dict[str, float]  # peak commissure movement per side
    scored: bool
    reason: str | None  # why it is not scored
    voluntary: bool  # a long, deliberate eye closure rather than a blink

    def involves(self, side: str) -> bool:
        return self.eye in ("both", side)


@dataclass
class PlotSeries:
    """The last `live_plot_window_s` seconds, times relative to the newest frame (<= 0)."""

    time_s: np.ndarray
    closure: dict[str, np.ndarray]
    mouth_mm: dict[str, np.ndarray]  # commissure distance from its rest position
    blink_times_s: np.ndarray  # apexes of final blinks inside the window (relative)
    blink_eyes: list[str]


@dataclass
class LiveSnapshot:
    time_s: float  # the newest frame's own timestamp (source clock)
    frames: int  # frames in the buffer
    face_found: bool
    notice: str  # one of the NOTICE_* codes
    closure: dict[str, float]
    eye_open: dict[str, float]  # 0..1 of the eye's open level
    openness_ratio: float  # left / right
    height_diff_mm: float  # right corner minus left corner (up positive)
    excursion_mm: dict[str, float]  # corner distance from the lip midline
    blink_count: dict[str, int]  # per eye, for the session
    eye_closures: int  # long deliberate closures, counted apart
    latest: dict[str, SessionBlink | None]  # the latest blink of each side's eye
    median_mm: dict[str, float]  # running median over the session's scored blinks
    average_mm: dict[str, float]  # blink-averaged movement over them: the headline, as in `analyze`
    n_scored: dict[str, int]
    new_blinks: list[SessionBlink]  # blinks that became final in this update
    recent_blinks: list[SessionBlink]  # the last `live_bar_blinks` (not voluntary)
    series: PlotSeries | None
    mm_per_px: float
    iris_px: float  # in the camera image's own pixels
    yaw_deg: float
    pitch_deg: float
    analysis: ClipAnalysis | None = field(default=None, repr=False)
    # What the face is doing now, in a patient's words ("Smiling on your left"); "" at rest.
    expression: str = ""
    average_ci_mm: dict[str, tuple[float, float]] = field(default_factory=dict)  # 95 % interval of average_mm

    @property
    def notice_text(self) -> str:
        return NOTICE_TEXT[self.notice]


@dataclass(frozen=True)
class InstantScores:
    """Per-frame measures, ready as soon as the frame's landmarks are: what a person watches move
    while practising. Judged against the latest update's reference face, eye level and scale."""

    time_s: float
    eye_open: dict[str, float]  # 0..1 of the eye's open level
    openness_ratio: float  # left / right
    height_diff_mm: float  # right corner minus left corner (up positive)
    excursion_mm: dict[str, float]


def _nan_dict() -> dict[str, float]:
    return {side: float("nan") for side in SIDES}


# The expression being held now, in a patient's words (the finder's kinds, subject's sides).
_NOW_WORDS = {"smile": "Smiling", "pucker": "Puckering", "lips_to_side": "Lips pushed", "mouth_open": "Mouth open",
              "talking": "Talking", "brow_raise": "Eyebrows raised", "eye_closure": "Eyes closed", "snarl": "Snarling"}


def expression_now(analysis: ClipAnalysis, packed: np.ndarray, params: Settings = DEFAULT_SETTINGS) -> str:
    """The expression the finder sees at the newest frame of the buffer ("" at rest or unsure):
    the same definitions `analyze` lists, so the live words and a clip's list agree."""
    t = analysis.timestamps_s
    if t.size < 2:
        return ""
    found = find_expressions(t, packed, MEASURED, analysis.alignment.reference, analysis.mm_per_px,
                             analysis.blinks, params)
    # Held to the newest frame (one frame's slack for the finder's rounding of its ends).
    recent = t[-1] - 1.5 * (t[-1] - t[-2])
    now = [s for s in found.segments if s.kind != REST and s.end_s >= recent]
    if not now:
        return ""
    seg = max(now, key=lambda s: (s.kind != "talking", s.start_s))  # a held shape over talking
    words = _NOW_WORDS.get(seg.kind, seg.kind)
    if seg.kind == "lips_to_side":
        return f"{words} to your {seg.side}"
    if seg.side in ("right", "left") and seg.kind in ("smile", "brow_raise"):
        return f"{words} on your {seg.side}"
    if seg.side in ("right", "left") and seg.kind == "eye_closure":
        return f"Your {seg.side} eye closed"
    return words


class LiveEngine:
    """Incremental measurement over a ring buffer of recent frames (see the module docstring)."""

    def __init__(self, params: Settings = DEFAULT_SETTINGS) -> None:
        self.params = params
        self.capacity = max(2, int(math.ceil(params.live_buffer_s * params.live_buffer_max_fps)))
        self._t = np.full(self.capacity, np.nan, dtype=np.float64)
        self._points = np.full((self.capacity, len(MEASURED), 3), np.nan, dtype=np.float32)
        self.reset()

    # -- feeding --------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the buffer and the session (a new person, a new source)."""
        self._t[:] = np.nan
        self._points[:] = np.nan
        self._head = 0  # next slot to write
        self._count = 0
        self._last_t = -math.inf
        self._session_start = math.nan
        self.blinks: list[SessionBlink] = []
        self._scored_mm: dict[str, list[float]] = {side: [] for side in SIDES}
        # Each scored blink's displacement trace (up, out) per side: a few hundred bytes a blink.
        self._scored_traces: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {side: [] for side in SIDES}
        self._last_analysis: ClipAnalysis | None = None
        self._reference: np.ndarray | None = None
        self._mm_per_px = float("nan")
        self._open_level: dict[str, float] = _nan_dict()

    def __len__(self) -> int:
        """Frames currently held in the buffer (at most `capacity`)."""
        return self._count

    @property
    def nbytes(self) -> int:
        return int(self._t.nbytes + self._points.nbytes)

    def push(self, timestamp_s: float, points: np.ndarray | None) -> bool:
        """Add one frame: its source timestamp and its landmarks ((478, 3) or packed, pixels; None
        or NaN when no face). A frame older than the previous one is ignored (returns False)."""
        t = float(timestamp_s)
        if not math.isfinite(t) or t < self._last_t:
            return False
        slot = self._head
        self._t[slot] = t
        if points is None:
            self._points[slot] = np.nan
        else:
            pts = np.asarray(points)
            self._points[slot] = pts[MEASURED.indices] if pts.shape[0] == N_LANDMARKS else pts
        self._head = (slot + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)
        self._last_t = t
        if not math.isfinite(self._session_start):
            self._session_start = t
        return True

    def _ordered(self) -> tuple[np.ndarray, np.ndarray]:
        """Buffer contents oldest first, trimmed to the last `live_buffer_s` seconds."""
        if self._count < self.capacity:
            order = np.arange(self._count)
        else:
            order = (np.arange(self.capacity) + self._head) % self.capacity
        t = self._t[order]
        first = int(np.searchsorted(t, t[-1] - self.params.live_buffer_s, side="left")) if t.size else 0
        order = order[first:]
        return self._t[order], self._points[order]

    # -- measuring ------------------------------------------------------------------------------
    def update(self) -> LiveSnapshot:
        """Re-measure the buffer; record blinks that became final; return the current state."""
        p = self.params
        t, packed = self._ordered()
        if t.size == 0:
            return self._snapshot_without_analysis(t, packed, NOTICE_WAITING)
        face = np.isfinite(packed).all(axis=(1, 2))
        analysis = None
        if face.sum() >= 2:
            try:
                analysis = analyze_landmarks(t, packed, p, require_face=False)
            except (ValueError, IndexError, ZeroDivisionError, FloatingPointError):
                # An odd buffer (no open eye anywhere, a handful of frames): nothing to measure yet;
                # the next update sees more frames. The session's blinks are kept.
                analysis = None
        if analysis is None:
            return self._snapshot_without_analysis(t, packed, NOTICE_NO_FACE if not face[-1] else NOTICE_OK)
        self._last_analysis = analysis
        self._reference = analysis.alignment.reference
        self._mm_per_px = analysis.mm_per_px
        # The eye's open level now (closure = 1 - openness / level), for per-frame scores.
        for side in SIDES:
            c = float(analysis.closure[side][-1])
            o = float(openness(packed[-1:], MEASURED)[side][0])
            if math.isfinite(c) and math.isfinite(o) and c < 1.0:
                self._open_level[side] = o / (1.0 - c)

        new = self._collect_final_blinks(analysis, t)
        sym = symmetry(analysis.alignment.aligned[-1:], analysis.alignment.reference, MEASURED, analysis.mm_per_px)
        closure = {side: float(analysis.closure[side][-1]) for side in SIDES}
        eye_open = {side: float(np.clip(1.0 - c, 0.0, 1.0)) if math.isfinite(c) else float("nan")
                    for side, c in closure.items()}
        last = packed[-1:]
        iris_px = float(iris_diameter_image_px(last, MEASURED)[0])
        yaw = float(facing_yaw_deg(last, MEASURED)[0])
        pitch = float(analysis.alignment.pitch_deg[-1])
        head_ok = bool(head_within_range(analysis.alignment, p)[-1]) and not abs(yaw) > p.max_yaw_deg
        expression = expression_now(analysis, packed, p)
        if not face[-1]:
            notice = NOTICE_NO_FACE
        elif not iris_px >= p.min_iris_diameter_px:
            notice = NOTICE_TOO_FAR
        elif not head_ok:
            notice = NOTICE_TURNED
        elif expression.startswith(_MOUTH_BUSY):
            notice = NOTICE_TALKING
        else:
            notice = NOTICE_OK
        return LiveSnapshot(
            time_s=float(t[-1]), frames=int(t.size), face_found=bool(face[-1]), notice=notice,
            closure=closure, eye_open=eye_open, openness_ratio=float(sym.openness_ratio[0]),
            height_diff_mm=float(sym.height_diff_mm[0]),
            excursion_mm={side: float(sym.excursion_mm[side][0]) for side in SIDES},
            **self._session_scores(), new_blinks=new, series=self._series(analysis),
            mm_per_px=float(analysis.mm_per_px), iris_px=iris_px, yaw_deg=yaw, pitch_deg=pitch,
            analysis=analysis, expression=expression,
        )

    def _collect_final_blinks(self, a: ClipAnalysis, t: np.ndarray) -> list[SessionBlink]:
        """Blinks whose offset plus the post-blink window (and the smoothing's reach) has passed
        are final; each is recorded once, recognised across updates by its apex time."""
        p = self.params
        b = a.blinks
        if not len(b):
            return []
        settle = final_after_offset_s(p)
        trimmed = t[0] > self._session_start
        # Once the buffer has been trimmed, a blink near its start misses its baseline windows.
        earliest = t[0] + max(p.mouth_moving_window_s, -p.pre_blink_start_s) if trimmed else -math.inf
        tolerance = max(p.pair_max_apex_gap_s, 0.1)
        recent = np.array([s.apex_s for s in self.blinks[-20:]])
        new: list[SessionBlink] = []
        for i in np.flatnonzero((b.offset_s + settle <= t[-1]) & (b.onset_s >= earliest)):
            apex = float(b.apex_s[i])
            if recent.size and np.min(np.abs(recent - apex)) <= tolerance:
                continue
            if new and abs(new[-1].apex_s - apex) <= tolerance:
                continue
            reason = a.reasons[i]
            blink = SessionBlink(
                number=len(self.blinks) + len(new) + 1, eye=EYE_NAMES[int(b.eye[i])],
                onset_s=float(b.onset_s[i]), apex_s=apex, offset_s=float(b.offset_s[i]),
                mouth_mm={side: float(a.mouth.peak_mm[side][i]) for side in SIDES},
                scored=reason is None, reason=reason, voluntary=bool(b.voluntary[i]),
            )
            new.append(blink)
        # Each blink's trace is aligned on its apex, as offline.
        # A blink in a burst is measured against the baseline before the burst's first, as offline.
        by_apex = {float(b.apex_s[i]): (float(bta_trigger_s(b.apex_s[i], p)), float(a.mouth.baseline_lid_s[i]))
                   for i in range(len(b))}
        if not new:
            return new
        onsets, base_onsets = np.array([by_apex[blink.apex_s] for blink in new]).T
        rows = {side: blink_traces(t, onsets, a.traces, side, p, base_onsets) for side in SIDES}
        for k, blink in enumerate(new):
            self.blinks.append(blink)
            if blink.scored:
                for side in SIDES:
                    value = blink.mouth_mm[side]
                    if blink.involves(side) and math.isfinite(value):
                        self._scored_mm[side].append(value)
                        up, out = rows[side]
                        if np.isfinite(up[k]).all() and np.isfinite(out[k]).all():
                            self._scored_traces[side].append((up[k], out[k]))
        return new

    def _session_scores(self) -> dict:
        blinks = [b for b in self.blinks if not b.voluntary]
        latest: dict[str, SessionBlink | None] = {}
        for side in SIDES:
            latest[side] = next((b for b in reversed(blinks) if b.involves(side)), None)
        return {
            "blink_count": {side: sum(b.involves(side) for b in blinks) for side in SIDES},
            "eye_closures": sum(b.voluntary for b in self.blinks),
            "latest": latest,
            "median_mm": {side: float(np.median(v)) if v else float("nan") for side, v in self._scored_mm.items()},
            "average_mm": {side: self._average(side)[0] for side in SIDES},
            "average_ci_mm": {side: self._average(side)[1] for side in SIDES},
            "n_scored": {side: len(v) for side, v in self._scored_mm.items()},
            "recent_blinks": blinks[-self.params.live_bar_blinks:],
        }

    def _average(self, side: str) -> tuple[float, tuple[float, float]]:
        """The blink-averaged movement of `side` over the session's scored blinks, and its 95 % interval."""
        nan = float("nan")
        rows = self._scored_traces[side]
        if not rows:
            return nan, (nan, nan)
        up = np.stack([r[0] for r in rows])
        out = np.stack([r[1] for r in rows])
        average = average_movement(up, out, self.params)
        low, high = average.get("peak_ci95_mm", (nan, nan))
        return float(average["peak_mm"]), (float(low), float(high))

    def _series(self, a: ClipAnalysis) -> PlotSeries:
        t = a.timestamps_s
        keep = t >= t[-1] - self.params.live_plot_window_s
        rel = t[keep] - t[-1]
        start = t[-1] - self.params.live_plot_window_s
        shown = [b for b in self.blinks if b.apex_s >= start and not b.voluntary]
        return PlotSeries(
            time_s=rel,
            closure={side: a.closure[side][keep] for side in SIDES},
            mouth_mm={side: a.traces.displacement_mm(side)[keep] for side in SIDES},
            blink_times_s=np.array([b.apex_s - t[-1] for b in shown]),
            blink_eyes=[b.eye for b in shown],
        )

    def _snapshot_without_analysis(self, t: np.ndarray, packed: np.ndarray, notice: str) -> LiveSnapshot:
        face_now = bool(t.size) and bool(np.isfinite(packed[-1]).all())
        iris_px = float(iris_diameter_image_px(packed[-1:], MEASURED)[0]) if face_now else float("nan")
        if face_now and not iris_px >= self.params.min_iris_diameter_px:
            notice = NOTICE_TOO_FAR
        return LiveSnapshot(
            time_s=float(t[-1]) if t.size else float("nan"), frames=int(t.size), face_found=face_now,
            notice=notice, closure=_nan_dict(), eye_open=_nan_dict(), openness_ratio=float("nan"),
            height_diff_mm=float("nan"), excursion_mm=_nan_dict(), **self._session_scores(), new_blinks=[],
            series=None, mm_per_px=float("nan"), iris_px=iris_px, yaw_deg=float("nan"), pitch_deg=float("nan"),
        )

    # -- per frame ------------------------------------------------------------------------------
    def instant(self, timestamp_s: float, points: np.ndarray | None) -> InstantScores | None:
        """Per-frame scores for one frame (about 0.2 ms): the frame is aligned to the reference face
        of the latest update. None before the first update or without a face."""
        aligned = self._align_frame(points)
        reference = self._reference  # set whenever a frame could be aligned
        if aligned is None or reference is None:
            return None
        sym = symmetry(aligned, reference, MEASURED, self._mm_per_px)
        eye_open = {}
        for side in SIDES:
            level = self._open_level[side]
            value = float(sym.openness[side][0]) / level if math.isfinite(level) and level > 0 else float("nan")
            eye_open[side] = float(np.clip(value, 0.0, 1.0)) if math.isfinite(value) else float("nan")
        return InstantScores(float(timestamp_s), eye_open, float(sym.openness_ratio[0]), float(sym.height_diff_mm[0]),
                             {side: float(sym.excursion_mm[side][0]) for side in SIDES})

    def _align_frame(self, points: np.ndarray | None) -> np.ndarray | None:
        """One frame's packed landmarks mapped onto the latest reference face, (1, M, 3)."""
        fit = self._frame_transform(points)
        if fit is None or not np.isfinite(fit[0]).all():
            return None
        packed, s, r, tr = fit
        return apply_similarity(packed[None], s, r, tr)

    def _frame_transform(self, points: np.ndarray | None):
        """(packed points, scale, rotation, translation) mapping one frame onto the reference face."""
        if points is None or self._reference is None:
            return None
        pts = np.asarray(points, dtype=np.float64)
        packed = pts[MEASURED.indices] if pts.shape[0] == N_LANDMARKS else pts
        anchors = MEASURED[HEAD_ANCHORS]
        if not np.isfinite(packed[anchors]).all() or not np.isfinite(self._reference[anchors]).all():
            return None
        s, r, tr = similarity_transforms(packed[None, anchors], self._reference[anchors])
        if not np.isfinite(s[0]) or s[0] <= 0:
            return None
        return packed, s, r, tr

    # -- per-frame overlay ----------------------------------------------------------------------
    def corner_rest_px(self, points: np.ndarray | None) -> dict[str, tuple[float, float]] | None:
        """Where each mouth corner rests (its median position over the buffer) in this frame's
        image pixels, head motion put back in: the overlay draws the corner's movement from there.
        None until the first update, or without a face."""
        fit = self._frame_transform(points)
        reference = self._reference  # set whenever a frame could be fitted
        if fit is None or reference is None:
            return None
        _, s, r, tr = fit
        out = {}
        for side in SIDES:
            ref = reference[MEASURED[COMMISSURE[side]]]
            image = r[0].T @ (ref - tr[0]) / s[0]  # inverse of ref = s R x + t
            out[side] = (float(image[0]), float(image[1]))
        return out


__all__ = ["InstantScores", "LiveEngine", "LiveSnapshot", "PlotSeries", "SessionBlink", "NOTICE_TEXT"]
