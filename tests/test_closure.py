"""Mouth-corner movement during held eye closures (core/closure.py, issue 27), on constructed landmark
tracks whose coupling is known: read per side in mm against the rest before each closure, the side
named, never listed as a smile, and carried to the summary, the trends and the report."""

import numpy as np
import pytest

from synkimeter.cli.summary import format_summary
from synkimeter.core.analysis import analyze_landmarks
from synkimeter.core.closure import closure_side
from synkimeter.core.expression_oral_ocular import add_expressions
from synkimeter.core.results import ClosureCoupling
from synkimeter_dev.simulate import SimBlink, simulate

HEAD = {"yaw_deg": 4, "pitch_deg": 3, "roll_deg": 3, "translate_px": 15, "period_s": 5.0}


def held_track(coupling_mm: float, side: str = "left", seed: int = 2, head_motion: dict | None = HEAD):
    """16 s of a real face mesh with three 2 s gentle eye closures; the `side`'s mouth corner pulled
    up and out by `coupling_mm` x the eye's closure; landmark jitter and a moving head."""
    return simulate(16.0, blinks=[SimBlink(a, close_s=0.15, hold_s=2.0, open_s=0.25) for a in (3.5, 8.0, 12.5)],
                    coupling_mm={side: coupling_mm}, jitter_px=0.3, seed=seed, head_motion=head_motion)


def measured(track):
    analysis = analyze_landmarks(track.timestamps_s, track.points)
    add_expressions(analysis, track.points)
    return analysis


@pytest.mark.parametrize(("coupling_mm", "side"), [(2.0, "left"), (4.0, "left"), (2.0, "right"), (1.0, "right")])
def test_the_pull_held_with_the_eyes_is_read_on_its_side(coupling_mm, side):
    result = measured(held_track(coupling_mm, side)).result
    other = "right" if side == "left" else "left"
    pulled, still = result.closure_ocular_oral.side(side), result.closure_ocular_oral.side(other)
    assert isinstance(pulled, ClosureCoupling) and isinstance(still, ClosureCoupling)
    assert abs(pulled.median_mm - coupling_mm) <= max(0.25, 0.2 * coupling_mm)
    assert pulled.ci95_mm[0] <= pulled.median_mm <= pulled.ci95_mm[1]
    assert pulled.n == 3 and still.n == 3
    assert still.median_mm < 0.25
    assert closure_side(result.closure_ocular_oral) == side
    # Each closure is listed with its movement and counted, not "not scored".
    assert [e.scored for e in result.eye_closures] == [True] * 3
    assert all(abs(e.mouth_mm[side] - coupling_mm) <= max(0.25, 0.2 * coupling_mm) for e in result.eye_closures)


def test_a_still_face_reads_near_zero_and_names_no_side():
    result = measured(held_track(0.0)).result
    for side in ("right", "left"):
        assert result.closure_ocular_oral.side(side).median_mm < 0.25
    assert closure_side(result.closure_ocular_oral) is None


def test_the_document_holds_the_figure_in_the_agreed_shape():
    doc = measured(held_track(3.0)).summary
    figure = doc["closure_ocular_oral"]
    assert set(figure) == {"right", "left"}
    assert set(figure["left"]) == {"median_mm", "ci95_mm", "n"}
    assert isinstance(figure["left"]["ci95_mm"], list) and len(figure["left"]["ci95_mm"]) == 2
    assert figure["left"]["n"] == 3
    # A clip without held closures measures none: null per side.
    plain = simulate(10.0, blinks=[SimBlink(a) for a in (2.0, 5.0, 8.0)], jitter_px=0.3, seed=1)
    assert analyze_landmarks(plain.timestamps_s, plain.points).summary["closure_ocular_oral"] == {
        "right": None, "left": None}


def test_a_pull_held_with_the_eyes_is_no_smile_and_narrows_no_eye():
    """The issue's complaint: a 4 mm pull during held closures was listed as 'smile, left side only'
    with 79-82 % 'eye narrowing' of the eyes closed on purpose."""
    analysis = measured(held_track(4.0))
    doc = analysis.summary
    assert not [e for e in doc["expressions"] if e["kind"] in ("smile", "pucker", "lips_to_side")]
    assert not doc["oral_ocular"]["segments"]
    assert [e["kind"] for e in doc["expressions"]].count("eye_closure") == 3


def test_an_eye_narrowed_by_a_smile_is_not_a_held_closure():
    """A smile that narrows the eye for seconds is oral-ocular (measured as narrowing), not a closure
    whose mouth movement would read as ocular-oral synkinesis."""
    from test_expressions import _track

    t, pts = _track([("smile", 3.0, 5.0, "right")])
    analysis = analyze_landmarks(t, pts)
    add_expressions(analysis, pts)
    assert analysis.result.closure_ocular_oral.right is None and analysis.result.closure_ocular_oral.left is None
    assert [s.side for s in analysis.expressions.of_kind("smile")] == ["right"]


def test_the_summary_prints_the_closure_block_beside_the_blinks():
    text = format_summary(measured(held_track(3.0, "right")).result)
    block = text.split("during held eye closures")[1].split("Expressions found")[0]
    assert "3.0" in block.split("median of closures")[1].split("\n")[0]
    assert "closures measured" in block and "The right mouth corner moves more" in block
    assert text.index("during blinks") < text.index("during held eye closures")


def test_the_closure_block_lines_up_with_the_blink_block_and_says_why_nothing_was_measured():
    """Issue 27's analyze read as a therapist: the two per-side tables share their columns, and a held
    closure that could not be measured (the mouth already moving before it) says so instead of a bare 0."""
    import dataclasses

    from synkimeter.core.results import ClosureOcularOral

    result = measured(held_track(3.0, "right")).result
    text = format_summary(result)
    headers = [line for line in text.splitlines() if line.rstrip().endswith("right side        left side")]
    assert len(headers) == 2 and headers[0] == headers[1]
    reason = "the mouth was not at rest before the blink (a smile, pucker or open mouth held)"
    closures = [dataclasses.replace(c, reason=reason) for c in result.eye_closures]
    unmeasured = dataclasses.replace(result, closure_ocular_oral=ClosureOcularOral(), eye_closures=closures)
    block = format_summary(unmeasured).split("during held eye closures")[1].split("Expressions found")[0]
    first = closures[0]
    assert f"The closure at {first.onset_s:.1f}-{first.offset_s:.1f} s was not measured: {reason}." in block
    assert block.count("was not measured") == len(closures) == 3
    assert "was not measured" not in text  # measured closures carry no such line


def _held_patient(tmp_path):
    """A patient whose left mouth corner moves 4 mm in held closures at baseline and 1 mm later: the
    trends and the report's HTML."""
    from synkimeter.report import report_html
    from synkimeter.store import Store
    from synkimeter.usecases.saving import save_clip
    from synkimeter.usecases.trends import patient_trends

    with Store(tmp_path / "data") as store:
        patient = store.add_patient("PX-HELD")
        for date, kind, mm in (("2026-01-05", "baseline", 4.0), ("2026-03-05", "follow-up", 1.0)):
            session = store.start_session(patient, kind, started_at=f"{date}T09:00:00")
            save_clip(store, store.begin_clip(session, "gentle_closure"), analysis=measured(held_track(mm)))
            if kind == "follow-up":  # a later clip of another task: the gentle closure's figure is the session's
                save_clip(store, store.begin_clip(session, "forceful_blink"), analysis=measured(held_track(3.0)))
            store.finish_session(session)
        return patient_trends(store, patient), report_html(store, patient)


@pytest.fixture(scope="module")
def held_patient(tmp_path_factory):
    pytest.importorskip("PySide6")
    mp = pytest.MonkeyPatch()
    mp.setenv("QT_QPA_PLATFORM", "offscreen")
    yield _held_patient(tmp_path_factory.mktemp("held"))
    mp.undo()


def test_trends_and_report_carry_the_closure_figure(held_patient):
    trends, text = held_patient
    left = trends.get("closure_ocular_oral", "left")
    assert [round(p.value) for p in left.points] == [4, 1] and [p.n for p in left.points] == [3, 3]
    change = next(c for c in trends.changes if c.metric.key == "closure_ocular_oral" and c.side == "left")
    assert change.verdict == "improved"
    right = next(c for c in trends.changes if c.metric.key == "closure_ocular_oral" and c.side == "right")
    assert right.verdict == "healthy at both visits"
    assert "Mouth corner in held eye closures" in text
    assert np.any([f"L: {v:.2f} mm" in text for v in np.round([p.value for p in left.points], 2)])


def test_the_closure_change_is_compared_beside_the_blinks_and_says_it_has_no_floor(held_patient):
    """The report's baseline-against-latest table and page one's summary, and the window's table for the
    therapist, show the held closures' change with its intervals; no between-session floor is measured
    for it, so its verdict rests on the intervals and says so (issue 27)."""
    from synkimeter.report.markup import esc
    from synkimeter.usecases.trends import NO_FLOOR

    trends, text = held_patient
    change = next(c for c in trends.changes if c.metric.key == "closure_ocular_oral" and c.side == "left")
    assert not change.has_floor and change.threshold == pytest.approx(change.noise_95)
    compared = text.split("Baseline compared with the latest session")[1].split("<h2>")[0]
    assert "held eye closures" in compared and esc(NO_FLOOR[1:]) in compared
    row = compared.split("held eye closures")[1].split("</table>")[0]
    assert "*</span>" in row  # its 'needs' marked: the note under the table says there is no floor
    assert f"{change.baseline.value:.2f} mm (" in row and f"{change.latest.value:.2f} mm (" in row
    sessions = text.split("<h2>Sessions</h2>")[1].split("</table>")[0]
    assert sessions.count("no smile or pucker recorded") == 2  # the ocular score's '-' says why, in words
    summary = text.split("<h2>Summary</h2>")[1].split("<h2>")[0]
    assert "held eye closures on the left side" in summary
    assert "beyond the recordings' intervals" in summary and "no between-session floor" in summary
    from synkimeter.gui.trends import PLOTS, TrendsView

    assert [key for key, *_ in PLOTS][:2] == ["ocular_oral_average_peak", "closure_ocular_oral"]
    table = TrendsView._table(trends)
    assert "held eye closures" in table and NO_FLOOR in table.split("held eye closures")[1]
