"""The landmark optical flow: follows the image, not a mesh that under-reads, and stays on its leash."""

import numpy as np
import pytest

from synkimeter.capture._cv import cv2
from synkimeter.landmarks.flow import LandmarkFlow, window_px
from synkimeter.usecases.settings import DEFAULT_SETTINGS

CORNERS = np.array([[200.0, 240.0], [320.0, 240.0]], np.float32)  # right, left (mouth 120 px wide)
DT_S = 1 / 30
MOUTH_PX = 120.0
# The mechanics below start following at once; the settling after a face is found is tested apart.
NO_SETTLING = DEFAULT_SETTINGS.with_overrides(optical_flow_settle_s=0.0)


def _step(flow, frame, mesh_xy, timestamp_s):
    return flow.update(frame, mesh_xy, timestamp_s, MOUTH_PX)


def _texture(seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(128, 40, (480, 640)).astype(np.float32)
    return np.clip(cv2.GaussianBlur(noise, (0, 0), 2.0), 0, 255)


def _shifted(texture: np.ndarray, dx: float, dy: float) -> np.ndarray:
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(texture, shift, (640, 480), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT).astype(np.uint8)


def test_window_scales_with_the_mouth_and_is_odd():
    assert window_px(120.0) % 2 == 1
    assert window_px(60.0) <= window_px(120.0) <= window_px(400.0)
    assert window_px(10.0) == 9 and window_px(10_000.0) == 41
    assert window_px(float("nan")) == 9
    assert window_px(100.0) == 13 and window_px(58.0) == 9  # 12 % of the mouth, odd, at least 9


def test_flow_follows_the_image_where_the_mesh_under_reads():
    texture = _texture()
    flow = LandmarkFlow(NO_SETTLING)
    # The whole image drifts 3 px to the right and 2 px up over 10 frames and back; the "mesh"
    # sees only 60 % of it, plus 0.3 px of jitter.
    rng = np.random.default_rng(0)
    path = np.concatenate([np.linspace(0, 1, 11), np.linspace(1, 0, 11)[1:]])
    errors_flow, errors_mesh = [], []
    for k, a in enumerate(path):
        true_xy = CORNERS + np.float32([3.0 * a, -2.0 * a])
        mesh_xy = CORNERS + 0.6 * (true_xy - CORNERS) + rng.normal(0, 0.3, (2, 2)).astype(np.float32)
        out = _step(flow, _shifted(texture, 3.0 * a, -2.0 * a), mesh_xy, k * DT_S)
        errors_flow.append(np.abs(out - true_xy).max())
        errors_mesh.append(np.abs(mesh_xy - true_xy).max())
    assert max(errors_flow) < 0.25, errors_flow
    assert max(errors_mesh) > 1.0  # the test is not trivial: the mesh really is off


def test_a_large_face_is_followed_in_a_shrunk_frame_to_a_fraction_of_a_full_pixel():
    big = cv2.resize(_texture(), (1280, 960), interpolation=cv2.INTER_CUBIC)
    corners = CORNERS * 2  # a 240 px mouth: followed at half size
    flow = LandmarkFlow(NO_SETTLING)
    flow.update(big.astype(np.uint8), corners, 0.0, 240.0)
    for k, (dx, dy) in enumerate([(1.0, 0.0), (2.5, -1.0), (4.0, -2.0)], start=1):
        shift = np.float32([[1, 0, dx], [0, 1, dy]])
        frame = cv2.warpAffine(big, shift, (1280, 960), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
        out = flow.update(frame.astype(np.uint8), corners, k * DT_S, 240.0)  # the mesh sees no movement
        # the flow's view minus the slow pull towards the (unmoving) mesh
        expected = corners + np.float32([dx, dy])
        assert np.abs(out - expected).max() < 0.15, (out, expected)


def test_a_still_image_gives_a_still_corner_despite_mesh_jitter():
    frame = _shifted(_texture(), 0, 0)
    flow = LandmarkFlow(NO_SETTLING)
    rng = np.random.default_rng(1)
    outs = np.array([_step(flow, frame, CORNERS + rng.normal(0, 0.5, (2, 2)).astype(np.float32), k * DT_S)
                     for k in range(60)])
    # The mesh's 0.5 px jitter reaches the corner only through the slow pull: its frame-to-frame
    # steps are tiny (the mesh's own are ~0.7 px).
    assert np.abs(np.diff(outs, axis=0)).max() < 0.05


def test_the_corner_is_held_to_the_mesh_on_a_leash():
    frame = _shifted(_texture(), 0, 0)
    flow = LandmarkFlow(NO_SETTLING)
    _step(flow, frame, CORNERS, 0.0)
    # The image stays still but the mesh walks 20 px away: the flow's corner follows only as far
    # as the leash (5 % of the 120 px mouth), then is pulled slowly home.
    moved = CORNERS + np.float32([20.0, 0.0])
    out = _step(flow, frame, moved, DT_S)
    leash_px = DEFAULT_SETTINGS.optical_flow_leash_mouth * MOUTH_PX
    assert np.linalg.norm(out - moved, axis=1) == pytest.approx([leash_px, leash_px], abs=0.05)
    for k in range(2, 400):
        out = _step(flow, frame, moved, k * DT_S)
    assert np.abs(out - moved).max() < 0.5


def test_no_face_and_gaps_restart_at_the_mesh():
    texture = _texture()
    flow = LandmarkFlow(NO_SETTLING)
    _step(flow, _shifted(texture, 0, 0), CORNERS, 0.0)
    lost = _step(flow, _shifted(texture, 0, 0), np.full((2, 2), np.nan, np.float32), DT_S)
    assert np.isnan(lost).all()
    elsewhere = CORNERS + 7.0
    assert np.array_equal(_step(flow, _shifted(texture, 0, 0), elsewhere, 2 * DT_S), elsewhere)
    # A gap in time longer than max_gap_s: the image between is unknown, so no flow across it.
    later_s = 2 * DT_S + DEFAULT_SETTINGS.optical_flow_max_gap_s + 0.1
    assert np.array_equal(_step(flow, _shifted(texture, 5, 5), CORNERS, later_s), CORNERS)
    # Time running backwards (a new clip fed to the same extractor) restarts too.
    assert np.array_equal(_step(flow, _shifted(texture, 0, 0), elsewhere, 0.0), elsewhere)


def test_the_points_keep_their_order_and_a_bad_step_moves_with_the_mesh():
    texture = _texture()
    flow = LandmarkFlow(NO_SETTLING)
    points = np.vstack([CORNERS, [[260.0, 120.0]]]).astype(np.float32)
    _step(flow, _shifted(texture, 0, 0), points, 0.0)
    # Every pixel changes (a new texture): no flow step survives its backward check, so the points
    # move exactly as the mesh's do.
    stepped = points + np.float32([1.5, -0.5])
    out = _step(flow, _shifted(_texture(seed=99), 0, 0), stepped, DT_S)
    assert out.shape == (3, 2)
    assert np.allclose(out, stepped, atol=1e-3)


def test_points_leaving_the_picture_fall_back_to_the_mesh_without_error():
    frame = _shifted(_texture(), 0, 0)
    flow = LandmarkFlow(NO_SETTLING)
    _step(flow, frame, CORNERS, 0.0)
    # The face slides off the left edge: the mesh (extrapolating) puts the points outside.
    for k, x in enumerate([-20.0, -400.0, -900.0], start=1):
        outside = CORNERS + np.float32([x, 0.0])
        out = _step(flow, frame, outside, k * DT_S)
        assert np.isfinite(out).all()
        assert np.linalg.norm(out - outside, axis=1).max() <= DEFAULT_SETTINGS.optical_flow_leash_mouth * MOUTH_PX + 1e-3
    # a picture that is not 8-bit is left to the mesh
    assert np.array_equal(_step(flow, frame.astype(np.uint16), CORNERS, 10 * DT_S), CORNERS)


def test_just_after_the_face_is_found_the_points_are_the_mesh_s_own():
    texture = _texture()
    flow = LandmarkFlow(DEFAULT_SETTINGS)
    settle_s = DEFAULT_SETTINGS.optical_flow_settle_s
    # The mesh's first frames are off (it settles onto the face), while the picture is still.
    frame = _shifted(texture, 0, 0)
    times = np.arange(0, settle_s + 0.2, DT_S)
    for k, t in enumerate(times):
        settling = CORNERS + np.float32([max(0.0, 4.0 - k), 0.0])  # 4 px off, settling in 4 frames
        out = _step(flow, frame, settling, t)
        if t < settle_s:
            assert np.array_equal(out, settling)  # the mesh's own, error and all
    # then the flow has taken over from the settled mesh
    assert np.abs(out - CORNERS).max() < 0.05
    shifted = _step(flow, _shifted(texture, 1.0, 0.0), CORNERS, times[-1] + DT_S)
    assert shifted[:, 0] - CORNERS[:, 0] == pytest.approx([1.0, 1.0], abs=0.1)


SMALL_CORNERS = np.array([[291.0, 240.0], [349.0, 240.0]], np.float32)  # a 58 px mouth: the window at its least
SMALL_MOUTH_PX = 58.0


def _pulled(texture: np.ndarray, pull_px: float, sigma_px: float = 6.0) -> np.ndarray:
    """The texture with the right corner's skin pushed `pull_px` to the left by a Gaussian field
    (a pull on the corner alone: the lips and skin around it move less)."""
    ys, xs = np.mgrid[0:480, 0:640].astype(np.float32)
    cx, cy = SMALL_CORNERS[0]
    field = pull_px * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma_px**2))
    return cv2.remap(texture, xs + field, ys, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT).astype(np.uint8)


def _follow_pull(params, texture: np.ndarray, pulls: np.ndarray) -> np.ndarray:
    flow = LandmarkFlow(params)
    return np.array([flow.update(_pulled(texture, p), SMALL_CORNERS, k * DT_S, SMALL_MOUTH_PX)[0, 0]
                     for k, p in enumerate(pulls)]) - SMALL_CORNERS[0, 0]


def test_on_a_small_face_a_pull_on_the_corner_alone_is_read_with_the_small_window():
    """A 58 px mouth: the 9 px window takes in skin that moves less and under-reads a narrow pull;
    the 5 px refinement reads it nearly whole. Between pulls the corner keeps the wide window's place,
    and a picture with too little detail at the corner keeps the wide window's reading."""
    texture = _texture()
    pulls = np.concatenate([np.zeros(3), np.linspace(0, -3.0, 4), np.full(2, -3.0), np.linspace(-3.0, 0, 4),
                            np.zeros(40)])
    wide = _follow_pull(NO_SETTLING.with_overrides(optical_flow_fine_window_px=0), texture, pulls)
    fine = _follow_pull(NO_SETTLING, texture, pulls)
    at_peak = np.flatnonzero(pulls == -3.0)
    # How far the corner's own skin moved (the field at its new place pulls it: d = 3 g(d)).
    moved = 3.0
    for _ in range(50):
        moved = 3.0 * np.exp(-moved**2 / (2 * 6.0**2))
    # Measured: the wide window 87 % of it, the refined corner 92 %.
    assert np.abs(wide[at_peak]).mean() < 0.9 * moved < np.abs(fine[at_peak]).mean()
    # Back at rest, the two agree within a few hundredths of a pixel once the refinement has faded.
    assert np.abs(fine[-5:] - wide[-5:]).max() < 0.05
    # A dark, flat picture: the corner holds too little detail for 5 px, and the refinement stands aside.
    dull = (texture - 128.0) * 0.08 + 40.0
    assert np.allclose(_follow_pull(NO_SETTLING, dull, pulls),
                       _follow_pull(NO_SETTLING.with_overrides(optical_flow_fine_window_px=0), dull, pulls), atol=1e-4)


def test_a_face_whose_window_is_its_own_12_percent_is_not_refined():
    """From a ~75 px mouth up the wide window is already 12 % of the mouth: no second window runs."""
    texture = _texture()
    frames = [_shifted(texture, 0.2 * k, 0.0) for k in range(6)]

    def follow(params):
        flow = LandmarkFlow(params)
        return np.array([flow.update(f, CORNERS, k * DT_S, MOUTH_PX) for k, f in enumerate(frames)])

    assert np.array_equal(follow(NO_SETTLING), follow(NO_SETTLING.with_overrides(optical_flow_fine_window_px=0)))
