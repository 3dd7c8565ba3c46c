"""Import OpenCV quietly.

OpenCV and its bundled FFmpeg print warnings on stderr ("moov atom not found", "can't open camera by
index", ...) that mean nothing to the people using this program; every failure they stand for is
turned into a `SourceError` with a plain sentence instead. A developer can still see them by setting
OPENCV_LOG_LEVEL / OPENCV_FFMPEG_LOGLEVEL in the environment: those are only defaulted here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

_USER_SET_LOG_LEVEL = "OPENCV_LOG_LEVEL" in os.environ
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
# FFmpeg's AV_LOG_FATAL (8): hides decoder errors on damaged files, which are reported as SourceError
# or as a `truncated` flag. Read by OpenCV when it first opens a file, so this works even if cv2 was
# imported before this module.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "8")

import cv2  # noqa: E402

# OpenCV's own thread pool: every call synkimeter makes works on one frame of webcam size (a colour
# conversion, optical flow on a crop around the face), where splitting the work over threads costs
# more CPU than it saves (measured: the flow 0.55 ms a frame on one thread, 0.77 ms on two, with no
# gain in wall time), and the face mesh or a second mesh already keeps the other cores busy. The
# results are the same either way. OPENCV_NUM_THREADS in the environment still decides.
if "OPENCV_NUM_THREADS" not in os.environ:
    cv2.setNumThreads(1)

_LOG_SILENT = 0
_LOG_ERROR = 2

if not _USER_SET_LOG_LEVEL and hasattr(cv2, "setLogLevel"):
    # cv2 may have been imported (by mediapipe, say) before the environment default above was set.
    try:
        cv2.setLogLevel(_LOG_ERROR)
    except Exception:  # pragma: no cover - very old builds
        pass


@contextmanager
def quiet_opencv() -> Iterator[None]:
    """Silence OpenCV's own log (not FFmpeg's) for the duration, e.g. while probing camera indices."""
    if _USER_SET_LOG_LEVEL or not hasattr(cv2, "setLogLevel"):
        yield
        return
    try:
        old = cv2.getLogLevel()
    except Exception:  # pragma: no cover
        old = _LOG_ERROR
    cv2.setLogLevel(_LOG_SILENT)
    try:
        yield
    finally:
        cv2.setLogLevel(old)


__all__ = ["cv2", "quiet_opencv"]
