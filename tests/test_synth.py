"""The synthetic sample generator (synkimeter_dev.synth): truth, warps, and one short MediaPipe check."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("skimage")
cv2 = pytest.importorskip("cv2")

from synkimeter_dev.synth import face  # noqa: E402
from synkimeter_dev.synth.clips import SAMPLE_CLIPS  # noqa: E402
from synkimeter_dev.synth.spec import ClipSpec, blink_closure, head_pose  # noqa: E402

FPS = 30.0


@pytest.fixture(scope="module")
def model() -> face.FaceModel:
    return face.FaceModel(face.load_photo_bgr(), face.rest_landmarks())


def test_truth_is_deterministic_and_seeded():
    spec = SAMPLE_CLIPS[0]
    assert json.dumps(spec.truth()) == json.dumps(spec.truth())
    other = ClipSpec(spec.name, seed=spec.seed + 1)
    assert other.truth()["blinks"] != spec.truth()["blinks"]


def test_truth_schema_and_scale():
    truth = SAMPLE_CLIPS[1].truth()
    for key in (
        "schema_version", "name", "seed", "fps", "width", "height", "frames", "duration_s",
        "mm_per_px", "coupling_mm", "affected_side", "blinks", "head_motion", "face_absent",
        "description",
    ):
        assert key in truth
    assert truth["schema_version"] == 1
    assert (truth["fps"], truth["width"], truth["height"]) == (30.0, 640, 480)
    assert truth["duration_s"] == pytest.approx(truth["frames"] / truth["fps"])
    # iris 20-30 px across in the output frame
    diam = face.iris_diameters_px(face.rest_landmarks())
    assert all(20 <= d <= 30 for d in diam.values())
    assert truth["mm_per_px"] == pytest.approx(11.7 / np.median(list(diam.values())), rel=1e-3)


@pytest.mark.parametrize("spec", SAMPLE_CLIPS, ids=lambda s: s.name)
def test_sample_clip_schedules(spec):
    truth = spec.truth()
    blinks = truth["blinks"]
    assert 8 <= len(blinks) <= 12
    onsets = [b["onset_s"] for b in blinks]
    for a, b in zip(onsets, onsets[1:]):
        if not any(a < s < b for s, _ in truth["face_absent"]):  # blinks pause while face is gone
            assert 2.0 <= b - a <= 4.0
    for b in blinks:
        assert 0.08 <= b["apex_s"] - b["onset_s"] <= 0.13
        assert 0.15 <= b["offset_s"] - b["onset_s"] <= 0.40
        assert b["offset_s"] < truth["duration_s"]
        for side in ("right", "left"):
            d = b["depth"][side]
            assert d == 0.0 or d == 1.0 or 0.4 <= d <= 0.6
            assert (d > 0) == (b["eye"] in ("both", side))
        for a, e in truth["face_absent"]:
            assert not (a - 0.5 < b["onset_s"] < e + 0.5)
    coupled = {k for k, v in truth["coupling_mm"].items() if v > 0}
    assert truth["affected_side"] == (coupled.pop() if coupled else None)


def test_special_clips():
    by_name = {s.name: s.truth() for s in SAMPLE_CLIPS}
    eyes = [b["eye"] for b in by_name["winks"]["blinks"]]
    assert eyes.count("right") >= 3 and eyes.count("left") >= 2 and eyes.count("both") >= 1
    depths = [b["depth"]["right"] for b in by_name["partial_blinks"]["blinks"]]
    assert sum(d < 1 for d in depths) >= 3 and sum(d == 1 for d in depths) >= 3
    assert by_name["head_motion"]["head_motion"] and not any(
        by_name["head_motion"]["coupling_mm"].values()
    )
    assert by_name["face_lost"]["face_absent"]


def test_blink_profile():
    truth = ClipSpec("t", seed=1, duration_s=3.0, onsets_s=(1.0,), right_winks=1).truth()
    (b,) = truth["blinks"]
    t = np.arange(truth["frames"]) / FPS
    c = blink_closure(truth, t)
    assert np.all(c["left"] == 0)
    right = c["right"]
    assert right.max() <= 1.0 and right[t < b["onset_s"]].max() == 0
    assert right[t >= b["offset_s"]].max() == 0
    fine = np.linspace(b["onset_s"], b["offset_s"], 2001)
    cf = blink_closure(truth, fine)["right"]
    assert cf.max() == pytest.approx(1.0)
    assert blink_closure(truth, np.array([b["apex_s"]]))["right"][0] == pytest.approx(1.0)
    apex = np.searchsorted(fine, b["apex_s"])
    assert np.all(np.diff(cf[:apex]) >= -1e-12) and np.all(np.diff(cf[apex:]) <= 1e-12)


def test_head_pose_bounds():
    truth = SAMPLE_CLIPS[6].truth()
    hm = truth["head_motion"]
    poses = np.array([head_pose(truth, t) for t in np.arange(0, truth["duration_s"], 0.1)])
    assert np.abs(poses[:, 0]).max() <= hm["roll_deg"] + 1e-9
    assert np.abs(poses[:, 1] - 1).max() <= hm["scale"] + 1e-9
    assert np.abs(poses[:, 2]).max() <= hm["translate_px"] + 1e-9
    assert head_pose(SAMPLE_CLIPS[0].truth(), 3.0) == (0.0, 1.0, 0.0, 0.0)


def _box(points: np.ndarray, idx: int, r: int) -> tuple[slice, slice]:
    x, y = (int(round(v)) for v in points[idx])
    return slice(y - r, y + r), slice(x - r, x + r)


def test_warps_are_local(model):
    pts = face.rest_landmarks()
    rest = model.render()
    closed = model.render(closure={"right": 1.0, "left": 1.0})
    pulled = model.render(corner_shift_px={"right": 3.0 / model.mm_per_px})
    for side in ("right", "left"):
        mouth = _box(pts, face.anatomy.COMMISSURE[side], 40)
        assert np.array_equal(closed[mouth], rest[mouth])  # blinking never moves the mouth
        eye = _box(pts, face.anatomy.IRIS_CENTRE[side], 12)
        assert np.abs(closed[eye].astype(int) - rest[eye]).mean() > 10  # the iris is covered
        brow = _box(pts + [0, -45], face.anatomy.IRIS_CENTRE[side], 10)
        assert np.array_equal(closed[brow], rest[brow])  # the brow stays put
    assert np.array_equal(pulled[_box(pts, 291, 40)], rest[_box(pts, 291, 40)])
    assert not np.array_equal(pulled[_box(pts, 61, 10)], rest[_box(pts, 61, 10)])


@pytest.mark.parametrize("side", ["right", "left"])
def test_corner_moves_by_imposed_amount(model, side):
    shift_mm = 2.0
    shift_px = shift_mm / model.mm_per_px
    corner = model.corners[side]
    moved = corner.point + shift_px * corner.direction
    assert np.sign(moved[0] - corner.point[0]) == np.sign(corner.point[0] - 320)  # outward
    assert moved[1] < corner.point[1]  # up
    mx, my = model.maps(corner_shift_px={side: shift_px})
    # the backward map at the moved corner must fetch the rest corner's photo pixel
    x, y = moved
    x0, y0 = int(np.floor(x)), int(np.floor(y))
    fx, fy = x - x0, y - y0

    def bilinear(m):
        return (
            m[y0, x0] * (1 - fx) * (1 - fy) + m[y0, x0 + 1] * fx * (1 - fy)
            + m[y0 + 1, x0] * (1 - fx) * fy + m[y0 + 1, x0 + 1] * fx * fy
        )

    want = face.frame_to_photo(corner.point[0], corner.point[1])
    assert bilinear(mx) == pytest.approx(want[0], abs=0.02)
    assert bilinear(my) == pytest.approx(want[1], abs=0.02)


def test_writer_fourcc(tmp_path):
    from synkimeter_dev.synth.generate import open_writer

    writer, fourcc = open_writer(tmp_path / "x.mp4")
    writer.release()
    assert fourcc in ("avc1", "mp4v")


def test_short_clip_through_mediapipe(tmp_path):
    """A 2.5 s clip, one right-eye wink with 3 mm right coupling: the mesh sees it."""
    pytest.importorskip("mediapipe")
    from synkimeter_dev.synth.generate import write_truth_clip
    from synkimeter_dev.synth.verify import openness, track

    spec = ClipSpec(
        "short", seed=5, duration_s=2.5, onsets_s=(1.2,), right_winks=1,
        coupling_mm={"right": 3.0, "left": 0.0},
    )
    video, truth_path, truth = write_truth_clip(spec.truth(), tmp_path)
    assert json.loads(truth_path.read_text()) == truth
    points, fps = track(video)
    assert fps == pytest.approx(30.0)
    assert len(points) == truth["frames"] and np.isfinite(points).all()

    (b,) = truth["blinks"]
    t = np.arange(len(points)) / fps
    apex = int(round(b["apex_s"] * fps))
    rest = t < b["onset_s"] - 0.05
    op = openness(points)
    drop = {s: 1 - op[s][apex] / np.median(op[s][rest]) for s in op}
    assert drop["right"] > 0.5
    assert drop["left"] < 0.2

    pre = (t >= b["onset_s"] - 0.3) & (t <= b["onset_s"] - 0.1)
    mm = truth["mm_per_px"]
    d61 = (points[apex - 1 : apex + 2, 61].mean(0) - points[pre, 61].mean(0)) * mm
    d291 = (points[apex - 1 : apex + 2, 291].mean(0) - points[pre, 291].mean(0)) * mm
    assert d61[1] < -0.8  # up
    assert d61[0] < -0.4  # outward: the subject's right is the image's left
    assert 1.8 < np.linalg.norm(d61) < 4.0  # imposed 3 mm
    assert np.linalg.norm(d291) < 1.0  # the other corner stays within mesh noise


@pytest.mark.slow
def test_strong_coupling_with_partial_blinks_is_graded_on_its_side(tmp_path):
    """4 mm on the right, half the blinks partial: graded severe on the right, never undetermined,
    and no blink is thrown away as 'the mouth was already moving' (its own pull is the measurement)."""
    pytest.importorskip("mediapipe")
    from synkimeter.usecases.analyze import analyze_clip
    from synkimeter_dev.synth.generate import write_truth_clip

    spec = ClipSpec("strong_partial", seed=11, duration_s=16.0, coupling_mm={"right": 4.0, "left": 0.0},
                    partial_fraction=0.5)
    video, _, truth = write_truth_clip(spec.truth(), tmp_path)
    s = analyze_clip(video).summary
    oo = s["ocular_oral"]
    assert oo["affected_side"] == "right" and oo["severity"] == "severe"
    assert oo["right"]["n"] >= 3
    assert not any(b["reason"] == "the mouth was already moving before the blink" for b in s["blinks"])
