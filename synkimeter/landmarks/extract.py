"""Run the face mesh over a whole source, decoding in a thread while MediaPipe works.

With `workers=N` (N > 1) a video file is cut into N consecutive parts, each measured by its own face
mesh and stitched back in frame order: at once, each part in its own thread (MediaPipe releases the
GIL while it works), where there is a core for each, else in turn over one decoding of the file.
Each part after the first starts `SPLIT_WARMUP_FRAMES` early so the mesh has acquired and settled on
the face when the part's own frames begin. Tracking-mode landmarks depend on the frames before them,
so a split clip's landmarks differ from a single pass's by a fraction of a pixel after each cut
(below the mesh's own jitter; benchmarks/README.md has the measured effect); the same file and N
always give the same result, on any number of cores."""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterator

import numpy as np

from ..capture import CameraSource, Frame, FrameQueueReader, FrameSource, SourceError, VideoFileSource, open_source
from ..core.align import available_cores
from ..core.anatomy import MEASURED
from .facemesh import FaceMeshExtractor
from .flow import flow_indices
from .params import DEFAULT_EXTRACTION, ExtractionParams
from .series import LandmarkSeries, PointSpool

ProgressCallback = Callable[[int, "int | None"], None]

# One frame in this many has its light measured (once a second at 30 frames/s: a few hundred
# numbers for an hour, which set-up warnings of a file are read from).
LIGHT_SAMPLE_FRAMES = 30
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
        self.light: list[tuple[float, float, float]] = []  # (face grey, picture grey, face contrast)

    def append(self, t: float, points: np.ndarray, n_faces: int, image: np.ndarray | None = None) -> None:
        if self.n == self.timestamps.shape[0]:
            self._grow(max(16, self.n // 2))
        i = self.n
        if image is not None and i % LIGHT_SAMPLE_FRAMES == 0:
            light = face_light(image, points)
            if light is not None:
                self.light.append(light)
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


def face_light(image: np.ndarray, points: np.ndarray) -> tuple[float, float, float] | None:
    """How one frame's face is lit: its box's mean grey level, the whole picture's, and the face's
    contrast (the grey level's standard deviation), all 0-255 (ITU-R 601 weights on BGR, every other
    pixel of the face, every fourth of the picture); None without a face."""
    xy = np.asarray(points)[:, :2]
    if not np.isfinite(xy).all() or image is None or image.ndim != 3:
        return None
    h, w = image.shape[:2]
    x0, y0 = np.clip(np.floor(xy.min(axis=0)).astype(int), 0, (w, h))
    x1, y1 = np.clip(np.ceil(xy.max(axis=0)).astype(int), 0, (w, h))
    weights = np.array([0.114, 0.587, 0.299], np.float32)
    face = image[y0:y1:2, x0:x1:2].astype(np.float32) @ weights
    if face.size < 16:
        return None
    picture = image[::4, ::4].astype(np.float32) @ weights
    return float(face.mean()), float(picture.mean()), float(face.std())


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


class _InlineReader:
    """A FrameQueueReader's interface over a source read in the caller's own thread."""

    def __init__(self, source: FrameSource) -> None:
        self._frames = iter(source)

    def __iter__(self) -> Iterator[Frame]:
        return self._frames

    def stop(self) -> None:
        close = getattr(self._frames, "close", None)
        if close is not None:
            close()


def _reader(src: FrameSource) -> FrameQueueReader | _InlineReader:
    """Decoding in a thread overlaps the face mesh where a second core is free; on one core it only
    adds hand-overs between threads (3 % of `analyze`'s time), so a file is then read in the
    caller's thread (a camera always in its own, so that no frame waits for the mesh)."""
    if isinstance(src, VideoFileSource) and not src.realtime and available_cores() < 2:
        return _InlineReader(src)
    return FrameQueueReader(src)


class _Part:
    """One part of a split clip: frames [start, end) (end -1: to the file's end), meshed from
    `SPLIT_WARMUP_FRAMES` before `start` on by a face mesh of its own. What a part sees is fixed by
    the clip alone, so its landmarks are the same whether the parts run at once or in turn."""

    def __init__(self, start: int, end: int, params: ExtractionParams, max_face_px: float | None) -> None:
        self.start_index, self.end_index = start, end
        self.first_meshed = max(0, start - SPLIT_WARMUP_FRAMES)
        self.mesh = FaceMeshExtractor(params, max_face_px=max_face_px)
        self.buffers = _Buffers(max(1, end - start) + 8 if end > 0 else _INITIAL_CAPACITY)
        self.done = 0

    def takes(self, index: int) -> bool:
        return self.first_meshed <= index and not self.ended(index)

    def ended(self, index: int) -> bool:
        return 0 <= self.end_index <= index

    def feed(self, frame: Frame) -> None:
        obs = self.mesh.process(frame.image, frame.timestamp_s)
        if frame.index >= self.start_index:
            self.buffers.append(frame.timestamp_s, obs.points, obs.n_faces, frame.image)
            self.done += 1


class _PartThread(threading.Thread):
    """A part run in a thread of its own, with its own decoder (from the file's start, so frame times
    and the end-of-file checks are the single pass's; frames before the part's are only grabbed)."""

    def __init__(self, path: str, part: _Part, stop: threading.Event) -> None:
        super().__init__(name=f"extract[{part.start_index}:{part.end_index}]", daemon=True)
        self.source = VideoFileSource(path, skip_to=part.first_meshed)
        self.part, self.stop_flag = part, stop
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.source, self.part.mesh:
                reader = FrameQueueReader(self.source)
                try:
                    for frame in reader:
                        if self.stop_flag.is_set() or self.part.ended(frame.index):
                            break
                        if self.part.takes(frame.index):
                            self.part.feed(frame)
                finally:
                    reader.stop()
        except BaseException as exc:  # re-raised (or fallen back from) in the caller's thread
            self.error = exc


def _run_parts_at_once(src: VideoFileSource, parts: list[_Part], progress: ProgressCallback | None,
                       total: int) -> VideoFileSource | None:
    """Each part in its own thread (MediaPipe lets go of the GIL); the source that read the whole
    file, or None when a part failed."""
    stop = threading.Event()
    threads = [_PartThread(str(src.path), part, stop) for part in parts]
    for thread in threads:
        thread.start()
    try:
        while any(thread.is_alive() for thread in threads):
            threads[-1].join(0.1)
            if progress is not None:
                progress(sum(part.done for part in parts), total)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    if any(thread.error is not None for thread in threads):
        return None
    return threads[-1].source  # the last part's decoder read the whole file


def _run_parts_in_turn(src: VideoFileSource, parts: list[_Part], progress: ProgressCallback | None,
                       total: int) -> VideoFileSource | None:
    """One decoder, each frame given in turn to the parts that take it: the same landmarks as
    `_run_parts_at_once`, for a machine without a core per part (there the threads would only take
    turns, at a cost). The source, or None when a part failed."""
    reader = _reader(src)
    try:
        for frame in reader:
            for part in parts:
                if part.takes(frame.index):
                    part.feed(frame)
                elif frame.index == part.end_index:  # the first frame after its own: done with its mesh
                    part.mesh.close()
            if progress is not None:
                progress(sum(part.done for part in parts), total)
    except Exception:
        return None
    finally:
        reader.stop()
        for part in parts:
            part.mesh.close()
    return src


def _extract_split(src: VideoFileSource, params: ExtractionParams, progress: ProgressCallback | None,
                   workers: int, max_face_px: float | None) -> tuple[_Buffers, VideoFileSource] | None:
    """Measure the parts, at once where there is a core for each, else in turn; None when a part
    failed (the caller then does one plain pass)."""
    total = int(src.frame_count or 0)
    parts = [_Part(a, b, params, max_face_px) for a, b in _split_bounds(total, workers)]
    run = _run_parts_at_once if available_cores() >= workers else _run_parts_in_turn
    read_by = run(src, parts, progress, total)
    if read_by is None:
        return None
    merged = _Buffers(1)
    names = ("timestamps", "measured", "n_faces")
    frames = sum(part.buffers.n for part in parts)
    for name in names:
        first = getattr(parts[0].buffers, name)
        setattr(merged, name, np.empty((frames, *first.shape[1:]), first.dtype))
    at = 0
    for part in parts:
        buffers = part.buffers
        for name in names:
            getattr(merged, name)[at:at + buffers.n] = getattr(buffers, name)[:buffers.n]
        at += buffers.n
        merged.spool.extend(buffers.spool)
        merged.light += buffers.light
        # A part's arrays go as soon as they are copied: its thread object outlives the extraction
        # (the first part's held its 0.9 kB a frame to the end of `analyze`, 8 MB at 10 minutes), and
        # all parts at once beside the merged copy were twice the clip's points.
        for name in names:
            setattr(buffers, name, getattr(buffers, name)[:0].copy())
        buffers.n = 0
    merged.n = frames
    if progress is not None:
        progress(merged.n, total)
    return merged, read_by


def _extract_one_pass(src: FrameSource, buffers: _Buffers, params: ExtractionParams,
                      progress: ProgressCallback | None, total: int | None,
                      max_face_px: float | None) -> SourceError | None:
    """The whole source through one face mesh, decoded in a thread; returns the error that cut a
    source short after some frames (an unplugged camera), None after a normal end."""
    with FaceMeshExtractor(params, max_face_px=max_face_px) as mesh:
        reader = _reader(src)
        try:
            for frame in reader:
                obs = mesh.process(frame.image, frame.timestamp_s)
                buffers.append(frame.timestamp_s, obs.points, obs.n_faces, frame.image)
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
            light=np.array(buffers.light, np.float32).reshape(-1, 3),
        )
    finally:
        if opened_here:
            src.close()


__all__ = ["extract_landmarks"]
