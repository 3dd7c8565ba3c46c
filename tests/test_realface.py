"""Known coupling imposed on a real recorded face (synkimeter_dev.synth.realface): the measurement must
read what was imposed over the unwarped control, on the right side, without throwing more blinks
away; a healthy real face under camera motion is graded "none"; aligned corners never run away.

The source is the still stretch of ../shared/realclips/expressions_glasses_man.mp4 (0.2-2.0 s: a
man with thin glasses, two blinks, mouth at rest), played back and forth with its open-eye stretches
lengthened so blinks come every 2-3 s. Generating and measuring the clips takes about a minute.
"""

from __future__ import annotations

import numpy as np
import pytest

from synkimeter.usecases.analyze import analyze_clip
from synkimeter_dev.synth.realface import CameraMotion, RealCouplingSpec, prepare, write_coupled

pytestmark = [pytest.mark.realclips, pytest.mark.slow]

SOURCE = "expressions_glasses_man.mp4"
STRETCH_S = (0.2, 2.0)
CYCLES = 4
COUPLINGS_MM = (0.5, 1.0, 2.0, 4.0)
FIELDS = ("narrow", "broad")
CAMERA = CameraMotion(roll_deg=3.0, shift_px=25.0, scale=0.04)


@pytest.fixture(scope="module")
def measured(realclips_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("realface")
    prepared = prepare(realclips_dir / SOURCE, *STRETCH_S)
    specs = {"control": RealCouplingSpec(0.0, "right", "narrow", *STRETCH_S, CYCLES),
             "camera": RealCouplingSpec(0.0, "right", "narrow", *STRETCH_S, CYCLES, CAMERA)}
    for mm in COUPLINGS_MM:
        for kind in FIELDS:
            specs[(kind, mm)] = RealCouplingSpec(mm, "right", kind, *STRETCH_S, CYCLES)
    results = {}
    for key, spec in specs.items():
        path = out / (f"{key[0]}_{key[1]}.mp4" if isinstance(key, tuple) else f"{key}.mp4")
        write_coupled(prepared, path, spec)
        results[key] = analyze_clip(path)
    return results


def _avg(result, side):
    return result.summary["ocular_oral"][side]["average_peak_mm"]


def _rise(coupled, control, side="right"):
    """The blink-averaged pull the coupling added: the peak of the difference of the two clips'
    averaged (up, out) traces. The clips are the same frames but for the warp, and a difference of
    sizes would under-read a pull at an angle to the face's own small blink movement."""
    a = coupled.summary["ocular_oral"]["blink_triggered_average"]
    b = control.summary["ocular_oral"]["blink_triggered_average"]
    after = np.asarray(a["time_s"]) >= 0
    d_up = np.asarray(a[side]["up_mm"]) - np.asarray(b[side]["up_mm"])
    d_out = np.asarray(a[side]["out_mm"]) - np.asarray(b[side]["out_mm"])
    return float(np.max(np.hypot(d_up, d_out)[after]))


def _rejected(result):
    return sum(not b["scored"] for b in result.summary["blinks"])


@pytest.mark.parametrize("kind", FIELDS)
@pytest.mark.parametrize("coupling_mm", COUPLINGS_MM)
def test_imposed_coupling_is_read_over_the_control(measured, kind, coupling_mm):
    control, coupled = measured["control"], measured[(kind, coupling_mm)]
    rise = _rise(coupled, control)
    assert abs(rise - coupling_mm) <= max(0.25, 0.2 * coupling_mm), (kind, coupling_mm, rise)
    # The other corner: what the pull added to it (its own healthy blink movement, 0.1-0.4 mm on this
    # face, is the control's too).
    assert _rise(coupled, control, "left") < 0.25
    oo = coupled.summary["ocular_oral"]
    assert oo["affected_side"] == "right"
    assert oo["severity"] not in ("none", "undetermined")
    # The blink's own movement never counts as "the mouth was already moving".
    assert _rejected(coupled) <= _rejected(control)


def test_strong_coupling_is_graded_severe(measured):
    for kind in FIELDS:
        oo = measured[(kind, 4.0)].summary["ocular_oral"]
        assert oo["severity"] == "severe" and oo["right"]["n"] >= 3


def test_healthy_real_face_under_camera_motion_is_graded_none(measured):
    for key in ("control", "camera"):
        oo = measured[key].summary["ocular_oral"]
        assert oo["severity"] == "none", (key, oo["right"]["average_peak_mm"], oo["left"]["average_peak_mm"])
        assert oo["affected_side"] is None


def test_aligned_corners_stay_within_a_face_reach_under_camera_motion(measured):
    traces = measured["camera"].analysis.traces
    for side in ("right", "left"):
        d = traces.displacement_mm(side)
        assert np.nanmax(np.abs(d - np.nanmedian(d))) < 5.0


def test_a_blink_coupled_pull_is_not_taken_for_a_smile(measured):
    """The pull that comes and goes with each blink is ocular-oral synkinesis, not a one-sided smile
    (which would also report the closed eye as 'narrowed during smile')."""
    for kind in FIELDS:
        summary = measured[(kind, 4.0)].summary
        assert not [e for e in summary["expressions"] if e["kind"] == "smile"]
        assert not [r for r in summary["oral_ocular"]["segments"] if r["kind"] == "smile"]
