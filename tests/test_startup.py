"""Start-up: the command line imports no heavy module (scipy, MediaPipe, Qt, OpenCV, numpy) before a
command needs one, so `synkimeter --help` answers at once (issue 17; benchmarks/run.py times it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("scipy", "mediapipe", "PySide6", "pyqtgraph", "cv2", "numpy", "matplotlib", "dask", "distributed")

_PROBE = """
import sys
from synkimeter.cli import build_parser
parser = build_parser()
for command in ("analyze", "batch", "practice", "import", "report", "patients", "export", "check"):
    try:
        parser.parse_args([command, "--help"])
    except SystemExit:
        pass
print(" ".join(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def test_cli_parser_imports_no_heavy_module():
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True,
                         cwd=ROOT, env=_env()).stdout
    loaded = set(out.strip().splitlines()[-1].split())
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_help_imports_no_heavy_module():
    probe = ("import runpy, sys\nsys.argv = ['synkimeter', '--help']\n"
             "try:\n    runpy.run_module('synkimeter', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print('MODULES', ' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=ROOT, env=_env()).stdout
    assert "usage: synkimeter" in out
    loaded = set(out.rsplit("MODULES", 1)[1].split())
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_cli_copies_of_choices_agree():
    """The CLI offers the store schema's choices (light to import) without importing the store or
    the practice use case to build its parser; they agree with what those accept."""
    from synkimeter.cli import practice as cli_practice
    from synkimeter.cli import store as cli_store
    from synkimeter.store.database import TASKS
    from synkimeter.store.schema import SESSION_KINDS
    from synkimeter.usecases.practice import KINDS

    assert tuple(cli_practice.PRACTICE_KINDS) == tuple(KINDS)
    assert tuple(cli_store.TASKS) == tuple(TASKS)
    assert tuple(cli_store.SESSION_KINDS) == tuple(SESSION_KINDS)


def test_mediapipe_loads_without_matplotlib_until_it_is_used():
    """MediaPipe imports matplotlib.pyplot for drawing helpers synkimeter never calls: it is deferred
    (0.7-1.6 s of start-up), and still the real thing for anyone who does use it."""
    code = ("import sys\n"
            "from synkimeter.landmarks.facemesh import _import_face_mesh\n"
            "_import_face_mesh()\n"
            "print('LOADED', 'matplotlib' in sys.modules)\n"
            "from mediapipe.python.solutions import drawing_utils\n"
            "try:\n"
            "    import matplotlib\n"
            "except ImportError:\n"
            "    print('USED absent')\n"
            "else:\n"
            "    print('USED', drawing_utils.plt.figure is sys.modules['matplotlib.pyplot'].figure,\n"
            "          type(sys.modules['matplotlib']).__name__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=_env(),
                         timeout=120).stdout
    assert "LOADED False" in out
    assert "USED absent" in out or "USED True module" in out, out


def test_the_window_starts_offscreen_without_qt_s_remarks(tmp_path):
    """Qt's offscreen platform says "This plugin does not support propagateSizeHints()" for every
    window it shows; the app filters that one message (gui/app.py) and lets every other through."""
    env = dict(_env(), QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), SYNKIMETER_CONFIG_DIR=str(tmp_path / "synkimeter-config"))
    done = subprocess.run([sys.executable, "-m", "synkimeter", "gui", "--source",
                           str(ROOT / "sample_videos" / "right_1mm.mp4"), "--quit-after", "2"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "propagateSizeHints" not in done.stderr
    assert done.stderr.strip() == ""
