"""Video frames to an H.264 file through x264 (PyAV), in a process of its own.

Why a process of its own: in a process that has also decoded video through OpenCV (as every
validation run does: it writes a clip, then meshes it), x264 coded the same frames differently from
one run to the next, one thread or several (504-525 kB files of one clip, decoded frames unequal),
and a test's figure moved by half the imposed pull between runs. A fresh process codes them the
same every time.

    python -m synkimeter_dev.synth.h264 OUT.mp4 FPS WIDTH HEIGHT CRF < frames (BGR, 8-bit, raw)
"""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np


class H264Writer:
    """BGR frames to an H.264 .mp4 (x264, yuv420p, constant rate factor `crf`), as cv2.VideoWriter."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int], crf: int) -> None:
        self._size = size
        # synkimeter_dev is not installed with the project: the child finds it where this module is.
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[2]),
                                                        env.get("PYTHONPATH", "")) if p)
        self._child = subprocess.Popen([sys.executable, "-m", __name__, str(path), repr(float(fps)), str(size[0]),
                                        str(size[1]), str(int(crf))], stdin=subprocess.PIPE, env=env)

    def write(self, frame: np.ndarray) -> None:
        assert frame.shape == (self._size[1], self._size[0], 3) and frame.dtype == np.uint8
        assert self._child.stdin is not None
        try:
            self._child.stdin.write(np.ascontiguousarray(frame).tobytes())
        except BrokenPipeError:
            raise RuntimeError(f"the H.264 encoder stopped with exit code {self._child.wait()}") from None

    def release(self) -> None:
        assert self._child.stdin is not None
        self._child.stdin.close()
        if self._child.wait() != 0:
            raise RuntimeError(f"the H.264 encoder stopped with exit code {self._child.returncode}")


def encode(out: str, fps: float, width: int, height: int, crf: int) -> int:
    try:
        import av  # a test dependency: only validation clips are written so
    except ImportError:
        print("H.264 clips are written through PyAV: pip install av (or the project's [test] extra)",
              file=sys.stderr)
        return 2
    container = av.open(out, "w")
    stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.options = {"crf": str(crf)}
    size = width * height * 3
    while True:
        data = sys.stdin.buffer.read(size)
        if len(data) < size:
            break
        frame = np.frombuffer(data, np.uint8).reshape(height, width, 3)
        for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return 0


if __name__ == "__main__":
    out, fps, width, height, crf = sys.argv[1:6]
    raise SystemExit(encode(out, float(fps), int(width), int(height), int(crf)))
