"""MediaPipe Face Mesh (legacy solution API, tracking mode, refined: 478 points) in pixel units."""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import sys
import threading
import time
import types
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from ..capture._cv import cv2
from ..core.anatomy import N_LANDMARKS
from .flow import FLOW_INDICES, LandmarkFlow
from .mesh_graph import SEARCH_STREAM, face_mesh_class
from .params import DEFAULT_EXTRACTION, ExtractionParams


class _StderrSilencer:
    """Process-wide, reference-counted redirection of stderr (fd 2) to /dev/null.

    MediaPipe's C++ side (absl, TF Lite) prints INFO/WARNING lines that mean nothing to the person
    using the program ("Created TensorFlow Lite XNNPACK delegate", "Feedback manager requires...").
    GLOG_minloglevel does not reach them, and they come from MediaPipe's own threads, after
    FaceMesh() returns and during the first frame with a face. So stderr is silenced from opening an
    extractor until its first face has been processed (or it closes, or `_QUIET_MAX_S` passes).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._saved: int | None = None

    def acquire(self) -> bool:
        with self._lock:
            if self._count == 0:
                try:
                    if sys.stderr is not None:
                        sys.stderr.flush()
                    saved = os.dup(2)
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    try:
                        os.dup2(devnull, 2)
                    finally:
                        os.close(devnull)
                except (AttributeError, OSError, ValueError):
                    return False
                self._saved = saved
            self._count += 1
            return True

    def release(self) -> None:
        with self._lock:
            if self._count == 0:
                return
            self._count -= 1
            if self._count == 0 and self._saved is not None:
                os.dup2(self._saved, 2)
                os.close(self._saved)
                self._saved = None


_SILENCER = _StderrSilencer()
_QUIET_MAX_S = 10.0


class _QuietWindow:
    """One extractor's hold on the silencer; released once, by whichever comes first."""

    def __init__(self) -> None:
        self._held = _SILENCER.acquire()
        self._lock = threading.Lock()
        self._timer = threading.Timer(_QUIET_MAX_S, self.end) if self._held else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def end(self) -> None:
        with self._lock:
            if not self._held:
                return
            self._held = False
        if self._timer is not None:
            self._timer.cancel()
        _SILENCER.release()


class _DeferredModule(types.ModuleType):
    """A module that loads at its first use. MediaPipe's drawing helpers import matplotlib.pyplot
    when MediaPipe is imported, only to plot landmarks, which synkimeter never does; importing it
    costs more than MediaPipe itself (0.7-1.6 s here), and in the window's background preload it
    holds the interpreter while the window is built. The helpers keep this stand-in as their `plt`;
    nothing else ever sees it (it is out of sys.modules again as soon as MediaPipe is imported)."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attr)


@contextlib.contextmanager
def _pyplot_deferred() -> Iterator[None]:
    if "matplotlib" in sys.modules:  # already there (or the standalone app's own stand-in)
        yield
        return
    stand_ins = {"matplotlib": _DeferredModule("matplotlib"), "matplotlib.pyplot": _DeferredModule("matplotlib.pyplot")}
    stand_ins["matplotlib"].__dict__["pyplot"] = stand_ins["matplotlib.pyplot"]
    sys.modules.update(stand_ins)
    try:
        yield
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


def _import_face_mesh() -> Any:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _pyplot_deferred():
        import mediapipe as mp  # slow (~0.6 s): only when first needed

    face_mesh = mp.solutions.face_mesh

    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except Exception:  # pragma: no cover - absl always comes with mediapipe
        pass
    return face_mesh


def _multi_face_landmarks(mesh: Any, rgb: np.ndarray, search: bool = True) -> Any:
    """The faces MediaPipe's FaceMesh finds in one RGB picture (`search`: look for more faces than
    it follows, see mesh_graph.py): its own `process()` for a single image (same graph, packets and
    simulated 30 fps timestamps, so the same landmarks) without the namedtuple type it builds on
    every call and the outputs synkimeter does not read (0.3 ms a frame, 6 % of the model's time).
    The MediaPipe version is pinned; should its internals ever differ, the public `process()` serves."""
    inputs: dict[str, Any] = {"image": rgb}
    if getattr(mesh, "searches_on_demand", False):
        inputs[SEARCH_STREAM] = bool(search)
    try:
        kinds = {stream: mesh._input_stream_type_info[stream] for stream in inputs}
        output_kind = mesh._output_stream_type_info["multi_face_landmarks"]
        graph, outputs = mesh._graph, mesh._graph_outputs
    except (AttributeError, KeyError, TypeError):
        return mesh.process(inputs if len(inputs) > 1 else rgb).multi_face_landmarks
    outputs.clear()
    mesh._simulated_timestamp += 33333
    for stream, data in inputs.items():
        packet = mesh._make_packet(kinds[stream], data).at(mesh._simulated_timestamp)
        graph.add_packet_to_input_stream(stream=stream, packet=packet)
    graph.wait_until_idle()
    packet = outputs.get("multi_face_landmarks")
    return None if packet is None else mesh._get_packet_content(output_kind, packet)


def preload_face_mesh() -> None:
    """Import MediaPipe now (~0.6 s and more), e.g. in a background thread while a window is built,
    so that the first face mesh opens sooner; errors are left for the mesh's own open() to report."""
    try:
        _import_face_mesh()
    except Exception:
        pass


# A NormalizedLandmarkList as MediaPipe serialises it: per landmark, field 1 (length 15) holding x, y
# and z as fixed32 fields 1-3. Reading that buffer with numpy gives the very same float32 values as
# the protobuf accessors, 20x faster (0.01 ms instead of 0.2 ms a frame, ~4 % of the mesh's time).
_PACKED = np.dtype([("head", "u1", 2), ("tx", "u1"), ("x", "<f4"), ("ty", "u1"), ("y", "<f4"),
                    ("tz", "u1"), ("z", "<f4")])
_PACKED_TAGS = (b"\n\x0f", 0x0D, 0x15, 0x1D)


def _landmark_array(face: Any) -> np.ndarray:
    """(N, 3) float32 normalised landmarks of one face (fast path, checked; else the accessors)."""
    buf = face.SerializeToString()
    n = len(face.landmark)
    if n and len(buf) == n * _PACKED.itemsize:
        rec = np.frombuffer(buf, _PACKED)
        head = np.frombuffer(_PACKED_TAGS[0], np.uint8)
        if ((rec["head"] == head).all() and (rec["tx"] == _PACKED_TAGS[1]).all()
                and (rec["ty"] == _PACKED_TAGS[2]).all() and (rec["tz"] == _PACKED_TAGS[3]).all()):
            out = np.empty((n, 3), np.float32)
            out[:, 0], out[:, 1], out[:, 2] = rec["x"], rec["y"], rec["z"]
            return out
    return np.array([(p.x, p.y, p.z) for p in face.landmark], np.float32)


@dataclass(slots=True)
class FaceObservation:
    points: np.ndarray  # (478, 3) float32 pixels (x*w, y*h, z*w); all NaN when no face
    n_faces: int  # faces MediaPipe returned for this frame (up to params.max_faces)
    face_width_px: float  # horizontal extent of the followed face's landmarks; NaN when no face

    @property
    def has_face(self) -> bool:
        return self.n_faces > 0


class FaceMeshExtractor:
    """Face-mesh landmarks for a stream of frames (tracking mode: feed frames in order).

    With several faces in view the largest (by landmark bounding-box area) is followed.

        with FaceMeshExtractor() as mesh:
            obs = mesh.process(frame.image)

    `max_face_px` (off by default): when a followed face is wider than this many pixels, later frames
    are given to the mesh downscaled by a whole factor (2, 3 or 4) so the face is about that wide;
    the landmarks come back in the full frame's pixels (MediaPipe returns them normalised to the
    image). The factor is chosen when a face is acquired and kept while it is tracked; frames after
    a lost face go in at full size. See benchmarks/README.md for what it saves and costs.

    With `params.optical_flow` (the default) the x, y of the two commissures and of the head anchors
    are not the mesh's own: they are followed by optical flow and held to the mesh at slow time
    scales (`flow.py` says why). Give `process` each frame's time for that.
    """

    def __init__(self, params: ExtractionParams = DEFAULT_EXTRACTION, *, quiet: bool = True,
                 max_face_px: float | None = None) -> None:
        self.params = params
        self.quiet = quiet
        self.max_face_px = float(max_face_px) if max_face_px else None
        self.downscale = 1  # the factor the next frame goes in with
        self._mesh: Any = None
        self._quiet_window: _QuietWindow | None = None
        self._flow = LandmarkFlow(params) if params.optical_flow else None
        self._search_slot: int | None = None  # the search interval of the last frame

    def open(self) -> None:
        if self._mesh is not None:
            return
        if self.quiet:
            self._quiet_window = _QuietWindow()
        try:
            self._mesh = face_mesh_class(_import_face_mesh())(
                static_image_mode=False,
                max_num_faces=int(self.params.max_faces),
                refine_landmarks=True,
                min_detection_confidence=float(self.params.min_detection_confidence),
                min_tracking_confidence=float(self.params.min_tracking_confidence),
            )
        except BaseException:
            self._end_quiet()
            raise

    def _end_quiet(self) -> None:
        window, self._quiet_window = self._quiet_window, None
        if window is not None:
            window.end()

    def close(self) -> None:
        mesh, self._mesh = self._mesh, None
        self._search_slot = None
        if self._flow is not None:
            self._flow.reset()
        try:
            if mesh is not None:
                mesh.close()
        finally:
            self._end_quiet()

    def __enter__(self) -> "FaceMeshExtractor":
        self.open()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _search_due(self, when_s: float) -> bool:
        """Whether to look for more faces in the frame taken at `when_s`: the first of each interval
        (counted from time 0, so a part of a split clip looks in the frames a single pass would)."""
        interval_s = float(self.params.face_search_interval_s)
        if not (interval_s > 0 and math.isfinite(when_s)):
            return True
        slot = math.floor(when_s / interval_s)
        due, self._search_slot = slot != self._search_slot, slot
        return due

    def process(self, image_bgr: np.ndarray, timestamp_s: float | None = None) -> FaceObservation:
        """Landmarks of the largest face in a BGR uint8 image (as OpenCV gives it), taken at
        `timestamp_s` (the frame's time; the monotonic clock when not given)."""
        self.open()
        image = np.asarray(image_bgr)
        if image.ndim == 2:
            rgb = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
        elif image.shape[2] == 4:
            rgb = cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
        else:
            rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        full_rgb = rgb
        height, width = rgb.shape[:2]
        factor = self.downscale
        if factor > 1:
            rgb = cv2.resize(rgb, (max(1, round(width / factor)), max(1, round(height / factor))),
                             interpolation=cv2.INTER_AREA)
        rgb.flags.writeable = False  # lets MediaPipe use the buffer without copying
        when_s = time.monotonic() if timestamp_s is None else float(timestamp_s)
        faces = _multi_face_landmarks(self._mesh, rgb, self._search_due(when_s)) or []
        if faces and self._quiet_window is not None:
            self._end_quiet()  # the landmark model has started and said its piece
        if not faces:
            self.downscale = 1
            if self._flow is not None:
                self._flow.reset()
            return FaceObservation(np.full((N_LANDMARKS, 3), np.nan, np.float32), 0, float("nan"))
        scale = np.array([width, height, width], np.float32)
        best, best_area = None, -1.0
        for face in faces:
            pts = _landmark_array(face) * scale
            span = pts[:, :2].max(axis=0) - pts[:, :2].min(axis=0)
            area = float(span[0] * span[1])
            if area > best_area:
                best, best_area = pts, area
        assert best is not None
        if best.shape[0] != N_LANDMARKS:  # refine_landmarks is on, so this would be a MediaPipe change
            raise RuntimeError(f"Face mesh returned {best.shape[0]} points, expected {N_LANDMARKS}.")
        if self._flow is not None:
            # The RGB picture made above, not the caller's: the flow keeps it until the next frame,
            # and a caller may reuse its buffer.
            mouth_width_px = float(np.linalg.norm(best[FLOW_INDICES[0], :2] - best[FLOW_INDICES[1], :2]))
            best[FLOW_INDICES, :2] = self._flow.update(full_rgb, best[FLOW_INDICES, :2], when_s, mouth_width_px)
        width_px = float(best[:, 0].max() - best[:, 0].min())
        if self.max_face_px and factor == 1 and math.isfinite(width_px):
            self.downscale = int(min(4, max(1, width_px // self.max_face_px)))
        return FaceObservation(best, len(faces), width_px)


__all__ = ["FaceMeshExtractor", "FaceObservation", "preload_face_mesh"]
