"""Run the face mesh over a whole source, decoding in a thread while MediaPipe works.

With `workers=N` (N > 1) a video file is cut into N consecutive parts measured at once, each by its
own face mesh in its own thread (MediaPipe releases the GIL while it works), and stitched back in
frame order. Each part after the first starts `SPLIT_WARMUP_FRAMES` early so the mesh has acquired
and settled on the face when the part's own frames begin. Tracking-mode landmarks depend on the
frames before them, so a split clip's landmarks differ from a single pass's by a fraction of a pixel
after each cut (below the mesh's own jitter; benchmarks/README.md has the measured effect); the
same file and N always give the same result.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable

import numpy as np

from ..capture import CameraSource, FrameQueueReader, FrameSource, SourceError, VideoFileSource, open_source
from ..core.anatomy import MEASURED
from .facemesh import FaceMeshExtractor
from .flow import flow_indices
from .params import DEFAULT_EXTRACTION, ExtractionParams
from .series import LandmarkSeries, PointSpool

ProgressCallback = Callable[[int, "int | None"], None]

_INITIAL_CAPACITY = 256  # frames, when the source does not say how many it has
# A part of a split clip starts this many frames before its own first frame (1 s at 30 fps): the
# mesh re-acquires the face in 1-5 frames and has settled to jitter level after about 15.
SPLIT_WARMUP_FRAMES = 30
# Clips shorter than this many frames per worker are not split (the warm-up would not pay).
SPLIT_MIN_FRAMES_PER_WORKER = 300


class _Buffers:
    """Pre-allocated arrays that grow geometrically (amortised O(1) per frame): in memory only the
    points the measurement uses; every frame's full mesh goes to a file (see series.PointSpool)."""

    def __init__(self, capacity: int) -> None:
        capacity = max(1, capacity)
        self.n = 0
        self.timestamps = np.empty(capacity, np.float64)
        self.measured = np.empty((capacity, len(MEASURED), 3), np.float32)
        self.n_faces = np.empty(capacity, np.int8)
        self.spool = PointSpool()

    def append(self, t: float, points: np.ndarray, n_faces: int) -> None:
        if self.n == self.timestamps.shape[0]:
            self._grow(max(16, self.n // 2))
        i = self.n
        self.timestamps[i] = t
        self.measured[i] = points[MEASURED.indices]
        self.n_faces[i] = min(n_faces, 127)
        self.spool.append(points)
        self.n += 1

    def _grow(self, extra: int) -> None:
        cap = self.timestamps.shape[0] + extra
        for name in ("timestamps", "measured", "n_faces"):
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


def _split_bounds(total: int, workers: int) -> list[tuple[int, int]]:
    """[start, end) frame ranges of `workers` consecutive parts; the last runs to the file's end."""
    edges = [round(total * k / workers) for k in range(workers + 1)]
    bounds = [(edges[k], edges[k + 1]) for k in range(workers)]
    bounds[-1] = (bounds[-1][0], -1)
    return bounds


class _Part(threading.Thread):
    """One part of a split clip: its own decoder (from the file's start, so frame times and the
    end-of-file checks are the single pass's) and its own face mesh from `start - warm-up` on."""

    def __init__(self, path: str, start: int, end: int, params: ExtractionParams, max_face_px: float | None,
                 stop: threading.Event) -> None:
        super().__init__(name=f"extract[{start}:{end}]", daemon=True)
        # The frames before the warm-up are only decoded for their times (not converted to pictures).
        self.source = VideoFileSource(path, skip_to=max(0, start - SPLIT_WARMUP_FRAMES))
        self.start_index, self.end_index = start, end
        self.params, self.max_face_px, self.stop_flag = params, max_face_px, stop
        self.buffers = _Buffers(max(1, end - start) + 8 if end > 0 else _INITIAL_CAPACITY)
        self.error: BaseException | None = None
        self.done = 0

    def run(self) -> None:
        first_meshed = max(0, self.start_index - SPLIT_WARMUP_FRAMES)
        try:
            with self.source, FaceMeshExtractor(self.params, max_face_px=self.max_face_px) as mesh:
                reader = FrameQueueReader(self.source)
                try:
                    for frame in reader:
                        if self.stop_flag.is_set() or (0 <= self.end_index <= frame.index):
                            break
                        if frame.index < first_meshed:
                            continue
                        obs = mesh.process(frame.image, frame.timestamp_s)
                        if frame.index >= self.start_index:
                            self.buffers.append(frame.timestamp_s, obs.points, obs.n_faces)
                            self.done += 1
                finally:
                    reader.stop()
        except BaseException as exc:  # re-raised (or fallen back from) in the caller's thread
            self.error = exc


def _extract_split(src: VideoFileSource, params: ExtractionParams, progress: ProgressCallback | None,
                   workers: int, max_face_px: float | None) -> tuple[_Buffers, VideoFileSource] | None:
    """Measure the parts at once; None when a part failed (the caller then does one plain pass)."""
    total = int(src.frame_count or 0)
    stop = threading.Event()
    parts = [_Part(str(src.path), a, b, params, max_face_px, stop) for a, b in _split_bounds(total, workers)]
    for part in parts:
        part.start()
    try:
        while any(part.is_alive() for part in parts):
            parts[-1].join(0.1)
            if progress is not None:
                progress(sum(part.done for part in parts), total)
    finally:
        stop.set()
        for part in parts:
            part.join()
    if any(part.error is not None for part in parts):
        return None
    merged = _Buffers(1)
    for name in ("timestamps", "measured", "n_faces"):
        setattr(merged, name, np.concatenate([part.buffers.trimmed(name) for part in parts]))
    for part in parts:
        merged.spool.extend(part.buffers.spool)
    merged.n = int(merged.timestamps.shape[0])
    if progress is not None:
        progress(merged.n, total)
    # The last part's decoder read the whole file, so its end-of-file findings are the clip's.
    return merged, parts[-1].source


def _extract_one_pass(src: FrameSource, buffers: _Buffers, params: ExtractionParams,
                      progress: ProgressCallback | None, total: int | None,
                      max_face_px: float | None) -> SourceError | None:
    """The whole source through one face mesh, decoded in a thread; returns the error that cut a
    source short after some frames (an unplugged camera), None after a normal end."""
    with FaceMeshExtractor(params, max_face_px=max_face_px) as mesh:
        reader = FrameQueueReader(src)
        try:
            for frame in reader:
                obs = mesh.process(frame.image, frame.timestamp_s)
                buffers.append(frame.timestamp_s, obs.points, obs.n_faces)
                if progress is not None:
                    progress(buffers.n, total)
        except SourceError as exc:
            if buffers.n == 0:
                raise
            return exc  # e.g. camera unplugged: keep what was recorded
        finally:
            reader.stop()
    return None


def extract_landmarks(
    source: FrameSource | str | int | os.PathLike[str],
    params: ExtractionParams = DEFAULT_EXTRACTION,
    progress: ProgressCallback | None = None,
    *,
    workers: int = 1,
    max_face_px: float | None = None,
) -> LandmarkSeries:
    """Face-mesh landmarks of every frame of `source` (a FrameSource, a file path or a camera index).

    Raises SourceError when the source cannot be read at all; a source that breaks off part-way (a
    cut-off file, an unplugged camera) gives the frames read so far, with `truncated` set and the
    reason in `warnings`. A clip without any face still returns its series
    (all NaN, with a warning); the caller decides what to tell the person.
    `progress(frames_done, frames_expected_or_None)` is called after each frame.

    `workers` > 1 splits a video file (not a camera or a file replayed in real time) of at least
    `SPLIT_MIN_FRAMES_PER_WORKER` frames per worker into that many parts measured at once (see the
    module docstring); `max_face_px` is passed to `FaceMeshExtractor`.
    """
    src = source if isinstance(source, FrameSource) else open_source(source)
    opened_here = not src.is_open
    src.open()  # validate upfront, in this thread, so a bad path fails before anything starts
    try:
        total = src.frame_count
        buffers = _Buffers(total + 8 if total else _INITIAL_CAPACITY)
        width, height = src.width or 0, src.height or 0
        broke_off: SourceError | None = None
        split = None
        read_by: FrameSource
        workers = max(1, int(workers))
        if (workers > 1 and isinstance(src, VideoFileSource) and not src.realtime and total
                and total >= workers * SPLIT_MIN_FRAMES_PER_WORKER):
            split = _extract_split(src, params, progress, workers, max_face_px)
        if split is not None:
            buffers, read_by = split
        else:
            broke_off = _extract_one_pass(src, buffers, params, progress, total, max_face_px)
            read_by = src
        timestamps = buffers.trimmed("timestamps")
        n_faces = buffers.trimmed("n_faces")
        warnings = list(read_by.warnings)
        if broke_off is not None:
            warnings.append(f"{broke_off} The recording stopped after {buffers.n} frames.")
        warnings += _face_warnings(n_faces)
        return LandmarkSeries(
            timestamps_s=timestamps,
            points=buffers.spool,
            measured=buffers.trimmed("measured"),
            n_faces=n_faces,
            width=width,
            height=height,
            # a camera's announced rate is often not what it delivers: measure it instead
            fps=_series_fps(None if isinstance(src, CameraSource) else src.fps, timestamps),
            source=src.description,
            truncated=read_by.truncated or broke_off is not None,
            warnings=warnings,
            optical_flow_points=flow_indices(params),
        )
    finally:
        if opened_here:
            src.close()


__all__ = ["extract_landmarks"]
