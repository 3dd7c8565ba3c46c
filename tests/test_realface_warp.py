"""The real-face synth's ground truth (synkimeter_dev.synth.realface): the warp moves the skin at the
mouth corner by exactly the pull the truth states, for a narrow field and a broad one centred off the
corner, and leaves the other half of the face alone. No face mesh or clip needed: a picture of its own
coordinates is pushed through the very warp a coupled frame goes through."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("cv2")  # realface writes and reads the clips with OpenCV

from synkimeter_dev.synth import realface  # noqa: E402

MOUTH_PX = 58.0  # the second face's mouth (still_woman_synthetic.mp4), where a narrow pull is smallest in pixels


def _coupled_coordinates(field: str, pull_px: float):
    corner, other = np.array([101.3, 140.6]), np.array([101.3 + MOUTH_PX, 140.6])
    outward, up = np.array([-1.0, 0.0]), np.array([0.0, -1.0])
    a = np.radians(realface.PULL_ANGLE_DEG)
    direction = np.cos(a) * outward + np.sin(a) * up
    sigma = realface.FIELD_SIGMA_MOUTH[field] * MOUTH_PX
    centre = corner + realface.FIELD_OFFSET_MOUTH[field] * MOUTH_PX * direction
    midline, taper = 0.5 * (corner + other), realface.MIDLINE_TAPER_MOUTH * MOUTH_PX
    # As write_coupled scales it: the field's weight at the corner itself makes the corner move by the pull.
    at_corner = realface._field_weight(corner[0], corner[1], centre, sigma, midline, outward, taper)
    ys, xs = np.mgrid[0:240, 0:280].astype(np.float32)
    coords = np.dstack([xs, ys])
    warped = realface.warp_corner(coords, pull_px / at_corner, direction, centre, sigma, midline, outward, taper)
    return warped, coords, corner, other, direction


def _where_it_went(warped: np.ndarray, point: np.ndarray) -> np.ndarray:
    """The output position whose content came from `point` (Newton steps on the warped coordinates)."""
    err = np.hypot(warped[..., 0] - point[0], warped[..., 1] - point[1])
    q = np.array(np.unravel_index(np.argmin(err), err.shape)[::-1], dtype=np.float64)
    for _ in range(10):
        x0, y0 = int(np.floor(q[0])), int(np.floor(q[1]))
        fx, fy = q[0] - x0, q[1] - y0
        cell = warped[y0:y0 + 2, x0:x0 + 2].astype(np.float64)
        value = (cell[0, 0] * (1 - fx) * (1 - fy) + cell[0, 1] * fx * (1 - fy)
                 + cell[1, 0] * (1 - fx) * fy + cell[1, 1] * fx * fy)
        jac = np.column_stack([(cell[0, 1] - cell[0, 0]) * (1 - fy) + (cell[1, 1] - cell[1, 0]) * fy,
                               (cell[1, 0] - cell[0, 0]) * (1 - fx) + (cell[1, 1] - cell[0, 1]) * fx])
        q = q - np.linalg.solve(jac, value - point)
    return q


@pytest.mark.parametrize("field", ["narrow", "broad"])
@pytest.mark.parametrize("pull_px", [0.7, 2.7, 5.3])
def test_the_corner_moves_by_the_stated_pull(field, pull_px):
    warped, _, corner, _, direction = _coupled_coordinates(field, pull_px)
    moved = _where_it_went(warped, corner) - corner
    # OpenCV's cubic remap reproduces a coordinate ramp to within 0.064 px an axis, unbiased (its
    # 1/32 px tables): 0.1 px is 0.07 mm on the second face. A broad field not scaled by its weight at
    # the corner would move it 8 % short (0.4 px at 5.3 px).
    assert np.linalg.norm(moved - pull_px * direction) < 0.1, (moved, pull_px * direction)


@pytest.mark.parametrize("field", ["narrow", "broad"])
def test_the_other_corner_is_untouched(field):
    warped, coords, _, other, _ = _coupled_coordinates(field, 5.3)
    x, y = int(round(other[0])), int(round(other[1]))
    assert np.abs(warped[y - 3:y + 4, x - 3:x + 4] - coords[y - 3:y + 4, x - 3:x + 4]).max() < 1e-3


def test_the_uncompressed_condition_keeps_every_pixel(tmp_path):
    """`lossless` clips are what the live measurement meshes (a camera's frames): bit for bit the frames
    the synth made, where the MPEG-4 clips lose detail (docs/validation.md, "A narrow pull on the small face")."""
    from synkimeter.core.anatomy import COMMISSURE, IRIS_CENTRE

    rng = np.random.default_rng(5)
    frames = [rng.integers(0, 256, (64, 80, 3), dtype=np.uint8) for _ in range(6)]
    points = np.zeros((6, 478, 3))
    for index, xy in ((COMMISSURE["right"], (30, 45)), (COMMISSURE["left"], (50, 45)),
                      (IRIS_CENTRE["right"], (28, 20)), (IRIS_CENTRE["left"], (52, 20))):
        points[:, index, :2] = xy
    drive = {"right": np.zeros(6), "left": np.zeros(6)}
    prepared = realface.Prepared("still.mp4", frames, np.arange(6) / 30.0, 30.0, points, drive, drive, 0.5)
    spec = realface.RealCouplingSpec(0.0, lossless=True, min_gap_s=0.0)
    truth = realface.write_coupled(prepared, tmp_path / "clip.mkv", spec)
    read, _, _ = realface.read_stretch(tmp_path / "clip.mkv", 0.0, None)
    assert len(read) == truth["frames"] == 6
    assert all(np.array_equal(a, b) for a, b in zip(read, frames))
    with pytest.raises(ValueError):
        realface.write_coupled(prepared, tmp_path / "clip.mp4", spec)
