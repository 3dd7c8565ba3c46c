"""The progress bar of the long commands reaches a real terminal (a pseudo-terminal here), through the
stderr silencer that hides MediaPipe's log lines, and stays away with -q (tests/test_cli.py: nothing on stderr when it is not a terminal)."""

import os
import select
import sys
import time
from pathlib import Path

import pytest

from synkimeter.capture._cv import cv2

ROOT = Path(__file__).resolve().parents[1]
pty = pytest.importorskip("pty")


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory) -> Path:
    """The first 3 s of a shipped sample clip: MediaPipe runs over it in a few seconds."""
    out = tmp_path_factory.mktemp("progress") / "short.mp4"
    cap = cv2.VideoCapture(str(ROOT / "sample_videos" / "right_3mm.mp4"))
    fps = cap.get(cv2.CAP_PROP_FPS)
    writer = None
    for _ in range(int(3 * fps)):
        ok, frame = cap.read()
        assert ok
        if writer is None:
            writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, frame.shape[1::-1])
        writer.write(frame)
    cap.release()
    writer.release()
    return out


def _run_on_a_terminal(args: list[str], timeout_s: float = 120.0) -> tuple[int, str]:
    """Run `python -m synkimeter ARGS` with stdin/stdout/stderr on a new pseudo-terminal whose size was
    never set (0 columns, as under `script` or in an editor's shell); returns (exit code, what it showed)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "synkimeter", *args], env)
    shown = b""
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            shown += data
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown.decode("utf-8", "replace")


@pytest.mark.slow  # MediaPipe over a 3 s clip: 3-10 s
@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_analyze_shows_its_bar_on_a_terminal(short_clip):
    code, shown = _run_on_a_terminal(["analyze", str(short_clip)])
    assert code == 0, shown
    assert "Finding the face" in shown
    # the bar itself, with its count of frames (3 s at 30 frames/s), drawn before the summary
    assert "/90 [" in shown and "%|" in shown
    assert shown.index("Finding the face") < shown.index("synkimeter 0.1.0:")
    # MediaPipe's own log lines stay hidden
    assert "TensorFlow Lite" not in shown and "I0000" not in shown and "W0000" not in shown


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_quiet_draws_no_bar(short_clip, tmp_path):
    code, shown = _run_on_a_terminal(["analyze", str(short_clip), "-q", "--json", str(tmp_path / "r.json")])
    assert code == 0, shown
    assert shown.strip() == ""


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_batch_shows_a_bar_of_clips_on_a_terminal(tmp_path):
    import numpy as np

    from synkimeter.landmarks import LandmarkSeries
    from synkimeter_dev.simulate import regular_blinks, simulate

    track = simulate(8.0, blinks=regular_blinks(8.0, 2.5))
    series = LandmarkSeries(timestamps_s=track.timestamps_s, points=track.points,
                            n_faces=np.ones(track.points.shape[0], dtype=np.int8), width=640, height=480,
                            fps=30.0, source="sim")
    series.save_npz(tmp_path / "sim.npz")
    code, shown = _run_on_a_terminal(["batch", str(tmp_path / "sim.npz"), "-o", str(tmp_path / "out"), "-j", "1"])
    assert code == 0, shown
    assert "Clips measured" in shown and "/1 [" in shown
    assert "[1/1]" in shown and "1 of 1 clips measured" in shown


def test_no_bar_when_stderr_is_not_a_terminal(capsys):
    from synkimeter.cli.progress import progress_bar

    with progress_bar("Finding the face", quiet=False) as bar:
        assert bar is None
    assert capsys.readouterr().err == ""
