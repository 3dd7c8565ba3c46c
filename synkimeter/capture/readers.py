"""Background readers: decode or capture in a thread while the caller does inference.

- `LatestFrameReader` for live use: keeps only the newest frame, so a slow consumer always works on
  the present and never on a backlog.
- `FrameQueueReader` for offline analysis: keeps every frame, in order, in a bounded queue, so
  decoding overlaps the consumer (MediaPipe and OpenCV both release the GIL).

Neither closes a source it did not open: iterating an unopened source opens and closes it inside the
reader thread; a source the caller opened is the caller's to close after stop().
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

from .sources import Frame, FrameSource

_POLL_S = 0.1
# Frames the offline queue may hold are also limited by memory: 64 frames of 4K video is 1.6 GB.
# The default of 8 frames is enough: decoding runs 5-20x faster than the face mesh, so the queue is
# always full, and 8 frames overlap as well as 64 (measured: the same frames/s end to end) for an eighth
# of the memory (22 MB instead of 177 MB at 1280x720).
_DEFAULT_MAX_QUEUE_BYTES = 256 * 1024 * 1024


class LatestFrameReader:
    """Reads `source` continuously in a daemon thread and keeps only the newest frame.

    get(timeout) returns a frame not returned before (the newest), or None when none arrived in time
    or the source has finished. `error` holds the exception that ended the source (a SourceError for
    an unplugged camera), `finished` is set when the thread is done.
    """

    def __init__(self, source: FrameSource, *, start: bool = True) -> None:
        self.source = source
        self.frames_read = 0
        self.frames_dropped = 0
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._fresh = False
        self._thread = threading.Thread(
            target=self._run, name=f"LatestFrameReader({source.description})", daemon=True
        )
        if start:
            self.start()

    def start(self) -> None:
        if not self._thread.is_alive() and not self.finished.is_set():
            self._thread.start()

    def _run(self) -> None:
        frames = iter(self.source)
        try:
            for frame in frames:
                with self._cond:
                    if self._fresh:
                        self.frames_dropped += 1
                    self._latest = frame
                    self._fresh = True
                    self.frames_read += 1
                    self._cond.notify_all()
                if self._stop.is_set():
                    break
        except Exception as exc:  # handed to the consumer through `error`
            self.error = exc
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()
            self.finished.set()
            with self._cond:
                self._cond.notify_all()

    @property
    def latest(self) -> Frame | None:
        """The newest frame, whether or not get() returned it already."""
        return self._latest

    def get(self, timeout: float | None = None) -> Frame | None:
        with self._cond:
            self._cond.wait_for(lambda: self._fresh or self.finished.is_set(), timeout)
            if self._fresh:
                self._fresh = False
                return self._latest
            return None

    def __iter__(self) -> Iterator[Frame]:
        """Newest frames until the source ends; then re-raises the source's error, if any."""
        while True:
            frame = self.get(timeout=_POLL_S)
            if frame is not None:
                yield frame
            elif self.finished.is_set() and not self._fresh:
                break
        if self.error is not None:
            raise self.error

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def __enter__(self) -> "LatestFrameReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class _End:
    pass


class _Failure:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class FrameQueueReader:
    """Reads EVERY frame of `source` into a bounded queue from a thread; iterate to get them in order.

    An error of the source is re-raised in the consumer after the frames that came before it. Leaving
    the loop early (break, exception) stops the thread; stop() always unblocks and joins it.
    The queue holds at most `maxsize` frames and at most `max_bytes` of pictures.
    """

    def __init__(
        self,
        source: FrameSource,
        maxsize: int = 8,
        *,
        max_bytes: int = _DEFAULT_MAX_QUEUE_BYTES,
        start: bool = True,
    ) -> None:
        self.source = source
        size = max(1, int(maxsize))
        if source.width and source.height:
            frame_bytes = int(source.width) * int(source.height) * 3
            size = max(2, min(size, max_bytes // max(1, frame_bytes)))
        self.maxsize = size
        self.frames_read = 0
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=size)
        self._stop = threading.Event()
        self._started = False
        self._thread = threading.Thread(
            target=self._run, name=f"FrameQueueReader({source.description})", daemon=True
        )
        if start:
            self.start()

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        frames = iter(self.source)
        try:
            for frame in frames:
                if not self._put(frame):
                    return
                self.frames_read += 1
            self._put(_End())
        except Exception as exc:
            self.error = exc
            self._put(_Failure(exc))
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()
            self.finished.set()

    def __iter__(self) -> Iterator[Frame]:
        self.start()
        completed = False
        try:
            while True:
                try:
                    item = self._queue.get(timeout=_POLL_S)
                except queue.Empty:
                    if self._stop.is_set():
                        return
                    if self.finished.is_set() and self._queue.empty():
                        # the thread ended without a sentinel (stopped); nothing more will come
                        return
                    continue
                if isinstance(item, _End):
                    completed = True
                    return
                if isinstance(item, _Failure):
                    completed = True
                    raise item.exc
                yield item
        finally:
            if not completed:
                self.stop()
            else:
                self._thread.join()

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stop.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._thread.is_alive() and threading.current_thread() is not self._thread:
            try:  # make room so a blocked put() sees the stop flag
                while True:
                    self._queue.get_nowait()
            except queue.Empty:
                pass
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                break
            self._thread.join(_POLL_S if remaining is None else min(_POLL_S, remaining))

    def __enter__(self) -> "FrameQueueReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


__all__ = ["FrameQueueReader", "LatestFrameReader"]


class RecordingReader:
    """Reads `source` in a thread into a FIFO of at most `max_frames`, for recordings: a source that
    is not live waits for room (nothing is lost); a live camera cannot wait, so when the consumer
    falls that far behind the oldest frame is dropped and counted in `dropped`. (FrameQueueReader
    always waits; LatestFrameReader keeps only the newest frame.)"""

    def __init__(self, source, max_frames: int) -> None:
        self.source = source
        self.max_frames = max(2, int(max_frames))
        self.block = not getattr(source, "is_live", True)
        self.dropped = 0
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._queue: collections.deque = collections.deque()
        self._thread = threading.Thread(target=self._run, name="RecordingReader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        frames = iter(self.source)
        try:
            for frame in frames:
                with self._cond:
                    if self.block:
                        self._cond.wait_for(lambda: len(self._queue) < self.max_frames or self._stop.is_set())
                    elif len(self._queue) >= self.max_frames:
                        self._queue.popleft()
                        self.dropped += 1
                    if self._stop.is_set():
                        break
                    self._queue.append(frame)
                    self._cond.notify_all()
        except Exception as exc:  # handed to the consumer, after the frames before it
            self.error = exc
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()
            self.finished.set()
            with self._cond:
                self._cond.notify_all()

    def get(self, timeout: float = 0.1):
        """The oldest frame not taken yet, or None (nothing in time, or the source has ended)."""
        with self._cond:
            self._cond.wait_for(lambda: self._queue or self.finished.is_set(), timeout)
            if self._queue:
                frame = self._queue.popleft()
                self._cond.notify_all()
                return frame
            return None

    @property
    def exhausted(self) -> bool:
        return self.finished.is_set() and not self._queue

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
