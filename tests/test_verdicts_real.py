"""Honest verdicts between sessions on a real face (synkimeter_dev.synth.realface): the same face and
coupling recorded nearer or further, darker or brighter, tilted or compressed is "no change" in every
verdict (the trend view, the report); a real 2 mm decrease recorded the same way is "improved"."""

from __future__ import annotations

import pytest

from synkimeter.usecases.analyze import analyze_clip
from synkimeter.usecases.saving import import_video
from synkimeter.usecases.trends import METRIC_BY_KEY, Point, compare, wilson_interval
from synkimeter_dev.synth.realface import CameraMotion, RealCouplingSpec, prepare, write_coupled

pytestmark = [pytest.mark.realclips, pytest.mark.slow]

STRETCH_S = (0.2, 2.0)
CONDITIONS = {
    "as recorded": {},
    "far": {"resize": 0.65},
    "dark": {"gain": 0.55, "gamma": 1.3},
    "bright": {"gain": 1.25, "gamma": 0.8},
    "tilted": {"camera": CameraMotion(tilt_deg=10.0)},
    "compressed": {"jpeg_quality": 25},
}
JUDGED = ("ocular_oral_average_peak", "ocular_oral_median", "coupled_fraction")


@pytest.fixture(scope="module")
def clips(realclips_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("verdicts")
    prepared = prepare(realclips_dir / "expressions_glasses_man.mp4", *STRETCH_S)
    paths = {}
    for name, extra in CONDITIONS.items():
        paths[(name, 2.0)] = out / f"{name}_2.mp4"
        write_coupled(prepared, paths[(name, 2.0)], RealCouplingSpec(2.0, "right", "broad", *STRETCH_S, 4, **extra))
    paths[("as recorded", 4.0)] = out / "as_recorded_4.mp4"
    write_coupled(prepared, paths[("as recorded", 4.0)], RealCouplingSpec(4.0, "right", "broad", *STRETCH_S, 4))
    return {key: (path, analyze_clip(path).summary) for key, path in paths.items()}


def _point(metric_key: str, side: str, summary: dict, session_id: int, date: str) -> Point:
    d = summary["ocular_oral"][side]
    if metric_key == "ocular_oral_average_peak":
        value, (lo, hi) = d["average_peak_mm"], d["average_ci95_mm"]
    elif metric_key == "ocular_oral_median":
        value, (lo, hi) = d["median_mm"], d["ci95_mm"]
    else:
        value = d["coupled_fraction"]
        lo, hi = wilson_interval(value, d["n"])
        value, lo, hi = 100 * value, 100 * lo, 100 * hi
    return Point(session_id, date, "follow-up", value, lo, hi, d["n"], session_id == 1)


def _verdicts(before: dict, after: dict) -> dict:
    out = {}
    for key in JUDGED:
        for side in ("right", "left"):
            change = compare(METRIC_BY_KEY[key], side, _point(key, side, before, 1, "2026-01-05"),
                             _point(key, side, after, 2, "2026-02-05"))
            out[(key, side)] = change.verdict
    return out


@pytest.mark.parametrize("condition", [c for c in CONDITIONS if c != "as recorded"])
def test_the_same_face_and_coupling_recorded_differently_is_no_change(clips, condition):
    _, base = clips[("as recorded", 2.0)]
    _, other = clips[(condition, 2.0)]
    verdicts = _verdicts(base, other)
    assert not {v for v in verdicts.values()} & {"improved", "worse"}, verdicts


def test_a_real_2mm_decrease_is_improved_and_the_healthy_side_is_healthy_at_both(clips):
    _, before = clips[("as recorded", 4.0)]
    _, after = clips[("as recorded", 2.0)]
    verdicts = _verdicts(before, after)
    assert verdicts[("ocular_oral_average_peak", "right")] == "improved"
    assert verdicts[("ocular_oral_average_peak", "left")] == "healthy at both visits"


def test_trend_view_report_and_patients_say_no_change_for_a_farther_recording(clips, tmp_path, monkeypatch, qtbot,
                                                                              capsys):
    """End to end through the store: baseline as recorded, follow-up further from the camera; the trend
    view's sentence, the report's table and `synkimeter patients` all say no change."""
    from synkimeter.gui.trends import plain_change
    from synkimeter.report import report_html
    from synkimeter.store import Store
    from synkimeter.usecases.trends import patient_trends

    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    with Store() as store:
        import_video(store, clips[("as recorded", 2.0)][0], "PX-REPEAT", kind="baseline", date="2026-01-05")
        import_video(store, clips[("far", 2.0)][0], "PX-REPEAT", kind="follow-up", date="2026-02-05")
        trends = patient_trends(store, "PX-REPEAT")
        text = report_html(store, "PX-REPEAT")
    verdicts = {(c.metric.key, c.side): c.verdict for c in trends.changes}
    assert verdicts and not set(verdicts.values()) & {"improved", "worse"}, verdicts
    headline = next(c for c in trends.changes if c.metric.key == "ocular_oral_average_peak" and c.side == "right")
    assert "about the same" in plain_change(headline)
    assert "improved" not in text.split("Baseline compared with the latest session")[1].split("</table>")[0]
    from synkimeter.cli import main

    assert main(["patients", "PX-REPEAT"]) == 0
    listed = capsys.readouterr().out
    assert "baseline 2026-01-05 against latest 2026-02-05" in listed
    assert "within noise" in listed and "improved" not in listed and "worse" not in listed
