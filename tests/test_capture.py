"""Frame sources and readers, on small synthetic videos written into tmp_path."""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from synkimeter.capture import (
    CameraSource,
    Frame,
    FrameQueueReader,
    FrameSource,
    LatestFrameReader,
    SourceError,
    VideoFileSource,
    list_cameras,
    open_source,
    probe_video,
)
from synkimeter.capture import sources as sources_mod

SIZE = (96, 64)  # width, height


def gradient_frame(i: int, size: tuple[int, int] = SIZE) -> np.ndarray:
    w, h = size
    row = ((np.arange(w) * 255 // max(1, w - 1) + 7 * i) % 256).astype(np.uint8)
    img = np.repeat(np.repeat(row[None, :, None], h, axis=0), 3, axis=2).copy()
    img[:, :, 2] = (i * 11) % 256  # the red channel encodes the index (for order checks)
    return img


def write_video(path: Path, n: int = 30, fps: float = 25.0, fourcc: str = "MJPG", size=SIZE) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened(), f"cannot write {path}"
    for i in range(n):
        writer.write(gradient_frame(i, size))
    writer.release()
    return path


# -- MP4 with its index ('moov') first, like a camera app writes, so that cutting it leaves frames
# that still decode. OpenCV writes the index last; this moves it and fixes the chunk offsets.
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"udta"}


def _boxes(data, start, end):
    i = start
    while i < end:
        size, kind = struct.unpack(">I4s", data[i : i + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[i + 8 : i + 16])[0], 16
        elif size == 0:
            size = end - i
        yield kind, i, header, size
        i += size


def _shift_chunk_offsets(moov: bytearray, start: int, end: int, delta: int) -> None:
    for kind, i, header, size in _boxes(moov, start, end):
        if kind in _CONTAINERS:
            _shift_chunk_offsets(moov, i + header, i + size, delta)
        elif kind in (b"stco", b"co64"):
            width, fmt = (4, ">I") if kind == b"stco" else (8, ">Q")
            count = struct.unpack(">I", moov[i + 12 : i + 16])[0]
            for k in range(count):
                p = i + 16 + width * k
                moov[p : p + width] = struct.pack(fmt, struct.unpack(fmt, moov[p : p + width])[0] + delta)


def faststart(data: bytes) -> bytes:
    top = list(_boxes(data, 0, len(data)))
    moov = next(bytearray(data[i : i + s]) for k, i, h, s in top if k == b"moov")
    _shift_chunk_offsets(moov, 8, len(moov), len(moov))
    out = bytearray()
    for k, i, _h, s in top:
        if k == b"ftyp":
            out += data[i : i + s] + moov
    for k, i, _h, s in top:
        if k not in (b"ftyp", b"moov"):
            out += data[i : i + s]
    return bytes(out)


def assert_plain_sentence(err: SourceError, *must_contain: str) -> None:
    text = str(err)
    assert text and text[0].isupper() or text.startswith("'"), text
    assert text.endswith("."), text
    assert "\n" not in text and text.count(". ") == 0, text
    for word in ("cv2", "OpenCV", "Traceback", "errno", "None"):
        assert word not in text, text
    for part in must_contain:
        assert part in text, text


# --------------------------------------------------------------------------------------------------
# Files


def test_timestamps_are_float_seconds_from_positions(tmp_path):
    path = write_video(tmp_path / "clip.avi", n=20, fps=30000 / 1001)
    with VideoFileSource(path) as src:
        assert isinstance(src.fps, float) and src.fps == pytest.approx(29.97, abs=1e-3)
        assert (src.width, src.height, src.frame_count) == (SIZE[0], SIZE[1], 20)
        assert not src.is_live
        frames = list(src)
    assert [f.index for f in frames] == list(range(20))
    ts = np.array([f.timestamp_s for f in frames])
    assert all(isinstance(f.timestamp_s, float) for f in frames)
    assert np.all(np.diff(ts) > 0)
    # 29.97 fps: int(fps) would give 1/29 s steps; positions give 1001/30000 s.
    assert ts[19] == pytest.approx(19 * 1001 / 30000, abs=1e-6)
    assert frames[0].image.dtype == np.uint8 and frames[0].image.shape == (SIZE[1], SIZE[0], 3)
    assert not src.truncated and src.warnings == []


class _ScaledPositions:
    """Wraps a real capture; reports positions scaled (to prove they are used) or zero (no positions)."""

    def __init__(self, real, scale):
        self._real, self._scale = real, scale

    def get(self, prop):
        value = self._real.get(prop)
        return value * self._scale if prop == cv2.CAP_PROP_POS_MSEC else value

    def __getattr__(self, name):
        return getattr(self._real, name)


@pytest.mark.parametrize("scale", [2.0, 0.0])
def test_timestamps_use_positions_and_fall_back_to_rate(tmp_path, monkeypatch, scale):
    path = write_video(tmp_path / "clip.avi", n=10, fps=20.0)
    real_capture = cv2.VideoCapture
    monkeypatch.setattr(sources_mod.cv2, "VideoCapture", lambda *a: _ScaledPositions(real_capture(*a), scale))
    src = VideoFileSource(path)
    ts = [f.timestamp_s for f in src]
    if scale:
        assert ts == pytest.approx([2 * i / 20.0 for i in range(10)])
        assert src.warnings == []
    else:  # no usable positions: index / fps, as floats
        assert ts == pytest.approx([i / 20.0 for i in range(10)])
        assert any("frame times" in w for w in src.warnings)


def test_iterating_twice_restarts(tmp_path):
    path = write_video(tmp_path / "clip.avi", n=5)
    src = VideoFileSource(path)
    assert [f.index for f in src] == [0, 1, 2, 3, 4]
    assert [f.index for f in src] == [0, 1, 2, 3, 4]
    assert not src.is_open  # opened and closed by the iteration


def test_realtime_paces_like_a_camera(tmp_path):
    path = write_video(tmp_path / "clip.avi", n=12, fps=20.0)
    src = VideoFileSource(path, realtime=True)
    assert src.is_live
    arrivals, stamps = [], []
    for frame in src:
        arrivals.append(time.monotonic())
        stamps.append(frame.timestamp_s)
    elapsed = arrivals[-1] - arrivals[0]
    assert 0.45 < elapsed < 0.9  # 11 intervals of 50 ms
    assert stamps == pytest.approx([i / 20.0 for i in range(12)])  # the file's own times


def test_probe_video(tmp_path):
    info = probe_video(write_video(tmp_path / "clip.mp4", n=15, fps=12.5, fourcc="mp4v"))
    assert info.fps == pytest.approx(12.5) and isinstance(info.fps, float)
    assert (info.frame_count, info.width, info.height) == (15, SIZE[0], SIZE[1])
    assert info.duration_s == pytest.approx(1.2)


def test_missing_file(tmp_path):
    with pytest.raises(SourceError) as exc:
        VideoFileSource(tmp_path / "nope.mp4").open()
    assert exc.value.reason == "missing"
    assert_plain_sentence(exc.value, "nope.mp4", "does not exist")
    with pytest.raises(SourceError):
        probe_video(tmp_path / "nope.mp4")


def test_directory(tmp_path):
    with pytest.raises(SourceError) as exc:
        VideoFileSource(tmp_path).open()
    assert exc.value.reason == "directory"
    assert_plain_sentence(exc.value, "folder")


def test_empty_file(tmp_path):
    path = tmp_path / "x.mp4"
    path.touch()
    with pytest.raises(SourceError) as exc:
        list(VideoFileSource(path))
    assert exc.value.reason == "empty"
    assert_plain_sentence(exc.value, "x.mp4", "empty (0 bytes)")


def test_text_file_named_mp4(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("Shopping list: eggs, milk, bread.\n" * 20)
    with pytest.raises(SourceError) as exc:
        VideoFileSource(path).open()
    assert exc.value.reason == "unreadable"
    assert_plain_sentence(exc.value, "notes.mp4", "not a video")


def test_container_without_frames(tmp_path):
    path = tmp_path / "nothing.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, SIZE)
    writer.release()
    assert path.stat().st_size > 0
    with pytest.raises(SourceError) as exc:
        VideoFileSource(path).open()
    assert exc.value.reason in ("no_frames", "unreadable")
    assert_plain_sentence(exc.value, "nothing.avi")


def test_truncated_mp4_yields_what_decodes_and_is_flagged(tmp_path):
    whole = write_video(tmp_path / "whole.mp4", n=40, fourcc="mp4v")
    data = faststart(whole.read_bytes())
    full = tmp_path / "full.mp4"
    full.write_bytes(data)
    assert len(list(VideoFileSource(full))) == 40  # the rewrite itself is a valid file
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    src = VideoFileSource(cut)
    frames = list(src)  # no exception: the frames that decode are valid
    assert 5 < len(frames) < 40
    assert src.truncated
    assert src.frame_count == 40
    assert any("ended early" in w and f"{len(frames)} of 40" in w for w in src.warnings)
    assert np.all(np.diff([f.timestamp_s for f in frames]) > 0)


def test_interrupted_mp4_without_index_is_explained(tmp_path):
    # OpenCV (like most recorders) writes the index last: cut in half, nothing can be decoded.
    whole = write_video(tmp_path / "whole.mp4", n=40, fourcc="mp4v")
    cut = tmp_path / "cut.mp4"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError) as exc:
        VideoFileSource(cut).open()
    assert exc.value.reason == "incomplete"
    assert_plain_sentence(exc.value, "cut.mp4", "incomplete")


def test_truncated_avi(tmp_path):
    data = write_video(tmp_path / "whole.avi", n=40).read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    src = VideoFileSource(cut)
    frames = list(src)
    assert 5 < len(frames) < 40 and src.truncated


# --------------------------------------------------------------------------------------------------
# Cameras


def test_absent_camera_fails_quickly():
    start = time.monotonic()
    with pytest.raises(SourceError) as exc:
        CameraSource(63).open()
    assert time.monotonic() - start < 3.0
    assert exc.value.reason == "camera_unavailable"
    assert_plain_sentence(exc.value, "Camera 63", "not connected")


def test_list_cameras_is_quick():
    start = time.monotonic()
    cams = list_cameras()
    assert time.monotonic() - start < 5.0
    assert isinstance(cams, list)
    if not any(os.path.exists(f"/dev/video{i}") for i in range(6)) and os.name == "posix":
        assert cams == []


class FakeCamera:
    """Stands in for cv2.VideoCapture(index): delivers `n_ok` pictures, then fails (unplugged)."""

    def __init__(self, n_ok: int, period_s: float = 0.0) -> None:
        self.n_ok, self.period_s, self.reads, self.released = n_ok, period_s, 0, False

    def isOpened(self):
        return True

    def grab(self):
        if self.period_s:
            time.sleep(self.period_s)
        self.reads += 1
        return self.reads <= self.n_ok

    def retrieve(self):
        return True, gradient_frame(self.reads)

    def get(self, prop):
        return 30.0 if prop == cv2.CAP_PROP_FPS else 0.0

    def set(self, prop, value):
        return True

    def release(self):
        self.released = True


def test_camera_unplugged_mid_stream(monkeypatch):
    fake = FakeCamera(n_ok=6, period_s=0.01)
    monkeypatch.setattr(CameraSource, "_make_capture", lambda self: fake)
    src = CameraSource(0)
    got = []
    with pytest.raises(SourceError) as exc:
        for frame in src:
            got.append(frame)
    assert [f.index for f in got] == list(range(6))  # frames before the failure are kept
    assert exc.value.reason == "camera_lost"
    assert_plain_sentence(exc.value, "camera stopped")
    ts = [f.timestamp_s for f in got]
    assert ts[0] == 0.0 and np.all(np.diff(ts) > 0) and ts[-1] < 1.0
    assert fake.released and src.is_live and src.frame_count is None and src.fps == 30.0


def test_open_source_spec():
    assert isinstance(open_source(0), CameraSource)
    assert isinstance(open_source("2"), CameraSource) and open_source(" 2 ").index == 2
    assert isinstance(open_source("2.mp4"), VideoFileSource)
    assert isinstance(open_source(Path("clip.mp4")), VideoFileSource)
    assert isinstance(open_source("clip.mp4", realtime=True), VideoFileSource)
    assert open_source("clip.mp4", realtime=True).realtime
    with pytest.raises(SourceError):
        open_source("")


# --------------------------------------------------------------------------------------------------
# Readers


class ListSource(FrameSource):
    """An in-memory source; optionally fails with `error` after its frames; optional delay per frame."""

    description = "test frames"
    is_live = False

    def __init__(self, n: int, error: Exception | None = None, delay_s: float = 0.0) -> None:
        super().__init__()
        self.n, self.error, self.delay_s, self.produced, self._open = n, error, delay_s, 0, False

    def open(self):
        self._open = True

    def close(self):
        self._open = False

    @property
    def is_open(self):
        return self._open

    fps = property(lambda self: 100.0)
    width = property(lambda self: SIZE[0])
    height = property(lambda self: SIZE[1])
    frame_count = property(lambda self: self.n)

    def __iter__(self):
        for i in range(self.n):
            if self.delay_s:
                time.sleep(self.delay_s)
            self.produced += 1
            yield Frame(i, i / 100.0, gradient_frame(i))
        if self.error is not None:
            raise self.error


def test_latest_frame_reader_drops_stale_frames(tmp_path):
    src = VideoFileSource(write_video(tmp_path / "clip.avi", n=40, fps=100.0), realtime=True)
    reader = LatestFrameReader(src)
    got = []
    while True:
        frame = reader.get(timeout=1.0)
        if frame is None:
            break
        got.append(frame.index)
        time.sleep(0.04)  # a slow consumer: 25 frames/s against 100
    reader.stop()
    assert reader.finished.is_set() and reader.error is None
    assert reader.frames_read == 40
    assert reader.frames_dropped > 10
    assert len(got) + reader.frames_dropped == 40
    assert got == sorted(got) and len(set(got)) == len(got)
    assert got[-1] == 39  # the newest frame is always the one handed out


def test_latest_frame_reader_reports_source_error(monkeypatch):
    monkeypatch.setattr(CameraSource, "_make_capture", lambda self: FakeCamera(n_ok=3))
    reader = LatestFrameReader(CameraSource(0))
    assert reader.finished.wait(5.0)
    assert isinstance(reader.error, SourceError) and reader.error.reason == "camera_lost"
    with pytest.raises(SourceError):
        list(reader)
    reader.stop()


def test_latest_frame_reader_stop_on_endless_source(monkeypatch):
    monkeypatch.setattr(CameraSource, "_make_capture", lambda self: FakeCamera(n_ok=10**9, period_s=0.005))
    with LatestFrameReader(CameraSource(0)) as reader:
        assert reader.get(timeout=2.0) is not None
    assert reader.finished.wait(2.0) and reader.error is None


def test_frame_queue_reader_yields_every_frame_in_order(tmp_path):
    path = write_video(tmp_path / "clip.avi", n=50)
    frames = list(FrameQueueReader(VideoFileSource(path), maxsize=4))
    assert [f.index for f in frames] == list(range(50))
    direct = list(VideoFileSource(path))
    assert all(np.array_equal(a.image, b.image) for a, b in zip(frames, direct))
    assert [f.timestamp_s for f in frames] == [f.timestamp_s for f in direct]


def test_frame_queue_reader_stops_cleanly_when_consumer_leaves_early():
    src = ListSource(10_000)
    reader = FrameQueueReader(src, maxsize=3)
    for frame in reader:
        if frame.index == 4:
            break
    assert reader.finished.wait(2.0)
    assert not reader._thread.is_alive()
    assert src.produced < 20  # bounded: the producer did not run ahead through the whole source
    reader.stop()  # idempotent


def test_frame_queue_reader_stop_from_outside_unblocks():
    src = ListSource(10_000)
    reader = FrameQueueReader(src, maxsize=2)
    time.sleep(0.05)  # the producer fills the queue and blocks
    start = time.monotonic()
    reader.stop()
    assert time.monotonic() - start < 1.0 and reader.finished.is_set()


def test_frame_queue_reader_reraises_where_it_happened():
    src = ListSource(5, error=SourceError("The camera stopped sending pictures (unplugged?).", "camera_lost"))
    got = []
    with pytest.raises(SourceError) as exc:
        for frame in FrameQueueReader(src):
            got.append(frame.index)
    assert got == [0, 1, 2, 3, 4]
    assert exc.value.reason == "camera_lost"


def test_frame_queue_reader_overlaps_decoding_with_the_consumer():
    src = ListSource(20, delay_s=0.01)  # 10 ms to "decode" each frame
    start = time.monotonic()
    for _ in FrameQueueReader(src):
        time.sleep(0.01)  # 10 ms to "infer"
    elapsed = time.monotonic() - start
    assert elapsed < 0.36  # sequential would take 0.40 s; overlapped about 0.21 s


def test_frame_queue_reader_bounds_memory():
    class Big(ListSource):
        width = property(lambda self: 3840)
        height = property(lambda self: 2160)

    reader = FrameQueueReader(Big(0), maxsize=64)
    assert 2 <= reader.maxsize < 64  # 4K frames: the byte budget, not the count, limits the queue
    assert list(reader) == []
    assert FrameQueueReader(ListSource(0), maxsize=64).maxsize == 64  # small frames: as asked


def test_readers_are_daemon_threads():
    reader = FrameQueueReader(ListSource(1))
    latest = LatestFrameReader(ListSource(1))
    assert reader._thread.daemon and latest._thread.daemon
    list(reader)
    latest.stop()
    assert not reader._thread.is_alive() and not latest._thread.is_alive()
