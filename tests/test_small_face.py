"""Issue 29: a face whose mouth is too few pixels wide to show a pull on its corner alone is
measured with a warning that says so (and how to fix it); a larger face is not."""

from __future__ import annotations

import numpy as np

from synkimeter.core.analysis import small_mouth_warning
from synkimeter.core.anatomy import COMMISSURE, MEASURED
from synkimeter.core.params import DEFAULT_MEASUREMENT
from synkimeter_dev.simulate import base_face

FACE = base_face().astype(np.float32)


def _frames(mouth_px: float, n: int = 30) -> np.ndarray:
    """n frames of the base face scaled so that its mouth is `mouth_px` wide, as the core takes them."""
    width = float(np.linalg.norm(FACE[COMMISSURE["right"], :2] - FACE[COMMISSURE["left"], :2]))
    centre = FACE.mean(axis=0)
    face = (FACE - centre) * (mouth_px / width) + centre
    frames = np.repeat(face[None], n, axis=0)
    frames[::7] = np.nan  # frames without a face do not count
    return MEASURED.take(frames)


def test_a_small_mouth_is_warned_about_with_its_size():
    limit = DEFAULT_MEASUREMENT.min_mouth_detail_px
    words = small_mouth_warning(_frames(58.0), MEASURED, DEFAULT_MEASUREMENT)
    assert words is not None and "58 pixels wide" in words and f"{limit:g}" in words
    assert "closer" in words and "corner alone" in words
    assert small_mouth_warning(_frames(limit + 1.0), MEASURED, DEFAULT_MEASUREMENT) is None
    assert small_mouth_warning(np.full((5, len(MEASURED), 3), np.nan, np.float32), MEASURED,
                               DEFAULT_MEASUREMENT) is None


def test_the_report_lists_what_the_measurement_noted_about_each_recording(tmp_path):
    """The warning reaches the therapist's report (its source-and-quality section), with the session
    and task it belongs to; a recording with nothing to note adds no such list."""
    from pathlib import Path

    from synkimeter.report.document import build_report
    from synkimeter.store import Store
    from synkimeter.usecases.saving import import_video
    from synkimeter.usecases.settings import DEFAULT_SETTINGS

    clip = Path(__file__).resolve().parents[1] / "sample_videos" / "right_3mm.mp4"
    with Store(tmp_path / "plain") as store:
        import_video(store, clip, "PX-1", kind="baseline", date="2026-01-12T09:30", affected_side="right")
        html, _ = build_report(store, store.require_patient("PX-1"), pictures=False)
    assert "What the measurement noted" not in html
    # The same face taken as too small for its corner (a limit above its own mouth's width).
    wide = DEFAULT_SETTINGS.with_overrides(min_mouth_detail_px=500.0)
    with Store(tmp_path / "small") as store:
        import_video(store, clip, "PX-2", kind="baseline", date="2026-01-12T09:30", affected_side="right",
                     params=wide)
        html, _ = build_report(store, store.require_patient("PX-2"), pictures=False)
    assert "What the measurement noted" in html
    assert "#1 natural blinking: The face is small in the picture" in html
