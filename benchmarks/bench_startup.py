"""Start-up: `synkimeter --help`, and the window's first picture, each timed from process start.

    python benchmarks/bench_startup.py [--repeats N] [--source CLIP]

`--help`: the wall time of `python -m synkimeter --help` in a fresh interpreter (the interpreter's
own start included; `python -c pass` is printed beside it for scale).
The window: `python -m synkimeter gui --source CLIP` in a fresh interpreter (offscreen Qt unless a
display is set), from launch until the preview has drawn its first picture, i.e. until
`PreviewWidget.show_view` first returns; a replayed video file stands in for the camera. Each
child runs with this checkout first on its path.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run in the child: hook the preview, then start the window exactly as `synkimeter gui` does.
_WINDOW_CHILD = r"""
import os, sys, time
launched = float(sys.argv[1])
import synkimeter.gui.preview as preview
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

original = preview.PreviewWidget.show_view
def show_view(self, view):
    original(self, view)
    if not getattr(show_view, "done", False):
        show_view.done = True
        print("FIRST_PICTURE", time.time() - launched, flush=True)
        QTimer.singleShot(0, QApplication.instance().quit)
preview.PreviewWidget.show_view = show_view
QTimer.singleShot(60_000, lambda: QApplication.instance().quit())  # never hang a benchmark
from synkimeter.cli import main
code = main(["gui", "--source", sys.argv[2]])
os._exit(0)  # the worker thread may still be closing its face mesh
"""


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.setdefault("GLOG_minloglevel", "2")
    return env


def time_command(args: list[str], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, *args], cwd=ROOT, env=_env(), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append(time.perf_counter() - t0)
    return out


def time_first_picture(source: Path, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        launched = time.time()
        proc = subprocess.run([sys.executable, "-c", _WINDOW_CHILD, repr(launched), str(source)], cwd=ROOT,
                              env=_env(), capture_output=True, text=True, timeout=120)
        lines = [line for line in proc.stdout.splitlines() if line.startswith("FIRST_PICTURE")]
        if not lines:
            raise RuntimeError(f"the window showed no picture:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        out.append(float(lines[0].split()[1]))
    return out


def run(repeats: int = 5, source: Path | None = None) -> dict:
    source = source or ROOT / "sample_videos" / "right_3mm.mp4"
    python = time_command(["-c", "pass"], repeats)
    helped = time_command(["-m", "synkimeter", "--help"], repeats)
    window = time_first_picture(source, max(1, repeats // 2 + 1))
    return {"python_s": python, "help_s": helped, "first_picture_s": window}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--source", type=Path, help="the clip the window replays (default: a sample clip)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    res = run(max(1, args.repeats), args.source)
    if args.json:
        print(json.dumps(res))
        return 0
    for key, label in (("python_s", "python -c pass"), ("help_s", "synkimeter --help"),
                       ("first_picture_s", "window's first picture")):
        v = res[key]
        print(f"{label:<26} best {min(v):.3f} s, median {statistics.median(v):.3f} s (n={len(v)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
