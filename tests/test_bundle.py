"""The standalone app (packaging/build.sh, PyInstaller): built once for this module, then run from
outside the source tree with a clean environment (no virtual environment on PATH, no PYTHONPATH,
an empty home folder) the way a patient would run it.

- `analyze` on a sample clip gives the very same JSON as this checkout's Python package;
- the window starts offscreen (first-run screen included) and closes cleanly;
- bad input gets one sentence and exit code 2, as from the package;
- a new store is made in an empty data folder: the Alembic migrations (plain files) run frozen;
- the archive holds the executable, the .desktop file and the icon; dev-only code is left out.

About 2-3 minutes on a 2-core machine, most of it the build (1.5-2.5 min).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.bundle

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "sample_videos" / "right_1mm.mp4"
EXE_NAME = "synkimeter.exe" if sys.platform == "win32" else "synkimeter"
BUILD: dict[str, subprocess.CompletedProcess] = {}  # what build.sh printed


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """The built app folder (…/synkimeter/, holding the executable)."""
    pytest.importorskip("PyInstaller", reason="the bundle extra (pyinstaller) is not installed")
    out = tmp_path_factory.mktemp("bundle")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SYNKIMETER_BUNDLE_CLINIC")}
    env["PYTHON"] = sys.executable
    env["SYNKIMETER_BUILD_WORK"] = str(tmp_path_factory.mktemp("bundle-work"))
    done = subprocess.run(["bash", str(ROOT / "packaging" / "build.sh"), str(out)], env=env,
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    BUILD["output"] = done
    app = out / "synkimeter"
    assert (app / EXE_NAME).is_file()
    return app


def _clean_env(home: Path) -> dict[str, str]:
    """What a fresh desktop session has: a PATH without this virtual environment, a UTF-8 locale,
    an empty home; no PYTHONPATH, PYTHONHOME or VIRTUAL_ENV."""
    venv = Path(sys.prefix).resolve()
    path = [p for p in os.environ.get("PATH", os.defpath).split(os.pathsep)
            if p and not Path(p).resolve().is_relative_to(venv)]
    env = {"PATH": os.pathsep.join(path), "HOME": str(home), "LANG": "C.UTF-8",
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local" / "share"),
           "QT_QPA_PLATFORM": "offscreen"}
    for name in ("SYSTEMROOT", "WINDIR", "TEMP", "TMP"):  # Windows cannot start a process without these
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _run_app(app: Path, args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    home = cwd / "home"
    home.mkdir(exist_ok=True)
    return subprocess.run([str(app / EXE_NAME), *args], cwd=cwd, env=_clean_env(home),
                          capture_output=True, text=True, timeout=timeout)


def _run_package(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """This checkout's `synkimeter` command (what `pip install .` installs), by this Python."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "synkimeter", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_analyze_gives_the_same_json_as_the_package(bundle, tmp_path):
    frozen = _run_app(bundle, ["analyze", str(CLIP), "--json", "frozen.json"], tmp_path)
    assert frozen.returncode == 0, frozen.stderr
    assert "severity: mild" in frozen.stdout  # the summary a therapist reads
    package = _run_package(["analyze", str(CLIP), "--json", "package.json", "-q"], tmp_path)
    assert package.returncode == 0, package.stderr
    got = json.loads((tmp_path / "frozen.json").read_text())
    want = json.loads((tmp_path / "package.json").read_text())
    assert got["face_frames"] == got["frames"] == 660  # the bundled face model was found and ran
    # Nothing is environment-dependent: `source` is the path given on the command line, the same
    # for both; the JSON holds no version or date.
    assert got == want


def test_window_starts_offscreen_with_the_first_run_screen(bundle, tmp_path):
    done = _run_app(bundle, ["gui", "--source", str(bundle / "sample_videos" / "right_1mm.mp4"),
                             "--quit-after", "4"], tmp_path, timeout=120)
    errors = [line for line in done.stderr.splitlines() if line.strip()]  # not even Qt's offscreen remarks
    assert done.returncode == 0 and not errors, done.stderr
    # the first-run screen showed (its marker is written when it shows), privately
    marker = tmp_path / "home" / ".config" / "synkimeter" / "first-run-shown"
    if sys.platform.startswith("linux"):
        assert marker.is_file()
        assert marker.stat().st_mode & 0o077 == 0


def test_window_starts_on_the_default_camera_even_with_none(bundle, tmp_path):
    """What the app does when started with no command (`gui --source 0`), where there may be no
    camera at all (CI): the window says so, and offers the sample clip."""
    done = _run_app(bundle, ["gui", "--quit-after", "3"], tmp_path, timeout=120)
    errors = [line for line in done.stderr.splitlines() if line.strip()]  # not even Qt's offscreen remarks
    assert done.returncode == 0 and not errors, done.stderr


def test_a_new_store_is_made_by_the_frozen_migrations(bundle, tmp_path):
    """Alembic loads env.py and versions/*.py by path: a bundle without their sources would fail here."""
    import sqlite3

    from synkimeter.store.choices import SCHEMA_REVISION

    data = tmp_path / "data"
    home = tmp_path / "home"
    home.mkdir()
    env = dict(_clean_env(home), SYNKIMETER_DATA_DIR=str(data))
    done = subprocess.run([str(bundle / EXE_NAME), "patients"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no patients" in done.stdout.lower(), done.stdout
    with sqlite3.connect(data / "synkimeter.sqlite3") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == SCHEMA_REVISION


def test_a_report_is_made_with_its_figures_and_pictures(bundle, tmp_path):
    """The report draws with matplotlib (figures) and decodes the stored video (pictures), frozen too."""
    home = tmp_path / "home"
    home.mkdir()
    env = dict(_clean_env(home), SYNKIMETER_DATA_DIR=str(tmp_path / "data"))

    def run(args):
        done = subprocess.run([str(bundle / EXE_NAME), *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    run(["import", str(CLIP), "--patient", "B-1", "--date", "2026-01-05", "--kind", "baseline", "-q"])
    run(["report", "B-1", "--html", "r.html", "--pdf", "r.pdf"])
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "data:image/svg+xml;base64," in text and "data:image/jpeg;base64," in text
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")


def test_the_migrations_ship_as_sources(bundle):
    migrations = bundle / "_internal" / "synkimeter" / "store" / "migrations"
    assert (migrations / "env.py").is_file() and (migrations / "script.py.mako").is_file()
    shipped = {p.name for p in (migrations / "versions").glob("*.py")}
    assert shipped == {p.name for p in (ROOT / "synkimeter" / "store" / "migrations" / "versions").glob("*.py")}


def test_the_licences_collected_at_build_are_printed(bundle, tmp_path):
    """`--licences` in the app prints the file the build collected from the bundled distributions: Qt's
    LGPL, FFmpeg's notice in OpenCV's wheel, MediaPipe, numpy, scipy; jax (left out of the app) is not in it."""
    assert (bundle / "_internal" / "synkimeter" / "data" / "THIRD_PARTY_LICENSES.txt").is_file()
    done = _run_app(bundle, ["--licences"], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    listing = done.stdout.split("\n\n", 2)[1]
    for name in ("PySide6_Essentials", "opencv-contrib-python", "mediapipe", "numpy", "scipy", "Python"):
        assert f"  {name} " in listing, name
    assert "FFmpeg is redistributed within all opencv-python packages." in done.stdout
    assert "--- LGPL-3.0.txt" in done.stdout
    assert "  jax " not in listing and "  jaxlib " not in listing


def test_help_and_bad_input(bundle, tmp_path):
    helped = _run_app(bundle, ["--help"], tmp_path)
    assert helped.returncode == 0 and "analyze" in helped.stdout
    bad = _run_app(bundle, ["analyze", "no_such_clip.mp4"], tmp_path)
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr, bad.stderr


def test_contents(bundle):
    internal = bundle / "_internal"
    assert (internal / "synkimeter" / "data" / "base_face.npy").is_file()  # setup check's reference face
    models = internal / "mediapipe" / "modules"
    assert (models / "face_landmark" / "face_landmark_with_attention.tflite").is_file()
    assert (models / "face_detection" / "face_detection_short_range.tflite").is_file()
    clips = {p.name for p in (bundle / "sample_videos").glob("*.mp4")}
    assert {"right_1mm.mp4", "right_3mm.mp4", "healthy.mp4"} <= clips
    # dev-only and test code is left out of the frozen modules
    from PyInstaller.archive.readers import CArchiveReader

    modules = set(CArchiveReader(str(bundle / EXE_NAME)).open_embedded_archive("PYZ.pyz").toc)
    assert "synkimeter.cli" in modules and "synkimeter.gui.first_run" in modules
    leaked = sorted(m for m in modules if m.split(".")[0] in ("synkimeter_dev", "pytest", "skimage", "jax",
                                                               "tkinter")
                    or m.startswith("synkimeter.synth"))
    assert not leaked
    # the report's figures need matplotlib's Figure and its SVG and Agg backends; pyplot and the GUI
    # backends stay out
    assert {"matplotlib.figure", "matplotlib.backends.backend_svg", "matplotlib.backends.backend_agg"} <= modules
    assert not {"matplotlib.pyplot", "matplotlib.backends.backend_qtagg", "matplotlib.backends.backend_tkagg"} & modules


def test_the_build_prints_its_result_and_nothing_alarming(bundle):
    done = BUILD["output"]
    assert "Built " in done.stdout and "synkimeter-" in done.stdout
    # the warnings every build gives are filtered (build.sh says why each is harmless)
    assert "WARNING" not in done.stderr and "ERROR" not in done.stderr, done.stderr
    # PyInstaller's work folder is not left beside the app that is handed out
    assert sorted(p.name for p in bundle.parent.iterdir() if not p.name.endswith((".tar.gz", ".zip"))) == ["synkimeter"]


def test_only_what_a_patient_s_computer_runs(bundle):
    """Not the test extra's tools, nor the cluster's scheduler, nor the clinic server's driver (a
    clinic's build asks for it with SYNKIMETER_BUNDLE_CLINIC=1)."""
    from PyInstaller.archive.readers import CArchiveReader

    modules = set(CArchiveReader(str(bundle / EXE_NAME)).open_embedded_archive("PYZ.pyz").toc)
    extras = ("pytest", "_pytest", "pytestqt", "hypothesis", "psycopg", "psycopg_binary", "dask", "distributed",
              "PyInstaller", "ruff", "mypy")
    assert not sorted(m for m in modules if m.split(".")[0] in extras)
    assert not [p.name for p in (bundle / "_internal").iterdir() if p.name.split(".")[0] in extras]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the .tar.gz and .desktop file are Linux's")
def test_archive_holds_the_app_desktop_file_and_icon(bundle):
    archives = list(bundle.parent.glob("synkimeter-*-linux-*.tar.gz"))
    assert len(archives) == 1
    with tarfile.open(archives[0]) as tar:
        names = set(tar.getnames())
    for name in ("synkimeter/synkimeter", "synkimeter/synkimeter.desktop", "synkimeter/synkimeter.png",
                 "synkimeter/sample_videos/right_3mm.mp4"):
        assert name in names
    desktop = (bundle / "synkimeter.desktop").read_text()
    assert "Exec=synkimeter" in desktop and "Icon=synkimeter" in desktop
