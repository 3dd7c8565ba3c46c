"""MediaPipe Face Mesh landmarks (478 refined points, pixel units) for frames and whole clips.

MediaPipe itself is imported only when the first extractor opens (it takes ~0.6 s).
"""

from .extract import extract_landmarks
from .facemesh import FaceMeshExtractor, FaceObservation
from .series import LandmarkSeries

__all__ = ["FaceMeshExtractor", "FaceObservation", "LandmarkSeries", "extract_landmarks"]
