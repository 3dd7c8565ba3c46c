"""Retraining practice with live feedback, one frame at a time, with no Qt and no OpenCV.

Synkinesis is retrained by practising the movement *without* the unwanted one, daily, with consistent
feedback. A set is paced by a visual metronome ("Blink now" every few seconds) and every attempt is
judged at once on the affected side against the patient's own target:

- **blink** (ocular-oral): did the mouth corner move while the eye blinked (or closed gently)?
- **pucker** / **smile** (oral-ocular): did the eye narrow while the mouth moved?

`PracticeJudge.push(t, points)` takes one frame (its source timestamp and its face-mesh landmarks) and
returns the attempts it judged on that frame. The `LiveEngine` cannot do this: it finalizes a blink
only after its offset plus the post-blink window and re-measures four times a second, so its answer
comes 300-600 ms after the blink. The judge instead

1. sits still for `practice_calibration_s` at the set's start: the reference face (core align), the
   iris scale (core eyes.iris_scale), each eye's open level and the rest fissure height;
2. per frame, the affected eye's closure (core eyes.openness against a trailing 90th percentile
   over `open_baseline_window_s`, the offline definition made causal) with the same hysteresis
   thresholds as the analysis (`blink_onset_closure`, `blink_offset_closure`);
3. at the blink's apex (the highest closure) plus `practice_judge_window_s`, it re-measures its short
   ring buffer with the core's own functions: `align_to_reference` onto the set's reference with the
   blink held (the mesh deforms its anchors when the eyes close; with no frames after the blink yet,
   the transform of the frames before is held), `mouth_traces` in mm from the set's iris scale, and
   `measure_events` for the peak commissure displacement against the pre-blink baseline and the
   gates (mouth already moving, head turned, face lost). A blink is clean when the affected side's
   peak stays at or under the target.

For pucker and smile the eye is judged over the hold after each cue, with the core's oral-ocular
definitions: the fissure height's active level (`fissure_level`, blinks left out by the core's
`detect_blinks` over the buffer) against the set's rest level (`narrowing`, %). The eye is told at once
when it narrows past the target for `practice_move_early_s`; otherwise the verdict comes at the end
of the hold.

Targets come from the patient's own baseline (`plan_target`) and tighten as sets come out clean.
"""

from __future__ import annotations

import collections
import math
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Iterable

import numpy as np

from synkimeter.core.align import align_to_reference
from synkimeter.core.analysis import head_within_range
from synkimeter.core.anatomy import HEAD_ANCHORS, MEASURED, N_LANDMARKS, SIDES
from synkimeter.core.blinks import detect_blinks
from synkimeter.core.expressions import face_geometry, held_mouth_task, rest_levels
from synkimeter.core.eyes import fissure_height_px, iris_scale, median_frame_interval_s, openness
from synkimeter.core.ocular_oral import (
    REASON_FACE_LOST,
    REASON_HEAD_TURNED,
    REASON_MOUTH_MOVING,
    REASON_TOO_CLOSE,
    measure_events,
    mouth_traces,
)
from synkimeter.core.oral_ocular import FissureLevel, event_mask, fissure_level, narrowing
from synkimeter.core.task_check import NOT_SEEN
from synkimeter.store.choices import PRACTICE_UNITS
from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings

KIND_BLINK = "blink"
KIND_PUCKER = "pucker"
KIND_SMILE = "smile"
KINDS = (KIND_BLINK, KIND_PUCKER, KIND_SMILE)
UNITS = PRACTICE_UNITS
# Store tasks whose results give each kind's baseline.
BASELINE_TASKS = {KIND_BLINK: ("natural_blinking", "gentle_closure", "forceful_blink"),
                  KIND_PUCKER: ("pucker",), KIND_SMILE: ("smile",)}

REASON_CALIBRATING = "the set was still getting ready"
REASON_SHORT = "the face was seen too little of the time"
REASON_NOT_SEEN = NOT_SEEN  # the asked smile or pucker did not happen

PHASE_WAITING = "waiting"  # no face yet
PHASE_CALIBRATING = "calibrating"
PHASE_PRACTISING = "practising"
PHASE_DONE = "done"

_ANCHORS = MEASURED[HEAD_ANCHORS]
_EPS_S = 1e-3  # frame-time rounding


def other_side(side: str) -> str:
    return "left" if side == "right" else "right"


def _packed(points: np.ndarray | None) -> np.ndarray | None:
    if points is None:
        return None
    pts = np.asarray(points, dtype=np.float32)
    pts = pts[MEASURED.indices] if pts.shape[0] == N_LANDMARKS else pts
    return pts if np.isfinite(pts).all() else None


# --- results -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attempt:
    """One judged blink (or pucker/smile)."""

    number: int  # 1, 2, ... in the set
    kind: str
    onset_s: float  # blink onset, or the cue
    apex_s: float  # the closure's peak, or the cue
    decided_s: float  # source time of the frame on which it was judged
    value: float  # affected side: mouth-corner movement (mm) or eye narrowing (%)
    other_value: float  # the same on the other side
    target: float
    clean: bool | None  # None: not judged (see reason)
    reason: str | None = None

    @property
    def judged(self) -> bool:
        return self.clean is not None

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in ("onset_s", "apex_s", "decided_s", "value", "other_value", "target"):
            d[key] = round(d[key], 4) if math.isfinite(d[key]) else None
        return d


@dataclass
class PracticeSetResult:
    kind: str
    affected_side: str
    target: float
    attempts: list[Attempt]
    started_at: str  # ISO local time
    duration_s: float
    source_name: str = ""

    @property
    def unit(self) -> str:
        return UNITS[self.kind]

    @property
    def judged(self) -> int:
        return sum(a.judged for a in self.attempts)

    @property
    def clean(self) -> int:
        return sum(bool(a.clean) for a in self.attempts)

    @property
    def skipped(self) -> int:
        return len(self.attempts) - self.judged

    @property
    def score(self) -> float:
        """Clean attempts among the judged ones, 0..1 (NaN when none was judged)."""
        return self.clean / self.judged if self.judged else float("nan")

    @property
    def median_value(self) -> float:
        values = [a.value for a in self.attempts if a.judged and math.isfinite(a.value)]
        return float(np.median(values)) if values else float("nan")

    def record(self) -> dict:
        """The row the store keeps (`Store.add_practice_set`)."""
        median = self.median_value
        return {"started_at": self.started_at, "kind": self.kind, "affected_side": self.affected_side,
                "target": float(self.target), "unit": self.unit, "attempts": len(self.attempts),
                "judged": self.judged, "clean": self.clean,
                "median_value": median if math.isfinite(median) else None,
                "duration_s": float(self.duration_s), "source_name": self.source_name,
                "attempts_json": [a.to_dict() for a in self.attempts]}


# --- the metronome -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cue:
    number: int  # cues given so far (0 before the first)
    since_s: float  # since the latest cue (NaN before the first)
    until_next_s: float
    interval_s: float

    @property
    def fraction(self) -> float:
        """0 right after a cue .. 1 at the next: what the visual metronome fills."""
        return float(np.clip(1.0 - self.until_next_s / self.interval_s, 0.0, 1.0))


class Metronome:
    def __init__(self, start_s: float, interval_s: float) -> None:
        self.start_s = float(start_s)
        self.interval_s = float(interval_s)

    def cue_time(self, number: int) -> float:
        """Time of cue `number` (1-based)."""
        return self.start_s + (number - 1) * self.interval_s

    def at(self, t: float) -> Cue:
        if t < self.start_s:
            return Cue(0, float("nan"), self.start_s - t, self.interval_s)
        k = int(math.floor((t - self.start_s) / self.interval_s + 1e-9))
        since = t - self.cue_time(k + 1)
        return Cue(k + 1, since, self.interval_s - since, self.interval_s)


# --- the set's start ----------------------------------------------------------------------------
@dataclass
class Calibration:
    reference: np.ndarray  # (len(MEASURED), 3) the set's reference face
    mm_per_px: float
    open_openness: dict[str, float]  # each eye's open level (fissure / width)
    rest_fissure: dict[str, FissureLevel]  # mm
    start_s: float
    end_s: float
    iris_px: float
    # The mouth's rest shape (core.expressions' measures): a round's smile or pucker is checked against it.
    rest_mouth: dict[str, float] | None = None


def calibrate(t: np.ndarray, packed: np.ndarray, params: Settings = DEFAULT_SETTINGS) -> Calibration | None:
    """The set's reference face, scale and rest levels from its first still seconds; None when the
    face is too small or no eye is open."""
    open_by_side = openness(packed, MEASURED)
    level = {side: float(np.nanpercentile(open_by_side[side], params.open_baseline_percentile))
             for side in SIDES}
    if not all(math.isfinite(v) and v > 0 for v in level.values()):
        return None
    closure = {side: 1.0 - open_by_side[side] / level[side] for side in SIDES}
    blink = (closure["right"] > params.blink_offset_closure) | (closure["left"] > params.blink_offset_closure)
    alignment = align_to_reference(packed, _ANCHORS, hold=blink)
    scale = iris_scale(alignment.aligned, MEASURED, closure, params)
    if not (math.isfinite(scale["iris_px"]) and scale["iris_px"] >= params.min_iris_diameter_px):
        return None
    mm_per_px = float(scale["mm_per_px"])
    rest = {side: fissure_level(t, fissure_height_px(alignment.aligned, MEASURED, side) * mm_per_px, blink, "open",
                                params.with_overrides(bootstrap_resamples=0))
            for side in SIDES}
    mouth = rest_levels(face_geometry(packed, MEASURED, alignment.reference, mm_per_px), ~blink)
    return Calibration(alignment.reference, mm_per_px, level, rest, float(t[0]), float(t[-1]), float(scale["iris_px"]),
                       mouth)


# --- the judge -----------------------------------------------------------------------------------
@dataclass
class JudgeStatus:
    """What the window shows on every frame."""

    time_s: float
    phase: str
    face: bool
    calibration_left_s: float
    closure: float  # the affected eye, 0 open .. ~0.6 closed in the mesh
    live_value: float  # pucker/smile: the eye's narrowing so far in this hold (%); blink: NaN
    cue: Cue | None
    attempts: int
    clean: int
    judged: int


@dataclass
class _Event:
    onset_s: float
    apex_s: float
    apex_c: float
    face_lost: bool = False
    decided: bool = False


class PracticeJudge:
    """Judges a practice set frame by frame (see the module docstring)."""

    def __init__(self, kind: str, affected_side: str, target: float, params: Settings = DEFAULT_SETTINGS,
                 count: int | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        if affected_side not in SIDES:
            raise ValueError(f"affected_side must be 'right' or 'left', not {affected_side!r}")
        self.kind = kind
        self.side = affected_side
        self.target = float(target)
        self.params = params
        self.count = int(count if count is not None else
                         (params.practice_blinks_per_set if kind == KIND_BLINK else params.practice_moves_per_set))
        self.interval_s = params.practice_blink_interval_s if kind == KIND_BLINK else params.practice_move_interval_s
        capacity = int(math.ceil(params.practice_buffer_s * params.live_buffer_max_fps)) + 2
        self._buf: collections.deque[tuple[float, np.ndarray | None]] = collections.deque(maxlen=capacity)
        history = int(math.ceil(params.open_baseline_window_s * params.live_buffer_max_fps)) + 2
        self._open_hist: dict[str, collections.deque[float]] = {s: collections.deque(maxlen=history) for s in SIDES}
        self._open_t: collections.deque[float] = collections.deque(maxlen=history)
        # pucker/smile: per-frame fissure (mm) and closure, aligned with the buffer
        self._fissure: collections.deque[tuple[float, float, float, float, float]] = collections.deque(maxlen=capacity)
        self.calibration: Calibration | None = None
        self.metronome: Metronome | None = None
        self.attempts: list[Attempt] = []
        self.status = JudgeStatus(float("nan"), PHASE_WAITING, False, params.practice_calibration_s, float("nan"),
                                  float("nan"), None, 0, 0, 0)
        self._event: _Event | None = None
        self._prev_closure = float("nan")
        self._prev_t = float("nan")
        self._last_offset_s = -math.inf
        self._judged_cues: set[int] = set()
        self._cal_t: list[float] = []
        self._cal_points: list[np.ndarray] = []
        self.first_s = float("nan")
        self.last_s = float("nan")

    # -- feeding --------------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return len(self.attempts) >= self.count

    def push(self, timestamp_s: float, points: np.ndarray | None) -> list[Attempt]:
        """One frame: its source time and its landmarks ((478, 3) or packed; None/NaN: no face).
        Returns the attempts judged on this frame (usually none, at most one)."""
        t = float(timestamp_s)
        if not math.isfinite(t) or (math.isfinite(self.last_s) and t < self.last_s) or self.done:
            return []
        if not math.isfinite(self.first_s):
            self.first_s = t
        self.last_s = t
        packed = _packed(points)
        if self.calibration is None:
            self._calibrate(t, packed)
            return []
        self._buf.append((t, packed))
        closure = self._closure(t, packed)
        new: list[Attempt] = []
        if self.kind == KIND_BLINK:
            new += self._track_blink(t, closure[self.side], packed is not None)
            live = float("nan")
        else:
            live, attempt = self._track_move(t, packed, closure)
            if attempt is not None:
                new.append(attempt)
        self._prev_t, self._prev_closure = t, closure[self.side]
        self.attempts.extend(new)
        self._set_status(t, PHASE_DONE if self.done else PHASE_PRACTISING, packed is not None,
                         closure[self.side], live)
        return new

    def _set_status(self, t: float, phase: str, face: bool, closure: float = float("nan"),
                    live: float = float("nan"), calibration_left: float = 0.0) -> None:
        self.status = JudgeStatus(t, phase, face, calibration_left, closure, live,
                                  self.metronome.at(t) if self.metronome else None, len(self.attempts),
                                  sum(bool(a.clean) for a in self.attempts), sum(a.judged for a in self.attempts))

    # -- calibration ----------------------------------------------------------------------------
    def _calibrate(self, t: float, packed: np.ndarray | None) -> None:
        p = self.params
        if packed is None:  # the face must be seen throughout: start again when it is lost
            self._cal_t.clear()
            self._cal_points.clear()
            self._set_status(t, PHASE_WAITING, False, calibration_left=p.practice_calibration_s)
            return
        self._cal_t.append(t)
        self._cal_points.append(packed)
        span = t - self._cal_t[0]
        if span + _EPS_S < p.practice_calibration_s or len(self._cal_t) < 8:
            self._set_status(t, PHASE_CALIBRATING, True, calibration_left=max(0.0, p.practice_calibration_s - span))
            return
        times = np.array(self._cal_t)
        stack = np.stack(self._cal_points)
        cal = calibrate(times, stack, p)
        if cal is None:  # too small or odd: keep the newest half and try again
            keep = len(self._cal_t) // 2
            del self._cal_t[:keep], self._cal_points[:keep]
            self._set_status(t, PHASE_CALIBRATING, True, calibration_left=p.practice_calibration_s / 2)
            return
        self.calibration = cal
        first_cue = t + (self.interval_s / 2 if self.kind == KIND_BLINK else p.practice_move_interval_s / 3)
        self.metronome = Metronome(first_cue, self.interval_s)
        open_by_side = openness(stack, MEASURED)
        for i, ti in enumerate(times):
            self._open_t.append(float(ti))
            for side in SIDES:
                self._open_hist[side].append(float(open_by_side[side][i]))
        for ti, pts in zip(times, stack):
            self._buf.append((float(ti), pts))
        self._cal_t, self._cal_points = [], []
        self._set_status(t, PHASE_PRACTISING, True)

    # -- per frame ------------------------------------------------------------------------------
    def _closure(self, t: float, packed: np.ndarray | None) -> dict[str, float]:
        """Each eye's closure now: 1 - openness / its trailing open level (the analysis's rolling
        90th percentile, made causal)."""
        if packed is None:
            return {side: float("nan") for side in SIDES}
        now = openness(packed[None], MEASURED)
        self._open_t.append(t)
        out = {}
        window_start = t - self.params.open_baseline_window_s
        keep = np.asarray(self._open_t) >= window_start
        for side in SIDES:
            value = float(now[side][0])
            self._open_hist[side].append(value)
            hist = np.asarray(self._open_hist[side])[keep]
            hist = hist[np.isfinite(hist)]
            level = float(np.percentile(hist, self.params.open_baseline_percentile)) if hist.size else float("nan")
            out[side] = 1.0 - value / level if level > 0 else float("nan")
        return out

    def _buffer(self) -> tuple[np.ndarray, np.ndarray]:
        t = np.fromiter((item[0] for item in self._buf), dtype=np.float64, count=len(self._buf))
        nan = np.full((len(MEASURED), 3), np.nan, dtype=np.float32)
        pts = np.stack([item[1] if item[1] is not None else nan for item in self._buf])
        return t, pts

    # -- blink ----------------------------------------------------------------------------------
    def _track_blink(self, t: float, c: float, face: bool) -> list[Attempt]:
        p = self.params
        ev = self._event
        if ev is None:
            if math.isfinite(c) and c > p.blink_onset_closure:
                onset = t
                prev = self._prev_closure
                if math.isfinite(prev) and prev < p.blink_onset_closure and c != prev:
                    onset = self._prev_t + (p.blink_onset_closure - prev) / (c - prev) * (t - self._prev_t)
                self._event = _Event(onset, t, c)
            return []
        if not face:
            ev.face_lost = True
        elif c > ev.apex_c:
            ev.apex_s, ev.apex_c = t, c
        out = []
        ended = not face or (math.isfinite(c) and c < p.blink_offset_closure)
        if not ev.decided:
            past_apex = t - ev.apex_s >= p.practice_judge_window_s - _EPS_S and (not math.isfinite(c) or c < ev.apex_c)
            if past_apex or ended or t - ev.onset_s >= p.practice_closure_judge_s:
                ev.decided = True
                out.append(self._judge_blink(ev, t))
        if ended:
            self._last_offset_s = t
            self._event = None
        return out

    def _judge_blink(self, ev: _Event, t_now: float) -> Attempt:
        p = self.params
        number = len(self.attempts) + 1
        nan = float("nan")

        def attempt(value=nan, other=nan, clean=None, reason=None) -> Attempt:
            return Attempt(number, self.kind, ev.onset_s, ev.apex_s, t_now, value, other, self.target, clean, reason)

        if ev.face_lost:
            return attempt(reason=REASON_FACE_LOST)
        cal = self.calibration
        assert cal is not None  # push() tracks attempts only once calibrated
        t, pts = self._buffer()
        hold = t >= ev.onset_s - p.align_bridge_margin_s
        alignment = align_to_reference(pts, _ANCHORS, hold=hold, reference=cal.reference)
        traces = mouth_traces(alignment.aligned, cal.reference, MEASURED, cal.mm_per_px,
                              median_frame_interval_s(t), p)
        head_ok = head_within_range(alignment, p)
        mouth = measure_events(t, np.array([ev.onset_s]), np.array([t_now - p.post_blink_s]), traces, head_ok, p)
        value = float(mouth.peak_mm[self.side][0])
        other = float(mouth.peak_mm[other_side(self.side)][0])
        reason = None
        if bool(mouth.face_lost[0]) or not math.isfinite(value):
            reason = REASON_FACE_LOST
        elif bool(mouth.head_turned[0]):
            reason = REASON_HEAD_TURNED
        elif float(mouth.pre_motion_mm[0]) > p.mouth_moving_mm:
            reason = REASON_MOUTH_MOVING
        elif self._last_offset_s + p.post_blink_s > ev.onset_s + p.pre_blink_start_s:
            reason = REASON_TOO_CLOSE
        if reason is not None:
            return attempt(value, other, None, reason)
        return attempt(value, other, value <= self.target + 1e-9)

    # -- pucker / smile -------------------------------------------------------------------------
    def _track_move(self, t: float, packed: np.ndarray | None,
                    closure: dict[str, float]) -> tuple[float, Attempt | None]:
        p = self.params
        cal, metronome = self.calibration, self.metronome
        assert cal is not None and metronome is not None  # push() tracks attempts only once calibrated
        fissure = {side: float("nan") for side in SIDES}
        if packed is not None:
            aligned = align_to_reference(packed[None], _ANCHORS, reference=cal.reference).aligned
            fissure = {side: float(fissure_height_px(aligned, MEASURED, side)[0]) * cal.mm_per_px for side in SIDES}
        self._fissure.append((t, fissure["right"], fissure["left"], closure["right"], closure["left"]))
        cue = metronome.at(t)
        if cue.number == 0 or cue.number in self._judged_cues:
            return float("nan"), None
        cue_t = metronome.cue_time(cue.number)
        start = cue_t + p.practice_move_settle_s
        end = cue_t + p.practice_move_hold_s
        if t < start:
            return float("nan"), None
        rows = np.array([r for r in self._fissure if start - _EPS_S <= r[0] <= min(t, end) + _EPS_S])
        level_pct, seen = self._narrowing_so_far(rows, cue_t)
        final = t >= end - _EPS_S
        span = float(rows[-1, 0] - rows[0, 0]) if len(rows) else 0.0
        early = (span >= p.practice_move_early_s - _EPS_S and math.isfinite(level_pct[self.side])
                 and level_pct[self.side] > self.target)
        if not (final or early):
            return level_pct[self.side], None
        self._judged_cues.add(cue.number)
        number = len(self.attempts) + 1
        value, other = level_pct[self.side], level_pct[other_side(self.side)]
        if seen < 0.5 or not math.isfinite(value):
            attempt = Attempt(number, self.kind, cue_t, cue_t, t, value, other, self.target, None, REASON_SHORT)
        elif not self._mouth_did_it(start, min(t, end)):
            # An eye that stays open through a pucker that never happened is not a clean pucker.
            attempt = Attempt(number, self.kind, cue_t, cue_t, t, value, other, self.target, None, REASON_NOT_SEEN)
        else:
            attempt = Attempt(number, self.kind, cue_t, cue_t, t, value, other, self.target,
                              value <= self.target + 1e-9)
        return value, attempt

    def _mouth_did_it(self, start_s: float, end_s: float) -> bool:
        """Did the mouth hold the asked smile or pucker over [start_s, end_s]? The expression
        finder's definition (core.expressions.held_mouth_task), against the set's rest mouth."""
        cal = self.calibration
        assert cal is not None  # push() tracks attempts only once calibrated
        if cal.rest_mouth is None:
            return True
        t, pts = self._buffer()
        inside = (t >= start_s - _EPS_S) & (t <= end_s + _EPS_S)
        if not inside.any():
            return False
        geometry = face_geometry(pts[inside], MEASURED, cal.reference, cal.mm_per_px)
        return held_mouth_task(self.kind, geometry, cal.rest_mouth, self.params)

    def _narrowing_so_far(self, rows: np.ndarray, cue_t: float) -> tuple[dict[str, float], float]:
        """Narrowing % per side over the hold so far (the core's active level against the set's rest
        level, blinks left out), and the fraction of the hold's frames with a face."""
        nan = {side: float("nan") for side in SIDES}
        if len(rows) < 2:
            return nan, 0.0
        # Blinks over the whole buffer (their context reaches before the hold), by the core detector.
        allrows = np.array(self._fissure)
        ta = allrows[:, 0]
        blinks = detect_blinks(ta, {"right": allrows[:, 3], "left": allrows[:, 4]}, self.params)
        short = ~np.asarray(blinks.voluntary, dtype=bool)
        mask_all = event_mask(ta, blinks.onset_s[short], blinks.offset_s[short], self.params.fissure_blink_margin_s)
        # A blink still under way has no offset for the detector yet: while the other eye (which
        # the synkinesis does not narrow) is closed, for no longer than a blink, leave it out too.
        other = allrows[:, 4 if self.side == "right" else 3]
        closed = np.nan_to_num(other, nan=1.0) > self.params.blink_offset_closure
        if closed[-1]:
            first = closed.size - int(np.argmin(closed[::-1])) if not closed.all() else 0
            if ta[-1] - ta[first] <= self.params.max_blink_duration_s:
                mask_all |= ta >= ta[first] - self.params.fissure_blink_margin_s
        inside = np.isin(ta, rows[:, 0])
        mask = mask_all[inside]
        quick = self.params.with_overrides(bootstrap_resamples=0)
        cal = self.calibration
        assert cal is not None  # push() tracks attempts only once calibrated
        out = {}
        for i, side in enumerate(SIDES):
            task = fissure_level(rows[:, 0], rows[:, 1 + i], mask, "active", quick)
            out[side] = float(narrowing(cal.rest_fissure[side], task).pct)
        seen = float(np.isfinite(rows[:, 1]).mean())
        return out, seen

    # -- the set --------------------------------------------------------------------------------
    def result(self, started_at: str | None = None, source_name: str = "") -> PracticeSetResult:
        duration = self.last_s - self.first_s if math.isfinite(self.first_s) else 0.0
        return PracticeSetResult(self.kind, self.side, self.target, list(self.attempts),
                                 started_at or datetime.now().replace(microsecond=0).isoformat(),
                                 float(duration), source_name)


def replay(judge: PracticeJudge, timestamps_s: np.ndarray, points: np.ndarray) -> list[Attempt]:
    """Feed a whole landmark series (tests, benchmarks, `synkimeter practice --source clip`)."""
    out: list[Attempt] = []
    for t, pts in zip(timestamps_s, points):
        out += judge.push(float(t), pts)
        if judge.done:
            break
    return out


# --- targets -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Baseline:
    value: float  # affected side: median blink peak (mm) or narrowing (%)
    date: str
    affected_side: str | None


@dataclass(frozen=True)
class TargetPlan:
    target: float
    unit: str
    why: str  # one plain sentence
    baseline: Baseline | None = None
    tightened: bool = False


def floor_for(kind: str, params: Settings = DEFAULT_SETTINGS) -> float:
    return {KIND_BLINK: params.healthy_floor_mm, KIND_PUCKER: params.practice_pucker_floor_pct,
            KIND_SMILE: params.practice_smile_floor_pct}[kind]


def default_target(kind: str, params: Settings = DEFAULT_SETTINGS) -> float:
    return {KIND_BLINK: params.practice_default_target_mm, KIND_PUCKER: params.practice_default_pucker_pct,
            KIND_SMILE: params.practice_default_smile_pct}[kind]


def _round_target(kind: str, value: float) -> float:
    return round(value / 0.05) * 0.05 if kind == KIND_BLINK else float(round(value))


def _fmt(kind: str, value: float) -> str:
    return f"{value:.2f} mm" if kind == KIND_BLINK else f"{value:.0f} %"


def baseline_from_results(rows: list[dict], kind: str, side: str | None) -> Baseline | None:
    """The patient's latest baseline measurement for `kind` from `Store.results` rows (a session of
    kind 'baseline' preferred; else the latest of any kind). `side`: the affected side, else the
    result's own."""
    tasks = BASELINE_TASKS[kind]
    usable = []
    for row in rows:
        if row.get("task") not in tasks or row.get("clip_status") != "complete":
            continue
        row_side = side or row.get("affected_side") or row.get("ocular_affected_side")
        if row_side not in SIDES:
            continue
        key = f"{row_side}_median_mm" if kind == KIND_BLINK else f"{row_side}_narrowing_pct"
        value = row.get(key)
        if value is None or not math.isfinite(float(value)):
            continue
        usable.append((row.get("kind") == "baseline", str(row.get("started_at") or ""),
                       Baseline(float(value), str(row.get("started_at") or "")[:10], row_side)))
    if not usable:
        return None
    baselines = [u for u in usable if u[0]] or usable
    return max(baselines, key=lambda u: u[1])[2]


def plan_target(kind: str, baseline: Baseline | None, previous_sets: list[dict],
                params: Settings = DEFAULT_SETTINGS) -> TargetPlan:
    """The next set's target.

    Start: `practice_target_fraction` of the baseline, floored at the healthy floor (no baseline:
    the default). Then the latest set's target carries on; when each of the last
    `practice_tighten_after_sets` sets at that target were at least `practice_tighten_clean_fraction`
    clean, it tightens by `practice_tighten_factor`, never below the floor.
    `previous_sets`: this kind's stored sets, oldest first (dicts with target, clean, judged).
    """
    floor = floor_for(kind, params)
    unit = UNITS[kind]
    if baseline is not None:
        start = max(floor, _round_target(kind, params.practice_target_fraction * baseline.value))
        why = (f"Half of your movement at your baseline on {baseline.date} ({_fmt(kind, baseline.value)})"
               if abs(params.practice_target_fraction - 0.5) < 1e-9 else
               f"{params.practice_target_fraction:.0%} of your baseline on {baseline.date} "
               f"({_fmt(kind, baseline.value)})")
        if start <= floor + 1e-9 and params.practice_target_fraction * baseline.value < floor:
            why = f"What a healthy face shows ({_fmt(kind, floor)}): your baseline is already close to it"
    else:
        start = max(floor, default_target(kind, params))
        why = "A standard goal: no baseline measurement is stored for you yet"
    sets = [s for s in counted_sets(previous_sets) if s.get("kind", kind) == kind and s.get("target") is not None]
    if not sets:
        return TargetPlan(start, unit, why + ".", baseline)
    current = float(sets[-1]["target"])
    if current < floor - 1e-9:
        # A goal set under an older, lower healthy floor: asking for less movement than a healthy
        # face shows would count its own jitter as failure.
        return TargetPlan(floor, unit, f"What a healthy face shows ({_fmt(kind, floor)}): your last goal "
                          f"({_fmt(kind, current)}) was below it.", baseline)
    recent = []
    for s in reversed(sets):  # the run of sets at the current target, newest first
        if abs(float(s["target"]) - current) >= 1e-6:
            break
        recent.append(s)
    n = params.practice_tighten_after_sets
    good = [s for s in recent[:n]
            if s.get("judged") and s["clean"] / s["judged"] >= params.practice_tighten_clean_fraction]
    if len(recent) >= n and len(good) == n and current > floor + 1e-9:
        tighter = max(floor, _round_target(kind, current * params.practice_tighten_factor))
        if tighter < current - 1e-9:
            return TargetPlan(tighter, unit, f"Your last {n} sets were mostly clean, so the goal is stricter now "
                              f"({_fmt(kind, current)} before).", baseline, True)
    return TargetPlan(current, unit, f"The same goal as your last set ({why.lower()[:1]}{why[1:]}).", baseline)


# --- a set with nothing counted ------------------------------------------------------------------
# What to do next time, for the reason an attempt was not counted (patient words).
ADVICE = {
    REASON_MOUTH_MOVING: "keep your mouth still and relaxed before each blink (no talking)",
    REASON_FACE_LOST: "stay in view of the camera",
    REASON_SHORT: "stay in view of the camera",
    REASON_HEAD_TURNED: "face the camera",
    REASON_TOO_CLOSE: "blink once each time the screen asks, not twice in a row",
    REASON_CALIBRATING: "keep still until the set has started",
}
NOUNS = {KIND_BLINK: "blink", KIND_PUCKER: "pucker", KIND_SMILE: "smile"}


def counted_sets(sets: list[dict]) -> list[dict]:
    """The practice sets that count (in the week, the streak, the goal, the timeline): those with at
    least one attempt counted. A set with nothing counted is kept as an attempt, never counted."""
    return [s for s in sets if int(s.get("judged") or 0) > 0]


def nothing_counted_advice(result: "PracticeSetResult") -> str:
    """Why nothing of a set was counted and what to do next time, from its attempts' own reasons."""
    noun = NOUNS[result.kind]
    if not result.attempts:
        return f"No {noun} was seen during the set: {noun} each time the screen asks."
    reasons = collections.Counter(a.reason for a in result.attempts if not a.judged and a.reason)
    if not reasons:
        return "Nothing was counted."
    reason, n = reasons.most_common(1)[0]
    total = len(result.attempts)
    what = f"{n} of {total} {noun}s" if total > 1 else f"your {noun}"
    if reason == REASON_NOT_SEEN:
        return f"The {noun} was not seen ({what}): {noun} clearly each time the screen asks."
    advice = ADVICE.get(reason)
    sentence = f"Nothing was counted: {reason} ({what})."
    return sentence + (f" Next time, {advice}." if advice else "")


# --- history -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Week:
    start: date  # Monday
    sets: int
    judged: int
    clean: int

    @property
    def score(self) -> float:
        return self.clean / self.judged if self.judged else float("nan")


def _day(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def streak_days(days: Iterable, today: date | None = None) -> int:
    """Days in a row with practice, up to today (or up to yesterday, while today is still open)."""
    today = today or date.today()
    practised = {_day(d) for d in days}
    day = today if today in practised else today - timedelta(days=1)
    n = 0
    while day in practised:
        n += 1
        day -= timedelta(days=1)
    return n


def weekly_trend(sets: list[dict], today: date | None = None, weeks: int = 8) -> list[Week]:
    """The last `weeks` calendar weeks (Monday first, oldest first), with their sets' clean attempts."""
    today = today or date.today()
    this_monday = today - timedelta(days=today.weekday())
    starts = [this_monday - timedelta(weeks=w) for w in range(weeks - 1, -1, -1)]
    totals = {s: [0, 0, 0] for s in starts}
    for row in sets:
        d = _day(row["started_at"])
        monday = d - timedelta(days=d.weekday())
        if monday in totals:
            totals[monday][0] += 1
            totals[monday][1] += int(row.get("judged") or 0)
            totals[monday][2] += int(row.get("clean") or 0)
    return [Week(s, *totals[s]) for s in starts]




# --- with the store ------------------------------------------------------------------------------
@dataclass(frozen=True)
class History:
    """What the summary shows: days in a row, this and earlier weeks (of the sets that count)."""

    streak_days: int
    sets_today: int
    weeks: list[Week]
    total_sets: int
    uncounted_sets: int = 0  # kept as attempts: nothing in them was counted


def history(sets: list[dict], today: date | None = None, params: Settings = DEFAULT_SETTINGS) -> History:
    today = today or date.today()
    counted = counted_sets(sets)
    days = [_day(s["started_at"]) for s in counted]
    return History(streak_days(days, today), sum(d == today for d in days),
                   weekly_trend(counted, today, params.practice_trend_weeks), len(counted),
                   len(sets) - len(counted))


def plan_for_patient(store, pseudonym: str, kind: str, side: str | None = None,
                     params: Settings = DEFAULT_SETTINGS) -> tuple[TargetPlan, str | None]:
    """The next set's target for a stored patient (and the affected side: given, else the patient's,
    else their baseline's). A patient not in the store gets the default target."""
    patient = store.patient(pseudonym)
    if patient is None:
        return plan_target(kind, None, [], params), side
    side = side or patient.affected_side
    baseline = baseline_from_results(store.results(patient), kind, side)
    side = side or (baseline.affected_side if baseline else None)
    previous = [s for s in store.practice_sets(patient, kind) if side is None or s["affected_side"] == side]
    return plan_target(kind, baseline, previous, params), side


def save_set(store, pseudonym: str, result: PracticeSetResult) -> tuple[int, History]:
    """Keep a finished set in the patient's history (the patient is created if new); returns its id
    and the patient's practice history with it."""
    patient, _ = store.get_or_create_patient(pseudonym, result.affected_side)
    set_id = store.add_practice_set(patient, result.record())
    return set_id, history(store.practice_sets(patient))

__all__ = ["Attempt", "Baseline", "Calibration", "Cue", "JudgeStatus", "KINDS", "KIND_BLINK", "KIND_PUCKER",
           "KIND_SMILE", "Metronome", "PracticeJudge", "PracticeSetResult", "TargetPlan", "UNITS", "Week",
           "History", "baseline_from_results", "calibrate", "history", "plan_for_patient", "plan_target", "replay",
           "save_set", "streak_days", "weekly_trend", "counted_sets", "nothing_counted_advice"]
