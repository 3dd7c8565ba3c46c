"""`synkimeter analyze` as a user runs it: readable output, files written, bad input answered
with exit code 2 and one sentence, never a traceback."""

import json
import subprocess
import sys

import numpy as np
import pytest

from synkimeter.cli import main

cv2 = pytest.importorskip("cv2")


def _write_video(path, frames, fps=30.0):
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    return path


@pytest.fixture(scope="module")
def no_face_clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("clips") / "wall.mp4"
    ramp = np.linspace(40, 200, 640, dtype=np.uint8)
    frames = [np.dstack([np.roll(np.tile(ramp, (480, 1)), 5 * i, axis=1)] * 3) for i in range(20)]
    return _write_video(path, frames)


@pytest.fixture(scope="module")
def tiny_face_clip(tmp_path_factory):
    skimage_data = pytest.importorskip("skimage.data")
    face = cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)
    small = cv2.resize(face, (360, 360), interpolation=cv2.INTER_AREA)
    canvas = np.full((480, 640, 3), 90, dtype=np.uint8)
    canvas[60:420, 140:500] = small
    path = tmp_path_factory.mktemp("clips") / "far away.mp4"
    return _write_video(path, [canvas] * 20)


def _run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _one_sentence(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_missing_file(tmp_path, capsys):
    code, _, err = _run(["analyze", str(tmp_path / "nope.mp4")], capsys)
    assert code == 2 and "does not exist" in _one_sentence(err)


def test_empty_file(tmp_path, capsys):
    (tmp_path / "empty.mp4").write_bytes(b"")
    code, _, err = _run(["analyze", str(tmp_path / "empty.mp4")], capsys)
    assert code == 2 and "empty" in _one_sentence(err)


def test_text_file_named_mp4(tmp_path, capsys):
    (tmp_path / "notes.mp4").write_text("these are my notes, not a video\n" * 50)
    code, _, err = _run(["analyze", str(tmp_path / "notes.mp4")], capsys)
    assert code == 2 and "video" in _one_sentence(err)


def test_truncated_mp4(tmp_path, capsys, no_face_clip):
    data = no_face_clip.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    code, _, err = _run(["analyze", str(tmp_path / "cut.mp4")], capsys)
    assert code == 2
    _one_sentence(err)


def test_clip_without_face(capsys, no_face_clip):
    code, _, err = _run(["analyze", "-q", str(no_face_clip)], capsys)
    assert code == 2 and "No face" in _one_sentence(err)


def test_face_too_small(capsys, tiny_face_clip):
    code, _, err = _run(["analyze", "-q", str(tiny_face_clip)], capsys)
    assert code == 2 and "too small" in _one_sentence(err)


def test_unwritable_output_is_a_clear_error(tmp_path, capsys):
    from synkimeter.landmarks import LandmarkSeries
    from synkimeter_dev.simulate import regular_blinks, simulate

    track = simulate(8.0, blinks=regular_blinks(8.0, 2.5))
    series = LandmarkSeries(timestamps_s=track.timestamps_s, points=track.points,
                            n_faces=np.ones(track.points.shape[0], dtype=np.int8), width=640, height=480,
                            fps=30.0, source="sim")
    npz = tmp_path / "sim.npz"
    series.save_npz(npz)
    (tmp_path / "file").write_text("x")
    code, _, err = _run(["analyze", str(npz), "--json", str(tmp_path / "file" / "out.json")], capsys)
    assert code == 2 and "Could not write" in _one_sentence(err)


def test_landmark_file_round_trip_gives_summary_json_and_csv(tmp_path, capsys):
    from synkimeter.landmarks import LandmarkSeries
    from synkimeter_dev.simulate import regular_blinks, simulate

    track = simulate(20.0, blinks=regular_blinks(20.0, 3.0), coupling_mm={"left": 2.5}, jitter_px=0.2)
    series = LandmarkSeries(timestamps_s=track.timestamps_s, points=track.points,
                            n_faces=np.ones(track.points.shape[0], dtype=np.int8), width=640, height=480,
                            fps=30.0, source="sim")
    series.save_npz(tmp_path / "sim.npz")
    code, out, err = _run(["analyze", str(tmp_path / "sim.npz"), "--json", str(tmp_path / "r.json"),
                           "--csv", str(tmp_path / "f.csv"), "--blinks"], capsys)
    assert code == 0, err
    assert "left side affected" in out and "severe" in out
    doc = json.loads((tmp_path / "r.json").read_text())
    for key in ("schema_version", "source", "fps", "duration_s", "frames", "face_frames", "mm_per_px",
                "blinks", "ocular_oral", "warnings"):
        assert key in doc
    blink = doc["blinks"][0]
    for key in ("eye", "onset_s", "apex_s", "offset_s", "closure", "complete", "mouth_mm", "scored", "reason"):
        assert key in blink
    assert set(doc["ocular_oral"]["left"]) >= {"median_mm", "coupled_fraction", "n"}
    assert doc["ocular_oral"]["affected_side"] == "left"
    header = (tmp_path / "f.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["time_s", "face_found", "closure_right", "closure_left"]
    assert len((tmp_path / "f.csv").read_text().splitlines()) == track.points.shape[0] + 1


def test_console_script_never_prints_a_traceback(tmp_path):
    (tmp_path / "notes.mp4").write_text("hello")
    proc = subprocess.run([sys.executable, "-m", "synkimeter", "analyze", str(tmp_path / "notes.mp4")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
