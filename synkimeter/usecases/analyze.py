"""A clip (video or saved landmarks) in, its measurement out: the path `analyze`, import and the
GUI's offline analysis share."""

from __future__ import annotations

import errno
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from synkimeter.capture import SourceError, VideoFileSource
from synkimeter.core.analysis import ClipAnalysis, MeasurementError, analyze_landmarks, coupling_verdict
from synkimeter.core.anatomy import SIDES
from synkimeter.core.expression_oral_ocular import add_expressions
from synkimeter.core.results import UNDETERMINED, ClipResult
from synkimeter.io.files import not_a_file
from synkimeter.landmarks import LandmarkSeries, extract_landmarks
from synkimeter.landmarks.series import LandmarkFileError
from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings, result_params
from synkimeter.usecases.setup_check import file_light_warnings

LANDMARK_SUFFIX = ".npz"
# Landmarks are pixels of the picture; a coordinate this far out is a damaged file, not a face (and
# would overflow float32 arithmetic into numpy warnings).
MAX_LANDMARK_PX = 1e6
# A frame this fraction of the usual frame interval after the one before repeats its time.
REPEAT_FRACTION = 0.1
# Frames checked for impossible coordinates at once.
CHECK_BLOCK_FRAMES = 4096


class ClipError(Exception):
    """A clip cannot be analysed; str() is one plain sentence."""


@dataclass
class AnalysedClip:
    """A clip measured offline: its typed result, the per-frame analysis and its landmarks."""

    source: str
    analysis: ClipAnalysis
    series: LandmarkSeries

    @property
    def result(self) -> ClipResult:
        return self.analysis.result

    @property
    def summary(self) -> dict:
        """The result document (JSON-ready)."""
        return self.analysis.summary


def load_series(path: str | Path, params: Settings = DEFAULT_SETTINGS,
                progress: Callable[[int, int | None], None] | None = None, mirrored: bool = False):
    """Landmarks of a clip: read from a saved .npz, or extracted from a video with the face mesh; of a
    `mirrored` video (a phone's front camera), with the subject's sides put right before anything is
    measured (the one place a clip's sides are set)."""
    series = _read_series(Path(path), params, progress)
    return series.unmirrored() if mirrored else series


def _read_series(path: Path, params: Settings, progress: Callable[[int, int | None], None] | None):
    if path.suffix.lower() == LANDMARK_SUFFIX:
        if not_a_file(path):
            raise ClipError(not_a_file(path))
        try:
            return LandmarkSeries.load_npz(path)
        except LandmarkFileError as exc:
            raise ClipError(str(exc)) from exc
        except Exception as exc:  # a damaged or foreign .npz: say so in words, whatever numpy raised
            if isinstance(exc, OSError) and exc.errno:
                raise ClipError(_spool_message(path, exc)) from exc
            raise ClipError(f"'{path}' is not a landmark file saved by synkimeter, or it is damaged "
                            f"({_npz_problem(exc)}).") from exc
    try:
        source = VideoFileSource(path)
        return extract_landmarks(source, params, progress=progress, workers=params.landmark_workers)
    except SourceError as exc:
        raise ClipError(str(exc)) from exc
    except OSError as exc:
        raise ClipError(_spool_message(path, exc)) from exc


def _npz_problem(exc: BaseException) -> str:
    """What was wrong inside a landmark file, in words (never an exception's class name)."""
    if isinstance(exc, KeyError):
        return f"its part {exc.args[0] if exc.args else ''} is missing".replace("  ", " ")
    if isinstance(exc, MemoryError):
        return "it declares more data than any clip holds"
    if isinstance(exc, RecursionError):
        return "its contents nest without end"
    return "its contents cannot be read"


def _spool_message(path: Path, exc: OSError) -> str:
    """A clip's full landmarks wait in a temporary file while it is measured (series.PointSpool)."""
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return (f"The temporary folder '{tempfile.gettempdir()}' is full, so the landmarks of '{path}' cannot wait "
                "there while it is measured: free some space (or set TMPDIR to a folder with room) and try again.")
    return f"'{path}' could not be read ({exc.strerror or exc})."


def _checked_frames(series, params: Settings, name: str | None = None
                    ) -> tuple[np.ndarray, np.ndarray, list[str], str | None]:
    """(times, measured points, warnings, why it is too short or None): ClipError when there are no
    frames or the frame times are unusable; frames repeating an earlier time or holding impossible
    coordinates are left out, with a warning. A clip too short is refused after the analysis, so
    a short clip without a face still says that first."""
    name = name or series.source
    t = np.asarray(series.timestamps_s, dtype=np.float64)
    points = series.measured
    warnings: list[str] = []
    if t.size == 0:
        raise ClipError(f"'{name}' holds no video frames.")
    known = np.flatnonzero(np.isfinite(t))
    steps = np.diff(t[known])
    if known.size > 1 and not np.any(steps != 0):
        raise ClipError(f"Every frame of '{name}' has the same time ({t[known[0]]:g} s), so the clip's length and "
                        "its blinks' timing are unknown: it cannot be measured.")
    if np.any(steps < 0):
        i = int(np.argmax(steps < 0))
        raise ClipError(f"The frame times of '{name}' go backwards (frame {known[i + 1] + 1} at "
                        f"{t[known[i + 1]]:.3f} s comes after {t[known[i]]:.3f} s), so it cannot be measured.")
    keep = np.ones(t.size, bool)
    # A repeated time, or one a sliver after the last: a video whose times went backwards comes out
    # of FFmpeg that way (each frame one clock tick after the one before).
    usual_s = float(np.median(steps[steps > 0])) if np.any(steps > 0) else 0.0
    repeats = known[1:][steps < REPEAT_FRACTION * usual_s]
    if repeats.size:
        keep[repeats] = False
        warnings.append(f"{repeats.size} frame(s) of '{name}' repeat the time of the frame before (or come a sliver "
                        "after it: the file's times went backwards there); only the first at each time was measured.")
    wild = np.zeros(points.shape[0], dtype=bool)
    with np.errstate(invalid="ignore"):
        for lo in range(0, points.shape[0], CHECK_BLOCK_FRAMES):  # |points| of the whole clip is its size again
            block = points[lo:lo + CHECK_BLOCK_FRAMES]
            wild[lo:lo + block.shape[0]] = np.any(np.abs(block) > MAX_LANDMARK_PX, axis=(1, 2))
    if wild.any():
        points = points.copy()
        points[wild] = np.nan
        warnings.append(f"{int(wild.sum())} frame(s) of '{name}' hold landmark positions far outside any picture; "
                        "they were left out as frames without a face.")
    if not keep.all():  # a boolean index copies every frame's points, even when it keeps them all
        t, points = t[keep], points[keep]
    finite = t[np.isfinite(t)]
    step_s = float(np.median(np.diff(finite))) if finite.size > 1 else 0.0
    length_s = float(finite[-1] - finite[0]) + step_s if finite.size > 1 else 0.0
    short = None
    if series.timestamps_s.shape[0] == 1:
        short = (f"'{name}' is a single picture, not a video: record a clip of at least {params.min_clip_s:g} s "
                 "with a few blinks.")
    elif length_s < params.min_clip_s:
        short = (f"'{name}' lasts only {length_s:.1f} s: a clip must last at least {params.min_clip_s:g} s "
                 "to hold a blink and the moment before it.")
    return t, points, warnings, short


def _frame_rate_notes(fps: float, params: Settings) -> tuple[list[str], bool]:
    """(warnings, whether a severity can be given): too few frames catch too little of a blink."""
    if not np.isfinite(fps) or fps >= params.low_frame_rate_fps:
        return [], True
    if fps < params.min_frame_rate_fps:
        return [f"The video has only {fps:.1f} frames per second: at under {params.min_frame_rate_fps:g} a blink falls "
                "between frames and mouth-corner movement reads far too low (a third low at 5), so no severity is "
                f"given. Record at {params.low_frame_rate_fps:g} frames per second or more (30 is best)."], False
    return [f"The video has only {fps:.1f} frames per second: blinks are caught by few frames, so mouth-corner "
            "movement reads low (about a tenth low at 12, a seventh at 10). Record at "
            f"{params.low_frame_rate_fps:g} frames per second or more (30 is best)."], True


def analyze_series(series, params: Settings = DEFAULT_SETTINGS, affected_side: str | None = None,
                   settled_at_start: bool = False, name: str | None = None) -> ClipAnalysis:
    """The measurement of a clip's landmarks; `name` is the file the user gave, which messages name
    (a landmark file's series keeps the video it was made from as its source)."""
    t, points, checks, too_short = _checked_frames(series, params, name)
    try:
        analysis = analyze_landmarks(t, points, params, affected_side=affected_side, settled_at_start=settled_at_start,
                                     keep_aligned=False)
    except MeasurementError as exc:
        raise ClipError(str(exc)) from exc
    except ValueError as exc:
        raise ClipError(too_short or f"The landmarks of '{series.source}' cannot be measured ({exc}).") from exc
    if too_short:
        raise ClipError(too_short)
    result = analysis.result
    # The frame rate as the document rounds it, so the note and the printed figure agree.
    fps = result.fps if np.isfinite(result.fps) else float("nan")
    rate_notes, gradable = _frame_rate_notes(round(fps, 4) if np.isfinite(fps) else fps, params)
    truncated = bool(getattr(series, "truncated", False))
    warnings = (list(getattr(series, "warnings", [])) + checks + list(result.warnings) + rate_notes
                + _mirror_notes(result, affected_side, params, bool(getattr(series, "mirrored", False)))
                + file_light_warnings(getattr(series, "light", np.zeros((0, 3))), params))
    if truncated:
        warnings.insert(0, "The video ended early (damaged or cut short); the frames before that were measured.")
    multi = np.asarray(getattr(series, "n_faces", np.zeros(0)))
    analysis.result = replace(
        result,
        params=result_params(params),
        source=str(series.source),
        container_fps=float(series.fps) if series.fps else None,
        width=int(series.width or 0), height=int(series.height or 0), truncated=truncated,
        optical_flow_points=tuple(getattr(series, "optical_flow_points", [])),
        multi_face_frames=int((multi > 1).sum()),
        warnings=tuple(warnings),
        ocular_oral=result.ocular_oral if gradable else replace(result.ocular_oral, severity=UNDETERMINED),
    )
    # Smiles, puckers and the rest found in the clip, and how each eye narrows in them.
    add_expressions(analysis, points, affected_side, params)
    return analysis


def _mirror_notes(result: ClipResult, affected_side: str | None, params: Settings, mirrored: bool) -> list[str]:
    """A stated affected side that the movement clearly contradicts: the video may be mirrored."""
    if affected_side not in SIDES:
        return []
    oo = result.ocular_oral
    _, measured_side, _ = coupling_verdict({s: oo.side(s).average_peak_mm for s in SIDES},
                                           {s: oo.side(s).n for s in SIDES}, params)
    if measured_side is None or measured_side == affected_side:
        return []
    taken = "was taken as mirrored (--mirrored)" if mirrored else "may be mirrored (a phone's front camera saves " \
        "mirrored video): if so, measure it again with --mirrored"
    return [f"The {measured_side} side moves clearly more with blinks, but the {affected_side} side was given as "
            f"the affected one: the video {taken}, or check which side is affected."]


def analyze_clip(path: str | Path, params: Settings = DEFAULT_SETTINGS, affected_side: str | None = None,
                 progress: Callable[[int, int | None], None] | None = None, mirrored: bool = False) -> AnalysedClip:
    series = load_series(path, params, progress, mirrored)
    return AnalysedClip(str(path), analyze_series(series, params, affected_side, name=str(path)), series)
