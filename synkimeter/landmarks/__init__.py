"""MediaPipe Face Mesh landmarks (478 refined points, pixel units) for frames and whole clips.

MediaPipe itself is imported only when the first extractor opens (it takes ~0.6 s), and this
package's modules (OpenCV among their imports) only when first named, so that reading the
extraction settings (`landmarks.params`) costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .extract import extract_landmarks
    from .facemesh import FaceMeshExtractor, FaceObservation
    from .series import LandmarkSeries

_HOMES = {"extract_landmarks": ".extract", "FaceMeshExtractor": ".facemesh", "FaceObservation": ".facemesh",
          "LandmarkSeries": ".series"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["FaceMeshExtractor", "FaceObservation", "LandmarkSeries", "extract_landmarks"]
