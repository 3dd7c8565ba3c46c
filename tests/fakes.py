"""Test doubles shared by several test files."""

from __future__ import annotations

from synkimeter.capture import FrameSource, SourceError, VideoFileSource


class WrappedClip(FrameSource):
    """A clip played through another source's face: every property passes through to the file;
    subclasses change what `__iter__` yields."""

    def __init__(self, path, realtime: bool = True, description: str = "") -> None:
        super().__init__()
        self.inner = VideoFileSource(path, realtime=realtime)
        self.is_live = realtime
        self.description = description or str(path)

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    @property
    def is_open(self) -> bool:
        return self.inner.is_open

    @property
    def fps(self):
        return self.inner.fps

    @property
    def width(self):
        return self.inner.width

    @property
    def height(self):
        return self.inner.height

    @property
    def frame_count(self):
        return self.inner.frame_count

    def __iter__(self):
        return iter(self.inner)


class UnpluggedCamera(WrappedClip):
    """A clip played like a camera that is unplugged after `fail_after` frames: the frames before
    arrive, then the source raises the SourceError a real camera gives."""

    def __init__(self, path, fail_after: int, realtime: bool = True, description: str = "Camera 0") -> None:
        super().__init__(path, realtime, description)
        self.fail_after = fail_after

    @property
    def frame_count(self):
        return None  # a camera does not know how many pictures it will send

    def __iter__(self):
        for frame in self.inner:
            if frame.index >= self.fail_after:
                raise SourceError("The camera stopped sending pictures (was it unplugged?).", "camera_lost")
            yield frame


class SimulatedCamera(FrameSource):
    """Small blank pictures at `fps` for `duration_s`, decoded as fast as asked (not live): with
    `SimulatedMesh` a recording runs on a simulated face without MediaPipe."""

    def __init__(self, duration_s: float, fps: float = 30.0, description: str = "Camera 0") -> None:
        super().__init__()
        self.duration_s, self._fps, self.description = duration_s, fps, description
        self.is_live = False
        self._open = False

    def open(self) -> None:
        self._open = True

    def close(self) -> None:
        self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def fps(self):
        return self._fps

    @property
    def width(self):
        return 64

    @property
    def height(self):
        return 48

    @property
    def frame_count(self):
        return int(self.duration_s * self._fps)

    def __iter__(self):
        import numpy as np

        from synkimeter.capture import Frame

        image = np.zeros((48, 64, 3), np.uint8)
        for i in range(self.frame_count):
            yield Frame(i, i / self._fps, image)


class SimulatedMesh:
    """A face-mesh stand-in: frame i gets frame i of a simulated track (synkimeter_dev.simulate),
    repeated; `face(t)` (frame time -> bool) says whether a face is seen."""

    def __init__(self, track, face=None) -> None:
        self.track = track
        self.face = face or (lambda t: True)
        self.n = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def process(self, image, timestamp_s=None):
        import numpy as np

        from synkimeter.landmarks.facemesh import FaceObservation

        points = self.track.points[self.n % len(self.track.points)]
        self.n += 1
        if not self.face(timestamp_s):
            return FaceObservation(np.full_like(points, np.nan), 0, float("nan"))
        return FaceObservation(points, 1, float(np.ptp(points[:, 0])))


class MissingCamera(FrameSource):
    """A camera that is not there: opening it raises the SourceError a real missing camera gives."""

    def __init__(self, index: int = 0) -> None:
        super().__init__()
        self.description = f"Camera {index}"
        self.is_live = True

    def open(self) -> None:
        raise SourceError(f"{self.description} is not connected or is used by another program.", "camera_unavailable")

    def close(self) -> None:
        return None

    @property
    def is_open(self) -> bool:
        return False

    @property
    def fps(self):
        return None

    width = height = frame_count = fps

    def __iter__(self):
        self.open()
        return iter(())
