"""The face at rest and at the peak of each task, from the stored clips (the report's picture strip).

For each task, the latest complete clip of it: its video's frame at the moment the measurement found
(the blink that moved the mouth corner most, the largest smile or pucker, a still stretch for rest),
cropped to the face, with its landmarks in the crop's pixels (the report draws the eye outlines,
mouth corners and the subject's sides from them). Frames are decoded through `synkimeter.capture`.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from synkimeter.core.anatomy import SIDES
from synkimeter.core.results import BlinkEvent, ClipResult
from synkimeter.usecases.stored import stored_result

if TYPE_CHECKING:  # the database layer (SQLAlchemy) loads when a store is opened, not with this module
    from synkimeter.store.database import Store
    from synkimeter.store.records import Clip

BLINK_TASKS = ("natural_blinking", "gentle_closure", "forceful_blink")
# The strip's order: Sunnybrook's movements first, then the blinks.
STRIP_ORDER = ("rest", "brow_lift", "gentle_closure", "forceful_blink", "smile", "snarl", "pucker",
               "natural_blinking")
TASK_WORDS = {"rest": "rest", "natural_blinking": "blink", "gentle_closure": "gentle eye closure",
              "forceful_blink": "forceful blink", "smile": "big smile", "pucker": "pucker", "brow_lift": "brow lift",
              "snarl": "snarl"}
MARGIN = 0.18  # of the face's size, around its landmarks


@dataclass(frozen=True)
class Moment:
    """One picture of the strip: a stored clip and the time in it."""

    clip: Clip
    task: str
    time_s: float
    caption: str


def _blink_peak(result: ClipResult, side: str | None) -> BlinkEvent | None:
    events = list(result.blinks) + list(result.eye_closures)
    if not events:
        return None
    sides = (side,) if side in SIDES else SIDES

    def moved(b: BlinkEvent) -> float:
        values = [b.mouth_mm.get(s, math.nan) for s in sides]
        return max((v for v in values if math.isfinite(v)), default=-1.0)

    return max(events, key=moved)


def _segments(result: ClipResult, kind: str) -> list:
    return [s for s in result.expressions or () if s.get("kind") == kind and s.get("start_s") is not None]


def _segment_size(segment) -> float:
    size = segment.get("size_mm") if segment.get("size_mm") is not None else segment.get("size_pct")
    return float(size) if size is not None else 0.0


def peak_time(result: ClipResult, task: str, side: str | None) -> tuple[float, str] | None:
    """(time in the clip, words) of the task's peak; None when the clip shows no such moment."""
    if task in BLINK_TASKS:
        blink = _blink_peak(result, side)
        if blink is None or not math.isfinite(blink.apex_s):
            return None
        return blink.apex_s, f"{TASK_WORDS[task]}\n{blink.apex_s:.1f} s"
    segments = _segments(result, task)
    if not segments:
        return None
    best = max(segments, key=_segment_size)
    # the task on one line, its moment and day on the next: five captions side by side do not overlap
    return (float(best["start_s"]) + float(best["end_s"])) / 2.0, f"{TASK_WORDS.get(task, task)}\n" \
        f"{(float(best['start_s']) + float(best['end_s'])) / 2.0:.1f} s"


def rest_time(result: ClipResult) -> float:
    """A still moment: the middle of the clip's rest stretch, else just before its first event."""
    rest = _segments(result, "rest")
    if rest:
        longest = max(rest, key=lambda s: float(s["end_s"]) - float(s["start_s"]))
        return (float(longest["start_s"]) + float(longest["end_s"])) / 2.0
    starts = [b.onset_s for b in list(result.blinks) + list(result.eye_closures) if math.isfinite(b.onset_s)]
    starts += [float(s["start_s"]) for s in result.expressions or () if s.get("start_s") is not None]
    return max(0.0, min(starts, default=0.5) - 0.4)


def strip_moments(store: Store, sessions, affected_side: str | None, result_of) -> list[Moment]:
    """The pictures to show, rest first: for each task, the latest complete clip of it in `sessions`
    (oldest first). `result_of(clip)` gives a clip's stored ClipResult or None."""
    latest: dict[str, tuple[Clip, ClipResult, str]] = {}
    for session in sessions:
        if session.status != "complete":
            continue
        for clip in store.clips(session):
            result = result_of(clip)
            if result is not None and clip.video_path and clip.landmarks_path:
                latest[clip.task] = (clip, result, session.started_at[:10])
    if not latest:
        return []
    moments = []
    rest_clip = latest.get("rest") or latest.get("natural_blinking") or next(iter(latest.values()))
    moments.append(Moment(rest_clip[0], "rest", rest_time(rest_clip[1]), f"rest\n{rest_clip[2]}"))
    for task in sorted((t for t in latest if t != "rest"), key=lambda t: (t not in STRIP_ORDER,
                                                                         STRIP_ORDER.index(t) if t in STRIP_ORDER
                                                                         else 0, t)):
        clip, result, day = latest[task]
        side = affected_side or result.ocular_oral.affected_side
        found = peak_time(result, task, side)
        if found is not None:
            moments.append(Moment(clip, task, found[0], f"{found[1]}, {day}"))
    return moments


@contextlib.contextmanager
def _video_file(store: Store, clip):
    """The clip's video as a file path (a clinic server keeps it in the database: a private temporary copy)."""
    if store.server is None:
        yield Path(store.folder) / clip.video_path
        return
    data = store.clip_bytes(clip, "video")
    fd, name = tempfile.mkstemp(prefix=".picture-", suffix=Path(clip.video_path).suffix or ".mp4")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data or b"")
        yield Path(name)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


@dataclass(frozen=True)
class FacePicture:
    moment: Moment
    image: np.ndarray  # RGB uint8, cropped to the face
    face: np.ndarray  # (478, 2) landmarks in the crop's pixels


def face_picture(store: Store, moment: Moment) -> FacePicture | None:
    """The frame at the moment, cropped to the face, with its landmarks; None when the frame or the
    face cannot be had (the report's Data notes list a damaged file)."""
    from synkimeter.capture import SourceError, frames_at

    try:
        series = store.load_series(moment.clip)
    except Exception:  # a missing or damaged file is listed under Data notes  # noqa: BLE001
        return None
    t = np.asarray(series.timestamps_s)
    points = np.asarray(series.points)
    seen = np.isfinite(points[:, 0, 0])
    if not seen.any():
        return None
    candidates = np.flatnonzero(seen)
    index = int(candidates[np.argmin(np.abs(t[candidates] - moment.time_s))])
    try:
        with _video_file(store, moment.clip) as path:
            frame = frames_at(path, [index]).get(index)
    except (SourceError, OSError):
        return None
    if frame is None:
        return None
    face = points[index, :, :2]
    lo, hi = face.min(axis=0), face.max(axis=0)
    pad = (hi - lo).max() * MARGIN
    x0, y0 = (int(max(0, v)) for v in lo - pad)
    x1 = int(min(frame.shape[1], hi[0] + pad))
    y1 = int(min(frame.shape[0], hi[1] + pad))
    if x1 - x0 < 2 or y1 - y0 < 2:  # the landmarks lie outside this video's picture: nothing to show
        return None
    return FacePicture(moment, frame[y0:y1, x0:x1], face - np.array([x0, y0], dtype=face.dtype))


def face_pictures(store: Store, sessions, affected_side: str | None) -> list[FacePicture]:
    """The face at rest and at the peak of each task's latest recording in `sessions` (oldest first)."""
    moments = strip_moments(store, sessions, affected_side, lambda clip: stored_result(store, clip))
    return [p for m in moments if (p := face_picture(store, m)) is not None]


