"""A clip (video or saved landmarks) in, its measurement out: the path `analyze`, import and the
GUI's offline analysis share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from synkimeter.core.analysis import ClipAnalysis, MeasurementError, analyze_landmarks
from synkimeter.params import DEFAULT_PARAMS, AnalysisParams

LANDMARK_SUFFIX = ".npz"


class ClipError(Exception):
    """A clip cannot be analysed; str() is one plain sentence."""


@dataclass
class ClipResult:
    source: str
    analysis: ClipAnalysis
    series: object  # synkimeter.landmarks.LandmarkSeries

    @property
    def summary(self) -> dict:
        return self.analysis.summary


def load_series(path: str | Path, params: AnalysisParams = DEFAULT_PARAMS,
                progress: Callable[[int, int | None], None] | None = None):
    """Landmarks of a clip: read from a saved .npz, or extracted from a video with the face mesh."""
    from synkimeter.capture import SourceError, VideoFileSource
    from synkimeter.landmarks import LandmarkSeries, extract_landmarks

    path = Path(path)
    if path.suffix.lower() == LANDMARK_SUFFIX:
        if not path.is_file():
            raise ClipError(f"The file '{path}' does not exist.")
        try:
            return LandmarkSeries.load_npz(path)
        except Exception as exc:  # a damaged or foreign .npz: say so, whatever numpy raised
            raise ClipError(f"'{path}' is not a landmark file saved by synkimeter ({type(exc).__name__}).") from exc
    try:
        source = VideoFileSource(path)
        return extract_landmarks(source, params, progress=progress, workers=params.landmark_workers)
    except SourceError as exc:
        raise ClipError(str(exc)) from exc


def analyze_series(series, params: AnalysisParams = DEFAULT_PARAMS, affected_side: str | None = None) -> ClipAnalysis:
    if series.points.shape[0] == 0:
        raise ClipError(f"'{series.source}' holds no video frames.")
    try:
        analysis = analyze_landmarks(series.timestamps_s, series.points, params, affected_side=affected_side)
    except MeasurementError as exc:
        raise ClipError(str(exc)) from exc
    except ValueError as exc:  # e.g. a landmark file whose frame times go backwards
        raise ClipError(f"The landmarks of '{series.source}' cannot be measured ({exc}).") from exc
    summary = analysis.summary
    summary["source"] = str(series.source)
    if series.fps:
        summary["container_fps"] = float(series.fps)
    summary["width"], summary["height"] = int(series.width or 0), int(series.height or 0)
    summary["truncated"] = bool(getattr(series, "truncated", False))
    summary["optical_flow_points"] = list(getattr(series, "optical_flow_points", []))
    summary["warnings"] = list(getattr(series, "warnings", [])) + summary["warnings"]
    if summary["truncated"]:
        summary["warnings"].insert(0, "The video ended early (damaged or cut short); the frames before that were measured.")
    multi = np.asarray(getattr(series, "n_faces", np.zeros(0)))
    summary["multi_face_frames"] = int((multi > 1).sum())
    return analysis


def analyze_clip(path: str | Path, params: AnalysisParams = DEFAULT_PARAMS, affected_side: str | None = None,
                 progress: Callable[[int, int | None], None] | None = None) -> ClipResult:
    series = load_series(path, params, progress)
    return ClipResult(str(path), analyze_series(series, params, affected_side), series)
