"""Known coupling imposed during held eye closures of a real recorded face (issue 27): the mouth
corner's movement during gentle eye closure is read on the pulled side, the side is named, and no
smile or eye narrowing is listed inside a closure; the posed clip's pucker and smile are still found.

The face is the still stretch of ../shared/realclips/expressions_glasses_man.mp4 (0.2-2.0 s, two
blinks, mouth at rest) with each blink's closed frames held for 2.5 s (synkimeter_dev.synth.realface
`hold_closed_s`): four gentle closures, the last cut by the clip's end. Takes about two minutes.
"""

from __future__ import annotations

import numpy as np
import pytest

from synkimeter.core.closure import closure_side
from synkimeter.usecases.analyze import analyze_clip
from synkimeter.usecases.settings import DEFAULT_SETTINGS
from synkimeter_dev.synth.realface import RealCouplingSpec, prepare, write_coupled

pytestmark = [pytest.mark.realclips, pytest.mark.slow]

STRETCH_S = (0.2, 2.0)
PULLS = (("left", 2.0), ("right", 4.0))


@pytest.fixture(scope="module")
def measured(realclips_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("closure_real")
    prepared = prepare(realclips_dir / "expressions_glasses_man.mp4", *STRETCH_S)
    results = {}
    for side, mm in ((None, 0.0), *PULLS):
        path = out / f"held_{side}_{mm:g}.mp4"
        write_coupled(prepared, path, RealCouplingSpec(mm, side or "right", "broad", *STRETCH_S, 2, hold_closed_s=2.5))
        results[(side, mm)] = analyze_clip(path).result
    return results


def _components(result, side):
    return np.array([[e.mouth_up_mm[side], e.mouth_out_mm[side]] for e in result.eye_closures])


@pytest.mark.parametrize(("side", "coupling_mm"), PULLS)
def test_the_pull_during_gentle_closure_is_read_on_its_side(measured, side, coupling_mm):
    control, coupled = measured[(None, 0.0)], measured[(side, coupling_mm)]
    other = "left" if side == "right" else "right"
    figure = coupled.closure_ocular_oral
    tolerance = max(0.25, 0.2 * coupling_mm)
    assert figure.side(side).n >= 3
    assert abs(figure.side(side).median_mm - coupling_mm) <= tolerance, figure
    assert figure.side(other).median_mm < DEFAULT_SETTINGS.healthy_floor_mm
    assert closure_side(figure) == side
    # What the pull added over the unwarped control, closure by closure (the same frames but for the warp).
    counted = np.array([a.scored and b.scored for a, b in zip(coupled.eye_closures, control.eye_closures)])
    d = _components(coupled, side) - _components(control, side)
    assert abs(np.median(np.hypot(d[:, 0], d[:, 1])[counted]) - coupling_mm) <= tolerance
    # No smile and no "narrowing during a smile" inside a closure.
    for closure in coupled.eye_closures:
        assert not [e for e in coupled.expressions if e["kind"] in ("smile", "pucker", "lips_to_side")
                    and e["start_s"] < closure.offset_s and e["end_s"] > closure.onset_s]
    assert not coupled.oral_ocular["segments"]


def test_a_still_real_face_held_closed_reads_within_the_healthy_floor(measured):
    figure = measured[(None, 0.0)].closure_ocular_oral
    assert all(figure.side(s).median_mm < DEFAULT_SETTINGS.healthy_floor_mm for s in ("right", "left"))
    assert closure_side(figure) is None


def test_the_posed_clips_pucker_and_smile_are_still_found(realclips_dir):
    found = analyze_clip(realclips_dir / "posed_expressions_man.mp4").result.expressions
    kinds = {(e["kind"], e["side"]) for e in found}
    assert ("pucker", "both") in kinds and ("smile", "both") in kinds
