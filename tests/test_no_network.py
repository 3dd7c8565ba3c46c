"""Nothing in the package opens a network connection: every module is imported, a sample clip is
analysed with the face mesh (`synkimeter analyze`, in process through cli.main), stored and
reported as PDF and HTML, all with Python's socket connections and name lookups made to fail
and recorded.

It runs in a fresh interpreter so that import-time code runs under the guard too (in the test
process most modules are already imported by other tests).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_videos" / "healthy.mp4"

GUARDED_RUN = textwrap.dedent(r"""
    import json, os, socket, sys, traceback

    attempts = []

    def refuse(name):
        def blocked(*args, **kwargs):
            attempts.append(f"{name}{args[1:] if name.startswith('socket.') else args}")
            attempts.append("".join(traceback.format_stack(limit=8)))
            raise OSError(f"network use is forbidden here ({name})")
        return blocked

    for name in ("connect", "connect_ex", "sendto"):
        setattr(socket.socket, name, refuse(f"socket.{name}"))
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        setattr(socket, name, refuse(name))

    import importlib, pkgutil
    import synkimeter

    modules = []
    for info in pkgutil.walk_packages(synkimeter.__path__, "synkimeter."):
        if info.name.endswith("__main__"):
            continue  # running it would parse this process's arguments
        importlib.import_module(info.name)
        modules.append(info.name)

    clip, out = sys.argv[1], sys.argv[2]
    from synkimeter.cli import main

    codes = [
        main(["analyze", "-q", clip, "--json", os.path.join(out, "r.json"), "--landmarks", os.path.join(out, "l.npz")]),
        main(["import", "-q", os.path.join(out, "l.npz"), "--patient", "NET-1", "--data-dir", os.path.join(out, "data")]),
        main(["report", "NET-1", "--pdf", os.path.join(out, "r.pdf"), "--html", os.path.join(out, "r.html"),
              "--data-dir", os.path.join(out, "data")]),
    ]
    print(json.dumps({"modules": modules, "codes": codes, "attempts": attempts}))
""")


@pytest.fixture
def short_clip(tmp_path):
    """The first 3 s of a bundled sample clip (the face mesh over all of it adds nothing here)."""
    cv2 = pytest.importorskip("cv2")
    if not SAMPLE.is_file():
        pytest.skip("sample_videos/ is not in this checkout")
    cap = cv2.VideoCapture(str(SAMPLE))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while len(frames) < 90:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    h, w = frames[0].shape[:2]
    path = tmp_path / "sample.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def test_nothing_opens_a_network_connection(short_clip, tmp_path):
    pytest.importorskip("PySide6")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-c", GUARDED_RUN, str(short_clip), str(tmp_path)],
                          capture_output=True, text=True, timeout=180, env=env, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["attempts"] == [], "\n".join(result["attempts"])
    assert result["codes"] == [0, 0, 0], proc.stderr[-3000:]
    # the run really went through everything
    for name in ("synkimeter.cli", "synkimeter.landmarks.facemesh", "synkimeter.gui.main_window",
                 "synkimeter.report.document", "synkimeter.store.database", "synkimeter.usecases.saving"):
        assert name in result["modules"]
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["face_frames"] > 80
    assert (tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"
    assert "NET-1" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_the_guard_itself_catches_a_connection(tmp_path):
    # The same guard around code that does try to connect: it must be seen.
    script = GUARDED_RUN.split("import importlib, pkgutil")[0] + textwrap.dedent("""
        import urllib.request
        try:
            urllib.request.urlopen("http://example.com", timeout=1)
        except OSError:
            pass
        print(json.dumps({"attempts": attempts}))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    attempts = json.loads(proc.stdout.strip().splitlines()[-1])["attempts"]
    assert attempts and any("getaddrinfo" in a or "create_connection" in a for a in attempts)
