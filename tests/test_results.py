"""The result document read back into typed results (ClipResult.from_json)."""

import json
import math

from test_store import sim_clip

from synkimeter.core.results import ClipResult


def test_round_trip_of_a_measured_clip():
    analysis, _ = sim_clip(coupling_right=2.0, seed=3)
    doc = json.loads(json.dumps(analysis.result.to_json()))
    back = ClipResult.from_json(doc)
    assert back.to_json() == doc
    assert back.ocular_oral.right.average_peak_mm == doc["ocular_oral"]["right"]["average_peak_mm"]
    assert len(back.blinks) == len(doc["blinks"]) > 0


def test_stored_keys_are_kept_and_typed():
    analysis, _ = sim_clip(seed=1)
    doc = {**analysis.result.to_json(), "task": "natural_blinking", "dropped_frames": 3,
           "video": {"width": 640, "height": 480, "source": "camera 0"}, "fissure_levels": {"right": {}}}
    back = ClipResult.from_json(doc)
    assert back.to_json() == doc
    assert (back.task, back.dropped_frames, back.picture_size) == ("natural_blinking", 3, (640, 480))


def test_an_older_document_reads_with_gaps_as_nan():
    back = ClipResult.from_json({"fps": 30.0, "ocular_oral": {"right": {"median_mm": 1.5}}})
    assert back.fps == 30.0 and back.frames == 0 and back.blinks == ()
    assert back.ocular_oral.right.median_mm == 1.5
    assert math.isnan(back.ocular_oral.right.average_peak_mm) and math.isnan(back.ocular_oral.left.ci95_mm[0])
    assert back.ocular_oral.severity == "undetermined" and back.task is None and back.picture_size is None


def test_the_closure_figure_is_typed_on_reading_back():
    from synkimeter.core.results import ClosureCoupling, ClosureOcularOral

    analysis, _ = sim_clip(seed=2)
    closure = ClosureOcularOral(right=ClosureCoupling(2.1, (1.8, 2.4), 3), left=None)
    doc = json.loads(json.dumps({**analysis.result.to_json(), "closure_ocular_oral": closure.to_json()}))
    back = ClipResult.from_json(doc)
    assert back.closure_ocular_oral == closure and "closure_ocular_oral" not in back.extra
    assert back.to_json() == doc
