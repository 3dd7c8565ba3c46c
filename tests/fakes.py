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
