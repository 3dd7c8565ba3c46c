"""The worker thread: newest camera frame -> face mesh -> live engine. The GUI thread only draws.

Three threads never wait for each other:
- capture: a `LatestFrameReader` keeps only the newest frame (stale ones are dropped);
- this worker: landmarks for the newest frame, fed to the `LiveEngine` with the frame's OWN
  timestamp (dropped frames leave gaps, they never shift time), and a re-measure a few times a second;
- the GUI: picks up the newest `ViewFrame` on its own timer, and snapshots arrive as signals.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator, cast

import numpy as np
from PySide6.QtCore import QThread, Signal

from synkimeter.capture import Frame, FrameSource, LatestFrameReader, SourceError
from synkimeter.core.anatomy import COMMISSURE, EYE_CONTOUR, SIDES
from synkimeter.usecases.live import LiveEngine, LiveSnapshot
from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings

_EYE_INDEX = {side: np.array(EYE_CONTOUR[side], dtype=np.intp) for side in SIDES}


def overlay_points(points: np.ndarray | None):
    """Eye outlines (K, 2) and mouth corners (x, y) per side in image pixels, or (None, None)."""
    if points is None:
        return None, None
    eyes = {side: points[_EYE_INDEX[side], :2] for side in SIDES}
    corners = {side: (float(points[COMMISSURE[side], 0]), float(points[COMMISSURE[side], 1])) for side in SIDES}
    return eyes, corners


class ViewSlot:
    """The newest ViewFrame, handed from a worker thread to the GUI's timer (older ones are dropped)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._view: ViewFrame | None = None

    def put(self, view: ViewFrame) -> None:
        with self._lock:
            self._view = view

    def take(self) -> ViewFrame | None:
        with self._lock:
            view, self._view = self._view, None
        return view


@dataclass
class ViewFrame:
    """What the preview draws: the picture and a light overlay, in image pixels."""

    image: np.ndarray  # BGR uint8
    timestamp_s: float  # the source's own time
    captured_mono: float  # time.monotonic() when the frame left the source
    eyes: dict[str, np.ndarray] | None  # (K, 2) closed eye outline per side
    corners: dict[str, tuple[float, float]] | None  # mouth corners now
    corner_rest: dict[str, tuple[float, float]] | None  # where they rest (head motion put back)
    instant: object | None = None  # live.InstantScores of this very frame


@dataclass
class WorkerStats:
    measured_fps: float  # frames measured per second (wall clock)
    source_fps: float  # the source's rate, from its own timestamps
    frames: int
    dropped: int  # frames the capture replaced before they could be measured
    width: int
    height: int


class _Timed:
    """Wraps a source so each frame carries the monotonic time it left the source.

    LatestFrameReader uses only iter() and `description` of what it reads, so it takes this wrapper
    in place of a FrameSource and hands back (frame, captured) pairs instead of frames (see the casts).
    """

    def __init__(self, source: FrameSource) -> None:
        self.source = source
        self.description = source.description

    def __iter__(self) -> Iterator[tuple[Frame, float]]:
        for frame in self.source:
            yield frame, time.monotonic()


def _default_mesh(params: Settings):
    from synkimeter.landmarks import FaceMeshExtractor

    return FaceMeshExtractor(params)


class LiveWorker(QThread):
    """Runs one source until it ends, fails or is stopped. Make a new worker for the next source."""

    opened = Signal(str, int, int)  # description, width, height
    snapshot_ready = Signal(object)  # LiveSnapshot
    failed = Signal(str)  # one plain sentence
    ended = Signal()  # a video file came to its end

    def __init__(self, source: FrameSource, params: Settings = DEFAULT_SETTINGS,
                 mesh_factory: Callable[[Settings], Any] = _default_mesh, parent=None) -> None:
        super().__init__(parent)
        self.source = source
        self.params = params
        self.engine = LiveEngine(params)
        self._mesh_factory = mesh_factory
        self._stop = threading.Event()
        self._reset = threading.Event()
        self.views = ViewSlot()
        self._times: collections.deque[float] = collections.deque(maxlen=60)
        self._stamps: collections.deque[float] = collections.deque(maxlen=60)
        self._reader: LatestFrameReader | None = None
        self.frames = 0
        self.last_snapshot: LiveSnapshot | None = None
        self._smoothed_corners: dict[str, np.ndarray] = {}

    # -- called from the GUI thread --------------------------------------------------------------
    def stop(self) -> None:
        self._stop.set()

    def request_reset(self) -> None:
        self._reset.set()

    def take_view(self) -> ViewFrame | None:
        """The newest frame not taken before (None when nothing new)."""
        return self.views.take()

    def stats(self) -> WorkerStats:
        def rate(values) -> float:
            v = list(values)
            return (len(v) - 1) / (v[-1] - v[0]) if len(v) > 2 and v[-1] > v[0] else float("nan")

        reader = self._reader
        return WorkerStats(rate(self._times), rate(self._stamps), self.frames,
                           reader.frames_dropped if reader else 0,
                           int(self.source.width or 0), int(self.source.height or 0))

    # -- the thread ------------------------------------------------------------------------------
    def run(self) -> None:  # noqa: D401 - QThread entry point
        try:
            self._run()
        except SourceError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug must not take the window down; say something plain
            self.failed.emit(f"The measurement stopped because of an internal error ({type(exc).__name__}: {exc}).")

    def _run(self) -> None:
        source = self.source
        source.open()
        self.opened.emit(source.description, int(source.width or 0), int(source.height or 0))
        mesh = self._mesh_factory(self.params)
        reader = LatestFrameReader(cast(FrameSource, _Timed(source)))  # duck-typed: see _Timed
        self._reader = reader
        interval = self.params.live_update_interval_s
        next_update = time.monotonic() + interval
        try:
            with mesh:
                while not self._stop.is_set():
                    item = cast("tuple[Frame, float] | None", reader.get(timeout=0.1))  # what _Timed yields
                    if self._reset.is_set():
                        self._reset.clear()
                        self.engine.reset()
                        self._times.clear()
                        self._stamps.clear()
                    if item is None:
                        if reader.finished.is_set():
                            break
                        continue
                    frame, captured = item
                    self._measure(mesh, frame, captured)
                    now = time.monotonic()
                    if now >= next_update:
                        next_update = now + interval
                        self._publish()
        finally:
            reader.stop()
            source.close()
        if self._stop.is_set():
            return
        self._publish()  # blinks that became final in the last frames
        if reader.error is not None:
            raise reader.error
        self.ended.emit()

    def _measure(self, mesh, frame, captured: float) -> None:
        obs = mesh.process(frame.image, frame.timestamp_s)
        points = obs.points if obs.has_face else None
        self.engine.push(frame.timestamp_s, points)
        self.frames += 1
        self._times.append(time.monotonic())
        self._stamps.append(frame.timestamp_s)
        eyes, corners = overlay_points(points)
        rest = instant = None
        if points is not None:
            corners = {side: self._smooth(side, np.array(corners[side])) for side in SIDES}
            rest = self.engine.corner_rest_px(points)
            instant = self.engine.instant(frame.timestamp_s, points)
        else:
            self._smoothed_corners.clear()
        self.views.put(ViewFrame(frame.image, frame.timestamp_s, captured, eyes, corners, rest, instant))

    def _smooth(self, side: str, point: np.ndarray) -> tuple[float, float]:
        """A light exponential smoothing of the drawn corner: mesh jitter is 0.2-0.5 mm."""
        prev = self._smoothed_corners.get(side)
        value = point.astype(np.float64) if prev is None else 0.5 * prev + 0.5 * point
        self._smoothed_corners[side] = value
        return float(value[0]), float(value[1])

    def _publish(self) -> None:
        snapshot = self.engine.update()
        snapshot.analysis = None  # the GUI needs the numbers, not the whole analysis
        self.last_snapshot = snapshot
        self.snapshot_ready.emit(snapshot)
