"""MediaPipe Face Mesh (legacy solution API, tracking mode, refined: 478 points) in pixel units."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..capture._cv import cv2
from ..core.anatomy import N_LANDMARKS
from ..params import DEFAULT_PARAMS, AnalysisParams


@contextmanager
def _stderr_silenced(enabled: bool = True) -> Iterator[None]:
    """Send the process's stderr (fd 2) to /dev/null for the duration.

    MediaPipe's C++ side (absl, TF Lite) prints INFO/WARNING lines while it builds its graph and runs
    its first frame ("Created TensorFlow Lite XNNPACK delegate", "Feedback manager requires...");
    GLOG_minloglevel does not reach all of them. Only used around construction and the first frame.
    """
    if not enabled:
        yield
        return
    try:
        fd = sys.stderr.fileno() if sys.stderr is not None else 2
        sys.stderr.flush()
        saved = os.dup(fd)
    except (AttributeError, OSError, ValueError):
        yield
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)
        finally:
            os.close(devnull)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _import_face_mesh() -> Any:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import mediapipe as mp  # slow (~0.6 s): only when first needed

    face_mesh = mp.solutions.face_mesh

    try:
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
    except Exception:  # pragma: no cover - absl always comes with mediapipe
        pass
    return face_mesh


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
    """

    def __init__(self, params: AnalysisParams = DEFAULT_PARAMS, *, quiet: bool = True) -> None:
        self.params = params
        self.quiet = quiet
        self._mesh: Any = None
        self._frames_done = 0

    def open(self) -> None:
        if self._mesh is not None:
            return
        with _stderr_silenced(self.quiet):
            face_mesh = _import_face_mesh()
            self._mesh = face_mesh.FaceMesh(
                static_image_mode=False,
                max_num_faces=int(self.params.max_faces),
                refine_landmarks=True,
                min_detection_confidence=float(self.params.min_detection_confidence),
                min_tracking_confidence=float(self.params.min_tracking_confidence),
            )
        self._frames_done = 0

    def close(self) -> None:
        mesh, self._mesh = self._mesh, None
        if mesh is not None:
            mesh.close()

    def __enter__(self) -> "FaceMeshExtractor":
        self.open()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def process(self, image_bgr: np.ndarray) -> FaceObservation:
        """Landmarks of the largest face in a BGR uint8 image (as OpenCV gives it)."""
        self.open()
        image = np.asarray(image_bgr)
        if image.ndim == 2:
            rgb = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
        elif image.shape[2] == 4:
            rgb = cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
        else:
            rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False  # lets MediaPipe use the buffer without copying
        height, width = rgb.shape[:2]
        with _stderr_silenced(self.quiet and self._frames_done < 2):
            result = self._mesh.process(rgb)
        self._frames_done += 1
        faces = result.multi_face_landmarks or []
        if not faces:
            return FaceObservation(np.full((N_LANDMARKS, 3), np.nan, np.float32), 0, float("nan"))
        scale = np.array([width, height, width], np.float32)
        best, best_area = None, -1.0
        for face in faces:
            pts = np.array([(p.x, p.y, p.z) for p in face.landmark], np.float32) * scale
            span = pts[:, :2].max(axis=0) - pts[:, :2].min(axis=0)
            area = float(span[0] * span[1])
            if area > best_area:
                best, best_area = pts, area
        assert best is not None
        if best.shape[0] != N_LANDMARKS:  # refine_landmarks is on, so this would be a MediaPipe change
            raise RuntimeError(f"Face mesh returned {best.shape[0]} points, expected {N_LANDMARKS}.")
        width_px = float(best[:, 0].max() - best[:, 0].min())
        return FaceObservation(best, len(faces), width_px)


__all__ = ["FaceMeshExtractor", "FaceObservation"]
