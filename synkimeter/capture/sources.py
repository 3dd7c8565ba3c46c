"""Frame sources: video files and cameras, a thin layer over cv2.VideoCapture.

Every failure a person can cause (wrong path, empty or damaged file, camera unplugged or busy) is a
`SourceError` whose `str()` is one plain sentence that can be shown as is.

Timing: a file's frames carry the file's own presentation times (CAP_PROP_POS_MSEC), a camera's
frames the monotonic clock at capture. Frame indices are never turned into times with an integer
frame rate; webcams drop frames and files can have variable rates.
"""

from __future__ import annotations

import math
import os
import struct
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ._cv import cv2, quiet_opencv

# Only used when a file stores neither frame times nor a frame rate (never seen in practice); the
# series then carries a warning saying times were assumed.
_ASSUMED_FPS = 30.0
# A file is "truncated" when it ends this many frames short of the count its header announces;
# some containers only estimate the count from duration x rate, so an exact comparison would cry wolf.
_TRUNCATION_TOLERANCE_FRAMES = 2
_TRUNCATION_TOLERANCE_FRACTION = 0.01
# A camera may fail one read in a while without being gone.
_CAMERA_READ_ATTEMPTS = 3
_CAMERA_RETRY_PAUSE_S = 0.05


class SourceError(Exception):
    """A frame source cannot be opened or failed while reading. `str()` is one plain sentence.

    `reason` is a short machine-readable code: missing, directory, permission, empty, unreadable,
    incomplete, no_frames, camera_unavailable, camera_lost, bad_spec.
    """

    def __init__(self, message: str, reason: str = "unreadable") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason

    def __str__(self) -> str:
        return self.message


@dataclass(slots=True)
class Frame:
    index: int
    timestamp_s: float
    image: np.ndarray  # BGR uint8, (height, width, 3), as OpenCV gives it


@dataclass(frozen=True, slots=True)
class VideoInfo:
    fps: float | None
    frame_count: int | None
    width: int
    height: int
    duration_s: float | None


@dataclass(frozen=True, slots=True)
class CameraInfo:
    index: int
    width: int
    height: int
    name: str | None = None

    def __str__(self) -> str:
        label = self.name or f"Camera {self.index}"
        return f"{label} ({self.width}x{self.height})"


def _usable_fps(value: float) -> float | None:
    value = float(value)
    if not math.isfinite(value) or value <= 0.0 or value > 1000.0:
        return None
    return value


_Source = TypeVar("_Source", bound="FrameSource")  # a `with` block keeps the concrete source's type


class FrameSource(ABC):
    """A stream of `Frame`s. Use as a context manager, or call open()/close().

    Iterating an unopened source opens it and closes it again at the end. After a normal end,
    `truncated` says whether the stream stopped short of what it announced, and `warnings` holds plain
    sentences about anything the caller should tell the person (truncation, assumed frame times).

    `is_live` is True when frames arrive in real time whether or not anyone takes them (a camera, or a
    file replayed with realtime=True): read such a source with LatestFrameReader. `description` is the
    file path or "Camera N".
    """

    description: str
    is_live: bool

    def __init__(self) -> None:
        self.truncated: bool = False
        self.frames_read: int = 0
        self.warnings: list[str] = []

    @abstractmethod
    def open(self) -> None:
        """Open and validate the source (idempotent). Raises SourceError."""

    @abstractmethod
    def close(self) -> None:
        """Release the device or file (idempotent)."""

    @property
    @abstractmethod
    def is_open(self) -> bool: ...

    @abstractmethod
    def __iter__(self) -> Iterator[Frame]: ...

    @property
    @abstractmethod
    def fps(self) -> float | None:
        """Nominal frames per second as a float, None when unknown."""

    @property
    @abstractmethod
    def width(self) -> int | None: ...

    @property
    @abstractmethod
    def height(self) -> int | None: ...

    @property
    @abstractmethod
    def frame_count(self) -> int | None:
        """Frames announced by the container; None for cameras or when unknown."""

    def __enter__(self: _Source) -> _Source:
        self.open()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.description!r}>"


# --------------------------------------------------------------------------------------------------
# Files


class _OpenCVSource(FrameSource):
    """What a file and a camera share: a cv2.VideoCapture and the size and rate read from it."""

    def __init__(self) -> None:
        super().__init__()
        self._cap: Any = None
        self._fps: float | None = None
        self._width: int | None = None
        self._height: int | None = None
        self._first: tuple[np.ndarray, float] | None = None

    @property
    def is_open(self) -> bool:
        return self._cap is not None

    @property
    def fps(self) -> float | None:
        return self._fps

    @property
    def width(self) -> int | None:
        return self._width

    @property
    def height(self) -> int | None:
        return self._height

    def _release(self) -> None:
        cap, self._cap = self._cap, None
        self._first = None
        if cap is not None:
            cap.release()


def _quote(path: Path | str) -> str:
    return f"'{path}'"


def _mp4_lacks_index(path: Path) -> bool:
    """True for an MP4/MOV whose 'moov' box (the index of all frames) is missing.

    That is what an interrupted recording looks like: most writers put the index at the end, so a
    file cut short has frame data but nothing any player can decode it with.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
            if len(head) < 8 or head[4:8] != b"ftyp":
                return False
            pos = 0
            while pos + 8 <= size:
                fh.seek(pos)
                header = fh.read(16)
                if len(header) < 8:
                    break
                box_size, box_type = struct.unpack(">I4s", header[:8])
                if box_type == b"moov":
                    return False
                if box_size == 1 and len(header) >= 16:
                    box_size = struct.unpack(">Q", header[8:16])[0]
                elif box_size == 0:  # box runs to the end of the file
                    break
                if box_size < 8:
                    break
                pos += box_size
            return True
    except OSError:
        return False


def _check_file_path(path: Path) -> None:
    shown = _quote(path)
    if not path.exists():
        raise SourceError(f"The file {shown} does not exist.", "missing")
    if path.is_dir():
        raise SourceError(f"{shown} is a folder, not a video file.", "directory")
    if not path.is_file():  # reading a pipe would wait for a writer for ever
        raise SourceError(f"{shown} is not a file but a pipe, socket or device: save the video to a file first.",
                          "not_file")
    if not os.access(path, os.R_OK):
        raise SourceError(f"{shown} cannot be opened: permission denied.", "permission")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceError(f"{shown} cannot be opened ({exc.strerror or exc}).", "permission") from exc
    if size == 0:
        raise SourceError(f"{shown} is empty (0 bytes).", "empty")


class VideoFileSource(_OpenCVSource):
    """Frames of a video file, timed by the file's own presentation times.

    realtime=True paces delivery on a monotonic clock so the file plays like a camera (for trying the
    live view on a recording); the timestamps stay the file's own, so measurement timing is exact.
    """

    def __init__(self, path: str | os.PathLike[str], realtime: bool = False, *, skip_to: int = 0) -> None:
        super().__init__()
        self.path = Path(path)
        self.realtime = bool(realtime)
        # Frames before this index are decoded for their times only (grab without retrieve: about
        # half the cost of a read) and not yielded; indices, times and the end-of-file checks are
        # those of a full pass. For a part of a split clip (landmarks/extract.py).
        self.skip_to = max(0, int(skip_to))
        self.description = str(self.path)
        self.is_live = self.realtime
        self._frame_count: int | None = None
        self._consumed = False

    # -- properties ---------------------------------------------------------------------------
    @property
    def frame_count(self) -> int | None:
        return self._frame_count

    @property
    def duration_s(self) -> float | None:
        if self._fps and self._frame_count:
            return self._frame_count / self._fps
        return None

    # -- life cycle ---------------------------------------------------------------------------
    def open(self) -> None:
        if self._cap is not None:
            return
        path = self.path
        _check_file_path(path)
        shown = _quote(path)
        cap = cv2.VideoCapture(str(path))
        if not cap.isOpened():
            cap.release()
            if _mp4_lacks_index(path):
                raise SourceError(
                    f"{shown} is incomplete (the recording was probably interrupted) and cannot be read.",
                    "incomplete",
                )
            raise SourceError(f"{shown} is not a video this program can read.", "unreadable")
        ok, image = cap.read()
        if not ok or image is None or image.size == 0:
            cap.release()
            raise SourceError(f"{shown} contains no video frames.", "no_frames")
        self._cap = cap
        self._fps = _usable_fps(cap.get(cv2.CAP_PROP_FPS))
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self._frame_count = int(round(count)) if math.isfinite(count) and count > 0 else None
        self._height, self._width = int(image.shape[0]), int(image.shape[1])
        self._first = (image, float(cap.get(cv2.CAP_PROP_POS_MSEC)))
        self._consumed = False
        self.truncated = False
        self.frames_read = 0
        self.warnings = []

    def close(self) -> None:
        self._release()

    # -- frames -------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Frame]:
        opened_here = not self.is_open
        if self._consumed:  # a second pass: start again from the beginning
            self.close()
        self.open()
        self._consumed = True
        try:
            yield from self._frames()
        finally:
            if opened_here:
                self.close()

    def _frames(self) -> Iterator[Frame]:
        cap = self._cap
        assert cap is not None and self._first is not None
        image: np.ndarray | None
        image, pos_ms = self._first
        self._first = None
        fps = self._fps
        step_s = 1.0 / (fps or _ASSUMED_FPS)
        # Times come from the container's positions; where a position is missing or does not move
        # forward, the time is extrapolated from the last good position at the nominal rate.
        anchor_index, anchor_s, last_s = 0, 0.0, -math.inf
        extrapolated = 0
        clock_start: float | None = None
        first_s = 0.0
        index = 0
        while True:
            pos_s = pos_ms / 1000.0
            if math.isfinite(pos_s) and pos_s >= 0.0 and (pos_s > last_s if index else True):
                anchor_index, anchor_s = index, pos_s
                ts = pos_s
            else:
                ts = anchor_s + (index - anchor_index) * step_s
                extrapolated += 1
            last_s = ts
            if self.realtime:
                now = time.monotonic()
                if clock_start is None:
                    clock_start, first_s = now, ts
                else:
                    delay = clock_start + (ts - first_s) - now
                    if delay > 0:
                        time.sleep(delay)
            self.frames_read = index + 1
            if index >= self.skip_to:
                assert image is not None  # frames from skip_to on are read, not only grabbed
                yield Frame(index, ts, image)
            index += 1
            if index < self.skip_to:
                image = None  # only grabbed: the frame is not decoded into a picture
                if not cap.grab():
                    break
            else:
                ok, image = cap.read()
                if not ok or image is None:
                    break
            pos_ms = float(cap.get(cv2.CAP_PROP_POS_MSEC))

        shown = _quote(self.path.name)
        expected = self._frame_count
        if expected is not None:
            tolerance = max(_TRUNCATION_TOLERANCE_FRAMES, int(expected * _TRUNCATION_TOLERANCE_FRACTION))
            if index < expected - tolerance:
                self.truncated = True
                self.warnings.append(
                    f"{shown} ended early: {index} of {expected} frames could be read "
                    "(the file is probably incomplete)."
                )
        if extrapolated > max(1, index // 2):
            rate = f"{fps:g}" if fps else f"an assumed {_ASSUMED_FPS:g}"
            self.warnings.append(
                f"{shown} does not store frame times, so they were computed from its frame rate "
                f"({rate} frames per second)."
            )


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Frame rate, frame count, size and duration of a video file. Raises SourceError."""
    with VideoFileSource(path) as src:
        return VideoInfo(
            fps=src.fps,
            frame_count=src.frame_count,
            width=int(src.width or 0),
            height=int(src.height or 0),
            duration_s=src.duration_s,
        )


def frames_at(path: str | os.PathLike[str], indices: Iterable[int]) -> dict[int, np.ndarray]:
    """The frames of a video file at these indices, as RGB uint8 images, decoded in one pass that
    stops at the last one asked for (indices past the end are left out). Raises SourceError."""
    wanted = {int(i) for i in indices if int(i) >= 0}
    found: dict[int, np.ndarray] = {}
    if not wanted:
        return found
    last = max(wanted)
    with VideoFileSource(path) as src:
        for frame in src:
            if frame.index in wanted:
                found[frame.index] = np.ascontiguousarray(frame.image[:, :, ::-1])
            if frame.index >= last:
                break
    return found


# --------------------------------------------------------------------------------------------------
# Cameras


def _linux_device_absent(index: int) -> bool:
    return sys.platform.startswith("linux") and not os.path.exists(f"/dev/video{index}")


def _linux_camera_name(index: int) -> str | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return Path(f"/sys/class/video4linux/video{index}/name").read_text().strip() or None
    except OSError:
        return None


def _open_capture(index: int) -> Any:
    with quiet_opencv():
        return cv2.VideoCapture(index)


class CameraSource(_OpenCVSource):
    """Frames of a camera, timed by time.monotonic() at capture, relative to the first frame."""

    is_live = True

    def __init__(self, index: int, width: int | None = None, height: int | None = None) -> None:
        super().__init__()
        self.index = int(index)
        self.requested_size = (width, height)
        self.description = f"Camera {self.index}"
        self._closing = False
        self._iterating = False

    @property
    def frame_count(self) -> int | None:
        return None

    def _unavailable(self) -> SourceError:
        return SourceError(
            f"Camera {self.index} is not connected or is used by another program.", "camera_unavailable"
        )

    def _make_capture(self) -> Any:
        """The cv2.VideoCapture (tests replace this with a fake camera)."""
        if self.index < 0 or _linux_device_absent(self.index):
            return None
        return _open_capture(self.index)

    def open(self) -> None:
        if self._cap is not None:
            return
        cap = self._make_capture()
        if cap is None or not cap.isOpened():
            if cap is not None:
                cap.release()
            raise self._unavailable()
        width, height = self.requested_size
        if width:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, float(width))
        if height:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, float(height))
        image, t = self._read(cap)
        if image is None:
            cap.release()
            raise self._unavailable()
        self._cap = cap
        self._closing = False
        self._fps = _usable_fps(cap.get(cv2.CAP_PROP_FPS))
        self._height, self._width = int(image.shape[0]), int(image.shape[1])
        self._first = (image, t)
        self.truncated = False
        self.frames_read = 0
        self.warnings = []

    @staticmethod
    def _read(cap: Any) -> tuple[np.ndarray | None, float]:
        for attempt in range(_CAMERA_READ_ATTEMPTS):
            if cap.grab():
                t = time.monotonic()
                ok, image = cap.retrieve()
                if ok and image is not None and image.size:
                    return image, t
            if attempt + 1 < _CAMERA_READ_ATTEMPTS:
                time.sleep(_CAMERA_RETRY_PAUSE_S)
        return None, time.monotonic()

    def close(self) -> None:
        """Release the camera. Called from another thread while a loop reads it, the loop ends
        after its current frame and releases the camera itself (never under a blocking read)."""
        self._closing = True
        if not self._iterating:
            self._release()

    def __iter__(self) -> Iterator[Frame]:
        opened_here = not self.is_open
        self.open()
        self._iterating = True
        try:
            yield from self._frames()
        finally:
            self._iterating = False
            if opened_here or self._closing:
                self._release()

    def _frames(self) -> Iterator[Frame]:
        cap = self._cap
        if self._first is None:  # iterated before: the camera just goes on
            image, t = self._read(cap)
            if image is None:
                raise SourceError("The camera stopped sending pictures (unplugged?).", "camera_lost")
        else:
            image, t = self._first
            self._first = None
        t0 = t
        index = 0
        while True:
            self.frames_read = index + 1
            yield Frame(index, t - t0, image)
            index += 1
            if self._closing:
                return
            image, t = self._read(cap)
            if image is None:
                if self._closing:
                    return
                raise SourceError("The camera stopped sending pictures (unplugged?).", "camera_lost")


def list_cameras(max_index: int = 6) -> list[CameraInfo]:
    """Cameras that open and deliver a picture, probing indices 0..max_index-1 quietly."""
    found: list[CameraInfo] = []
    for index in range(max_index):
        if _linux_device_absent(index):
            continue
        cap = _open_capture(index)
        try:
            if not cap.isOpened():
                continue
            with quiet_opencv():
                ok, image = cap.read()
            if not ok or image is None:
                continue  # e.g. a Linux metadata node beside the real one
            found.append(CameraInfo(index, int(image.shape[1]), int(image.shape[0]), _linux_camera_name(index)))
        finally:
            cap.release()
    return found


@dataclass(frozen=True)
class SourceSpec:
    """Where frames come from, parsed once from what a person typed or chose: a camera index (an int,
    or a string of digits) or a video file's path."""

    camera: int | None = None
    path: str | None = None

    @classmethod
    def parse(cls, spec: "SourceSpec | str | int | os.PathLike[str]") -> "SourceSpec":
        """SourceError (one sentence) for an empty choice."""
        if isinstance(spec, SourceSpec):
            return spec
        if isinstance(spec, bool):
            raise SourceError("Choose a camera number or a video file.", "bad_spec")
        if isinstance(spec, int):
            return cls(camera=spec)
        text = os.fspath(spec) if isinstance(spec, (str, os.PathLike)) else ""
        if not str(text).strip():
            raise SourceError("Choose a camera number or a video file.", "bad_spec")
        stripped = str(text).strip()
        if stripped.isascii() and stripped.isdigit():
            return cls(camera=int(stripped))
        return cls(path=str(text))

    @property
    def is_camera(self) -> bool:
        return self.camera is not None

    @property
    def key(self) -> tuple[str, int | str]:
        """("camera", index) or ("file", path): equal for the same source, however it was typed."""
        return ("camera", self.camera) if self.camera is not None else ("file", str(self.path))

    def describe(self) -> str:
        return f"Camera {self.camera}" if self.camera is not None else Path(str(self.path)).name

    def open(self, realtime: bool = False, resolution: tuple[int, int] | None = None) -> FrameSource:
        """An unopened source; a file replays in real time (like a camera) when `realtime`."""
        if self.camera is not None:
            width, height = resolution or (None, None)
            return CameraSource(self.camera, width, height)
        return VideoFileSource(str(self.path), realtime=realtime)


def open_source(spec: SourceSpec | str | int | os.PathLike[str], realtime: bool = False) -> FrameSource:
    """An unopened source: an int or a digit-only string is a camera index, anything else a file."""
    return SourceSpec.parse(spec).open(realtime=realtime)


__all__ = [
    "CameraInfo",
    "CameraSource",
    "Frame",
    "FrameSource",
    "SourceError",
    "SourceSpec",
    "VideoFileSource",
    "VideoInfo",
    "list_cameras",
    "open_source",
    "probe_video",
]
