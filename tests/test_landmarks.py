"""Face mesh on scikit-image's astronaut photo, and the landmark series file."""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from synkimeter.capture import CameraSource, SourceError, VideoFileSource
from synkimeter.core.anatomy import LATERAL_CANTHUS, N_LANDMARKS
from synkimeter.landmarks import FaceMeshExtractor, LandmarkSeries, extract_landmarks
from synkimeter.landmarks.flow import FLOW_INDICES
from synkimeter.usecases.settings import DEFAULT_SETTINGS

skimage_data = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def head() -> np.ndarray:
    """The astronaut's head and shoulders, BGR, 260x300."""
    photo = cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)
    return np.ascontiguousarray(photo[0:300, 100:360])


@pytest.fixture(scope="module")
def face_frame(head) -> np.ndarray:
    return cv2.resize(head, None, fx=1.6, fy=1.6, interpolation=cv2.INTER_CUBIC)  # 416x480


def blank(height=480, width=416) -> np.ndarray:
    return np.full((height, width, 3), 90, np.uint8)


def two_faces(head, big=1.5, small=0.9):
    """A big astronaut on the left and a small one on the right; returns image and the big one's width."""
    a = cv2.resize(head, None, fx=big, fy=big, interpolation=cv2.INTER_CUBIC)
    b = cv2.resize(head, None, fx=small, fy=small, interpolation=cv2.INTER_AREA)
    gap = 40
    canvas = np.full((a.shape[0], a.shape[1] + gap + b.shape[1], 3), 128, np.uint8)
    canvas[:, : a.shape[1]] = a
    y = (a.shape[0] - b.shape[0]) // 2
    canvas[y : y + b.shape[0], a.shape[1] + gap :] = b
    return canvas, a.shape[1]


def test_face_in_pixels_with_subject_sides(face_frame):
    h, w = face_frame.shape[:2]
    with FaceMeshExtractor() as mesh:
        obs = mesh.process(face_frame)
    assert obs.points.shape == (N_LANDMARKS, 3) and obs.points.dtype == np.float32
    assert np.isfinite(obs.points).all()
    assert obs.n_faces == 1 and obs.has_face
    # pixels, inside the picture
    assert (obs.points[:, 0] >= 0).all() and (obs.points[:, 0] <= w).all()
    assert (obs.points[:, 1] >= 0).all() and (obs.points[:, 1] <= h).all()
    # subject's right eye (33) is on the image's left in an unmirrored picture
    assert obs.points[LATERAL_CANTHUS["right"], 0] < obs.points[LATERAL_CANTHUS["left"], 0]
    assert obs.points[33, 0] < obs.points[263, 0]
    assert 100 < obs.face_width_px < w
    # refined: the iris centres sit between the eye corners
    assert obs.points[33, 0] < obs.points[468, 0] < obs.points[133, 0]


def test_no_face_is_all_nan():
    with FaceMeshExtractor() as mesh:
        obs = mesh.process(blank())
    assert obs.points.shape == (N_LANDMARKS, 3) and np.isnan(obs.points).all()
    assert obs.n_faces == 0 and not obs.has_face and np.isnan(obs.face_width_px)


def test_follows_the_largest_of_two_faces(head):
    image, big_width = two_faces(head)
    for flipped in (False, True):  # whichever side the bigger face is on
        img = np.ascontiguousarray(image[:, ::-1]) if flipped else image
        with FaceMeshExtractor() as mesh:
            obs = mesh.process(img)
        assert obs.n_faces == 2
        x = obs.points[:, 0]
        if flipped:
            assert x.min() > img.shape[1] - big_width
        else:
            assert x.max() < big_width
        assert obs.face_width_px > 0.3 * big_width


def test_params_decide_how_many_faces(head):
    image, _ = two_faces(head)
    with FaceMeshExtractor(DEFAULT_SETTINGS.with_overrides(max_faces=1)) as mesh:
        assert mesh.process(image).n_faces == 1


def _series(n=6, with_face=(0, 1, 2, 4)) -> LandmarkSeries:
    rng = np.random.default_rng(3)
    pts = np.full((n, N_LANDMARKS, 3), np.nan, np.float32)
    pts[list(with_face)] = rng.normal(200, 30, (len(with_face), N_LANDMARKS, 3)).astype(np.float32)
    n_faces = np.zeros(n, np.int8)
    n_faces[list(with_face)] = 1
    n_faces[1] = 2
    return LandmarkSeries(
        timestamps_s=np.arange(n) * 1001 / 30000,
        points=pts,
        n_faces=n_faces,
        width=640,
        height=480,
        fps=30000 / 1001,
        source="C:/videos/Åsa's clip.mp4",
        truncated=True,
        warnings=["No face was found in 33 % of frames.", "Two or more faces were seen in 1 frame; ..."],
        optical_flow_points=[61, 291, 4],
    )


def test_npz_round_trip_without_pickle(tmp_path):
    series = _series()
    path = series.save_npz(tmp_path / "sub" / "landmarks.npz")
    assert path.exists() and [p.name for p in path.parent.iterdir()] == ["landmarks.npz"]  # no temp left
    with np.load(path, allow_pickle=False) as raw:  # readable with pickles forbidden
        assert all(raw[k].dtype != object for k in raw.files)
    back = LandmarkSeries.load_npz(path)
    np.testing.assert_array_equal(back.timestamps_s, series.timestamps_s)
    np.testing.assert_array_equal(back.points, series.points)  # NaN rows included
    np.testing.assert_array_equal(back.n_faces, series.n_faces)
    assert back.points.dtype == np.float32 and back.timestamps_s.dtype == np.float64
    assert back.n_faces.dtype == np.int8
    assert (back.width, back.height, back.source, back.truncated) == (640, 480, series.source, True)
    assert back.fps == series.fps and back.warnings == series.warnings
    assert back.face_frames.tolist() == [True, True, True, False, True, False]
    assert back.optical_flow_points == [61, 291, 4]


def test_npz_from_before_the_optical_flow_loads_with_mesh_points_only(tmp_path):
    path = _series().save_npz(tmp_path / "old.npz")
    with np.load(path, allow_pickle=False) as raw:
        arrays = {k: raw[k] for k in raw.files}
    meta = json.loads(str(arrays["meta"][()]))
    del meta["optical_flow_points"]
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    assert LandmarkSeries.load_npz(path).optical_flow_points == []


def test_npz_overwrite_is_atomic_and_unknown_fps(tmp_path):
    series = _series()
    series.fps = float("nan")
    path = tmp_path / "l.npz"
    series.save_npz(path)
    series.save_npz(path)  # replaces in place
    assert np.isnan(LandmarkSeries.load_npz(path).fps)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.npz"]


def test_load_rejects_foreign_npz(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, meta=np.array(json.dumps({"format": "something else"})))
    with pytest.raises(ValueError):
        LandmarkSeries.load_npz(path)


def test_series_checks_shapes():
    with pytest.raises(ValueError):
        LandmarkSeries(np.zeros(3), np.zeros((2, N_LANDMARKS, 3)), np.zeros(3), 1, 1, 30.0, "x")


def _write_clip(path: Path, frames: list[np.ndarray], fps: float = 25.0) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def test_extract_landmarks_over_a_clip(tmp_path, face_frame):
    h, w = face_frame.shape[:2]
    frames = []
    for i in range(16):  # the head drifts right by 1 px a frame; frames 10-13 show nobody
        shifted = cv2.warpAffine(face_frame, np.float32([[1, 0, i], [0, 1, 0]]), (w, h), borderMode=cv2.BORDER_REPLICATE)
        frames.append(blank(h, w) if 10 <= i < 14 else shifted)
    clip = _write_clip(tmp_path / "clip.avi", frames)
    calls = []
    series = extract_landmarks(clip, progress=lambda done, total: calls.append((done, total)))
    assert len(series) == 16 and series.points.shape == (16, N_LANDMARKS, 3)
    assert series.points.dtype == np.float32 and series.timestamps_s.dtype == np.float64
    assert series.timestamps_s == pytest.approx(np.arange(16) / 25.0)
    assert (series.width, series.height, series.fps) == (w, h, 25.0)
    assert series.source == str(clip) and not series.truncated
    expected_face = np.array([not (10 <= i < 14) for i in range(16)])
    np.testing.assert_array_equal(series.face_frames, expected_face)
    np.testing.assert_array_equal(series.n_faces, expected_face.astype(np.int8))
    assert np.isnan(series.points[10:14]).all()
    assert series.warnings == ["No face was found in 25 % of frames."]
    assert calls[0] == (1, 16) and calls[-1] == (16, 16)
    # the tracked head moves with the picture
    dx = series.points[9, 33, 0] - series.points[0, 33, 0]
    assert 5 < dx < 13
    # the mouth corners come from the optical flow, which follows the picture's 9 px closely (here
    # from the first frame on: normally the mesh settles for half a second first)
    assert series.optical_flow_points == FLOW_INDICES.tolist()
    followed = extract_landmarks(clip, DEFAULT_SETTINGS.with_overrides(optical_flow_settle_s=0.0))
    corner_dx = followed.points[9, [61, 291], 0] - followed.points[0, [61, 291], 0]
    assert corner_dx == pytest.approx([9.0, 9.0], abs=0.5)
    mesh_only = extract_landmarks(clip, DEFAULT_SETTINGS.with_overrides(optical_flow=False))
    assert mesh_only.optical_flow_points == []


def test_extract_landmarks_two_faces_and_no_face(tmp_path, head):
    image, _ = two_faces(head)
    clip = _write_clip(tmp_path / "two.avi", [image] * 4 + [blank(*image.shape[:2])] * 2)
    series = extract_landmarks(VideoFileSource(clip))
    assert series.n_faces.tolist() == [2, 2, 2, 2, 0, 0]
    assert "Two or more faces were seen in 4 frames; the largest face was followed." in series.warnings
    assert "No face was found in 33 % of frames." in series.warnings

    nobody = _write_clip(tmp_path / "nobody.avi", [blank()] * 5)
    series = extract_landmarks(nobody)  # no exception: the caller decides what to say
    assert len(series) == 5 and not series.face_frames.any()
    assert series.warnings == ["No face was found in any frame."]


def test_extract_landmarks_source_errors(tmp_path):
    with pytest.raises(SourceError):
        extract_landmarks(tmp_path / "missing.mp4")


class _FakeCamera:
    """cv2.VideoCapture stand-in: the astronaut at ~100 frames/s, then unplugged."""

    def __init__(self, image: np.ndarray, n_ok: int) -> None:
        self.image, self.n_ok, self.reads = image, n_ok, 0

    def isOpened(self):
        return True

    def grab(self):
        time.sleep(0.01)
        self.reads += 1
        return self.reads <= self.n_ok

    def retrieve(self):
        return True, self.image.copy()

    def get(self, prop):
        return 30.0 if prop == cv2.CAP_PROP_FPS else 0.0  # announced 30, delivers ~100

    def set(self, prop, value):
        return True

    def release(self):
        pass


def test_extract_from_camera_keeps_frames_when_unplugged(monkeypatch, face_frame):
    monkeypatch.setattr(CameraSource, "_make_capture", lambda self: _FakeCamera(face_frame, n_ok=8))
    series = extract_landmarks(0)
    assert len(series) == 8 and series.face_frames.all() and series.truncated
    assert series.warnings[0].startswith("The camera stopped sending pictures")
    assert series.source == "Camera 0"
    assert 40 < series.fps < 110  # measured from the frames' times, not the announced 30


def _pictures(name: str, first: int, count: int) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(Path(__file__).resolve().parents[1] / "sample_videos" / name))
    pictures = []
    for index in range(first + count):
        ok, picture = capture.read()
        assert ok
        if index >= first:
            rgb = cv2.cvtColor(picture, cv2.COLOR_BGR2RGB)
            rgb.flags.writeable = False
            pictures.append(rgb)
    capture.release()
    return pictures


@pytest.mark.parametrize("name, first, count", [("right_3mm.mp4", 0, 60), ("face_lost.mp4", 290, 90)])
def test_the_tuned_mesh_gives_mediapipe_s_own_landmarks(name, first, count):
    """The face mesh as synkimeter runs it (one thread, another face looked for only now and then;
    landmarks/mesh_graph.py) and called without MediaPipe's per-call namedtuple gives the landmarks
    of MediaPipe's own FaceMesh with the same settings, which looks on every frame, bit for bit:
    over 60 frames of a clip, and over a face lost (frames 300-344) and found again."""
    import mediapipe as mp

    from synkimeter.landmarks import facemesh

    pictures = _pictures(name, first, count)
    p = DEFAULT_SETTINGS
    stock = mp.solutions.face_mesh.FaceMesh(
        static_image_mode=False, max_num_faces=p.max_faces, refine_landmarks=True,
        min_detection_confidence=p.min_detection_confidence, min_tracking_confidence=p.min_tracking_confidence)
    with stock:
        theirs = [stock.process(rgb).multi_face_landmarks for rgb in pictures]
    with FaceMeshExtractor() as extractor:
        extractor.open()
        assert extractor._mesh.searches_on_demand
        ours = [facemesh._multi_face_landmarks(extractor._mesh, rgb, search=i % 9 == 0)
                for i, rgb in enumerate(pictures)]
    assert [len(f or []) for f in ours] == [len(f or []) for f in theirs]
    found = [(facemesh._landmark_array(a[0]), facemesh._landmark_array(b[0])) for a, b in zip(ours, theirs) if a]
    assert len(found) >= 40 and all(np.array_equal(a, b) for a, b in found)
    if name == "face_lost.mp4":  # the stretch holds frames without a face, and the face found again
        assert sum(not f for f in ours) == 45


def test_a_second_face_is_found_within_the_search_interval(head):
    """A bigger face coming into view beside a followed one is found at the next search (every
    face_search_interval_s of the clip's time) and from then on followed."""
    image, big_width = two_faces(head)
    alone = image.copy()
    alone[:, :big_width] = 128  # only the small face, on the right
    fps = 30.0
    interval_s = DEFAULT_SETTINGS.face_search_interval_s
    with FaceMeshExtractor() as mesh:
        before = [mesh.process(alone, i / fps) for i in range(10)]
        after = [mesh.process(image, (10 + i) / fps) for i in range(20)]
    assert all(obs.n_faces == 1 and obs.points[:, 0].min() > big_width for obs in before)
    seen = [obs.n_faces for obs in after]
    first = seen.index(2)
    assert first <= round(interval_s * fps)  # the first search after the big face came
    assert all(n == 2 for n in seen[first:])
    assert all(obs.points[:, 0].max() < big_width for obs in after[first:])  # the bigger face
    assert all(n == 1 for n in seen[:first])


def test_split_parts_give_the_same_landmarks_at_once_or_in_turn(monkeypatch):
    """A split clip's parts run at once (a core each) or in turn over one decoding (one core):
    the same landmarks, times and face counts either way."""
    from synkimeter.landmarks import extract

    clip = Path(__file__).resolve().parents[1] / "sample_videos" / "head_motion.mp4"
    runs = []
    for cores in (2, 1):
        monkeypatch.setattr(extract, "available_cores", lambda cores=cores: cores)
        series = extract.extract_landmarks(clip, workers=2)
        runs.append((np.asarray(series.points), series.timestamps_s, series.n_faces, series.warnings))
    assert runs[0][0].shape[0] >= 2 * extract.SPLIT_MIN_FRAMES_PER_WORKER  # it was split
    assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(runs[0][:3], runs[1][:3]))
    assert runs[0][3] == runs[1][3]
