"""Run the face mesh over a whole source, decoding in a thread while MediaPipe works."""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import numpy as np

from ..capture import CameraSource, FrameQueueReader, FrameSource, SourceError, open_source
from ..core.anatomy import N_LANDMARKS
from ..params import DEFAULT_PARAMS, AnalysisParams
from .facemesh import FaceMeshExtractor
from .series import LandmarkSeries

ProgressCallback = Callable[[int, "int | None"], None]

_INITIAL_CAPACITY = 256  # frames, when the source does not say how many it has


class _Buffers:
    """Pre-allocated arrays that grow geometrically (amortised O(1) per frame)."""

    def __init__(self, capacity: int) -> None:
        capacity = max(1, capacity)
        self.n = 0
        self.timestamps = np.empty(capacity, np.float64)
        self.points = np.empty((capacity, N_LANDMARKS, 3), np.float32)
        self.n_faces = np.empty(capacity, np.int8)

    def append(self, t: float, points: np.ndarray, n_faces: int) -> None:
        if self.n == self.timestamps.shape[0]:
            self._grow(max(16, self.n // 2))
        i = self.n
        self.timestamps[i] = t
        self.points[i] = points
        self.n_faces[i] = min(n_faces, 127)
        self.n += 1

    def _grow(self, extra: int) -> None:
        cap = self.timestamps.shape[0] + extra
        for name in ("timestamps", "points", "n_faces"):
            old = getattr(self, name)
            new = np.empty((cap,) + old.shape[1:], old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)

    def trimmed(self, name: str) -> np.ndarray:
        arr = getattr(self, name)
        return arr if arr.shape[0] == self.n else arr[: self.n].copy()


def _face_warnings(n_faces: np.ndarray) -> list[str]:
    total = int(n_faces.shape[0])
    if total == 0:
        return ["The video has no frames."]
    out: list[str] = []
    missing = int(np.count_nonzero(n_faces == 0))
    if missing == total:
        out.append("No face was found in any frame.")
    elif missing:
        share = 100.0 * missing / total
        if share >= 1.0:
            out.append(f"No face was found in {share:.0f} % of frames.")
        else:
            out.append(f"No face was found in {missing} frame{'s' if missing > 1 else ''}.")
    several = int(np.count_nonzero(n_faces >= 2))
    if several:
        out.append(
            f"Two or more faces were seen in {several} frame{'s' if several > 1 else ''}; "
            "the largest face was followed."
        )
    return out


def _series_fps(source_fps: float | None, timestamps: np.ndarray) -> float:
    if source_fps:
        return float(source_fps)
    if timestamps.shape[0] > 1:
        step = float(np.median(np.diff(timestamps)))
        if step > 0:
            return 1.0 / step
    return math.nan


def extract_landmarks(
    source: FrameSource | str | int | os.PathLike[str],
    params: AnalysisParams = DEFAULT_PARAMS,
    progress: ProgressCallback | None = None,
) -> LandmarkSeries:
    """Face-mesh landmarks of every frame of `source` (a FrameSource, a file path or a camera index).

    Raises SourceError when the source cannot be read at all; a source that breaks off part-way (a
    cut-off file, an unplugged camera) gives the frames read so far, with `truncated` set and the
    reason in `warnings`. A clip without any face still returns its series
    (all NaN, with a warning); the caller decides what to tell the person.
    `progress(frames_done, frames_expected_or_None)` is called after each frame.
    """
    src = source if isinstance(source, FrameSource) else open_source(source)
    opened_here = not src.is_open
    src.open()  # validate upfront, in this thread, so a bad path fails before anything starts
    try:
        total = src.frame_count
        buffers = _Buffers(total + 8 if total else _INITIAL_CAPACITY)
        width, height = src.width or 0, src.height or 0
        with FaceMeshExtractor(params) as mesh:
            reader = FrameQueueReader(src)
            broke_off: SourceError | None = None
            try:
                for frame in reader:
                    obs = mesh.process(frame.image)
                    buffers.append(frame.timestamp_s, obs.points, obs.n_faces)
                    if progress is not None:
                        progress(buffers.n, total)
            except SourceError as exc:
                if buffers.n == 0:
                    raise
                broke_off = exc  # e.g. camera unplugged: keep what was recorded
            finally:
                reader.stop()
        timestamps = buffers.trimmed("timestamps")
        n_faces = buffers.trimmed("n_faces")
        warnings = list(src.warnings)
        if broke_off is not None:
            warnings.append(f"{broke_off} The recording stopped after {buffers.n} frames.")
        warnings += _face_warnings(n_faces)
        return LandmarkSeries(
            timestamps_s=timestamps,
            points=buffers.trimmed("points"),
            n_faces=n_faces,
            width=width,
            height=height,
            # a camera's announced rate is often not what it delivers: measure it instead
            fps=_series_fps(None if isinstance(src, CameraSource) else src.fps, timestamps),
            source=src.description,
            truncated=src.truncated or broke_off is not None,
            warnings=warnings,
        )
    finally:
        if opened_here:
            src.close()


__all__ = ["extract_landmarks"]
