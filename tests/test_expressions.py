"""Expressions found in a free clip, and each eye's narrowing in them, on landmark tracks whose
expressions are known (a real face mesh moved as a smile, a pucker, an open mouth would move it)."""

import numpy as np
import pytest

from synkimeter.core.analysis import analyze_landmarks
from synkimeter.core.anatomy import COMMISSURE, IRIS_CENTRE, LOWER_LID, MEASURED, UPPER_LID
from synkimeter.core.expression_oral_ocular import add_expressions, clip_expressions
from synkimeter.core.expressions import find_expressions, talking_frames
from synkimeter.usecases.expression_text import format_expressions
from synkimeter_dev.simulate import base_face, base_mm_per_px, simulate

FPS = 30.0


def _ramp(t, start, end, rise=0.15):
    """0 -> 1 -> 0 with half-cosine ramps of `rise` s, holding 1 from start + rise to end - rise."""
    up = np.clip((t - start) / rise, 0, 1)
    down = np.clip((end - t) / rise, 0, 1)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(up, down))


def _track(moves, duration_s=12.0, jitter_px=0.3, seed=0):
    """A still face with expressions: `moves` = [(kind, start_s, end_s, side), ...]. A smile moves
    the side's corner 6 mm up and out and narrows that eye by 30 %; a pucker brings both corners
    inwards by 20 % of the mouth's width; an open mouth drops the lower lip 15 mm. Sides are the
    subject's."""
    face = base_face().astype(np.float64)
    face[14, :2] = face[13, :2] + [0.0, 1.0]  # the photo smiles with parted lips: close them for a rest
    k = base_mm_per_px(face)
    t = np.arange(int(duration_s * FPS)) / FPS
    pts = np.broadcast_to(face, (t.size, *face.shape)).copy()
    across = face[IRIS_CENTRE["left"], :2] - face[IRIS_CENTRE["right"], :2]
    across /= np.linalg.norm(across)
    up = np.array([across[1], -across[0]])
    width = np.linalg.norm(face[COMMISSURE["left"], :2] - face[COMMISSURE["right"], :2])
    for kind, start, end, side in moves:
        w = _ramp(t, start, end)[:, None]
        sides = ("right", "left") if side == "both" else (side,)
        for s in sides:
            out = across if s == "left" else -across
            if kind == "smile":
                pts[:, COMMISSURE[s], :2] += w * (6.0 / k) * (up + out) / np.sqrt(2)
                upper, lower = np.array(UPPER_LID[s]), np.array(LOWER_LID[s])
                pts[:, upper] += w[:, :, None] * 0.3 * (face[lower] - face[upper])[None]
            elif kind == "pucker":
                pts[:, COMMISSURE[s], :2] -= w * 0.1 * width * out
        if kind == "open":
            # The jaw takes the lower lip down; the corners, between the lips, go half as far and a
            # little inwards (as measured on the real posed clip).
            pts[:, [14, 17], :2] += w[:, :, None] * (-up) * 15.0 / k
            for s in ("right", "left"):
                out = across if s == "left" else -across
                pts[:, COMMISSURE[s], :2] += w * (-up * 7.5 - out * 2.0) / k
    rng = np.random.default_rng(seed)
    pts += rng.normal(0, jitter_px, pts.shape)
    return t, pts.astype(np.float32)


def _analyse(t, pts):
    analysis = analyze_landmarks(t, pts)
    add_expressions(analysis, pts)
    return analysis


def _only(analysis, kind):
    return [s for s in analysis.expressions.segments if s.kind == kind]


def _moving_head(t, pts):
    """The same track with the head turning, nodding and tilting by a few degrees and moving 20 px."""
    from synkimeter_dev.simulate import _rotation

    phase = 2 * np.pi * t / 4.0
    rot = _rotation(np.radians(6) * np.sin(phase), np.radians(4) * np.sin(0.7 * phase + 1), np.radians(3) * np.sin(1.3 * phase))
    centre = np.nanmean(pts[0], axis=0)
    shift = 20 * np.stack([np.sin(0.9 * phase), np.cos(1.1 * phase), 0 * phase], -1)
    return (np.einsum("tij,tnj->tni", rot, pts - centre) + centre + shift[:, None, :]).astype(np.float32)


@pytest.mark.parametrize("head_moves", [False, True])
def test_a_one_sided_smile_is_found_on_its_side_with_that_eyes_narrowing(head_moves):
    t, pts = _track([("smile", 3.0, 5.0, "right")])
    if head_moves:
        pts = _moving_head(t, pts)
    a = _analyse(t, pts)
    smiles = _only(a, "smile")
    assert len(smiles) == 1 and smiles[0].side == "right"
    assert abs(smiles[0].start_s - 3.0) < 0.15 and abs(smiles[0].end_s - 5.0) < 0.15
    assert smiles[0].size_mm == pytest.approx(6.0, abs=0.6)
    row = a.summary["oral_ocular"]["segments"][0]
    assert row["kind"] == "smile" and row["side"] == "right"
    right, left = row["narrowing"]["right"], row["narrowing"]["left"]
    assert right["pct"] == pytest.approx(30.0, abs=3.0) and right["ci95_pct"][0] < right["pct"] < right["ci95_pct"][1]
    assert abs(left["pct"]) < 2.0
    # a one-sided smile is not pooled into the two-sided smiles of the score
    assert "smile" not in a.summary["oral_ocular"]["narrowing"]


def test_the_left_side_is_the_subjects_left():
    t, pts = _track([("smile", 3.0, 5.0, "left")])
    (smile,) = _only(_analyse(t, pts), "smile")
    assert smile.side == "left"


def test_smile_pucker_and_open_mouth_in_one_clip_with_the_ocular_score():
    t, pts = _track([("smile", 2.0, 4.0, "both"), ("pucker", 6.0, 8.0, "both"), ("open", 9.5, 11.0, None)],
                    duration_s=12.5)
    a = _analyse(t, pts)
    mouth = [s for s in a.expressions.segments if s.kind not in ("rest", "eye_closure")]
    assert [(s.kind, s.side) for s in mouth] == [("smile", "both"), ("pucker", "both"), ("mouth_open", "")]
    for seg, (start, end) in zip(mouth,
                                 [(2.0, 4.0), (6.0, 8.0), (9.5, 11.0)]):
        assert abs(seg.start_s - start) < 0.2 and abs(seg.end_s - end) < 0.2, seg
    rests = _only(a, "rest")
    assert rests and rests[0].start_s == pytest.approx(0.0)
    oo = a.summary["oral_ocular"]
    assert oo["narrowing"]["smile"]["right"]["pct"] == pytest.approx(30.0, abs=3.0)
    assert abs(oo["narrowing"]["pucker"]["right"]["pct"]) < 2.0
    # both eyes narrow alike in the smile and neither in the pucker: no ocular synkinesis
    assert oo["ocular_synkinesis"]["score"] > 95
    text = "\n".join(format_expressions(a.result.expressions, a.result.oral_ocular))
    assert "pucker" in text and "smile, both sides" in text and "Ocular synkinesis score" in text


def test_a_still_face_with_blinks_has_no_expression_but_rest():
    track = simulate(duration_s=12.0, blinks=None, jitter_px=0.3)
    a = _analyse(track.timestamps_s, track.points)
    assert {s.kind for s in a.expressions.segments} == {"rest"}
    assert a.summary["oral_ocular"]["segments"] == []
    assert a.summary["oral_ocular"]["ocular_synkinesis"]["score"] is None


def test_talking_is_lips_opening_and_closing_again_and_again():
    t = np.arange(0, 6, 1 / FPS)
    gap = np.where((t > 1) & (t < 4), 4 + 3 * np.sin(2 * np.pi * 3 * t), 0.0)
    talking = talking_frames(t, gap)
    assert talking[(t > 1.2) & (t < 3.8)].all() and not talking[(t < 0.9) | (t > 4.1)].any()
    held = np.where((t > 1) & (t < 4), 20.0, 0.0)  # a mouth held open is not talking
    assert not talking_frames(t, held).any()


def test_frames_without_a_face_and_tiny_clips_do_not_break_it():
    t, pts = _track([("smile", 3.0, 5.0, "both")])
    pts[200:230] = np.nan
    a = _analyse(t, pts)
    assert [s.side for s in _only(a, "smile")] == ["both"]
    assert not any(s.start_s < 7.0 < s.end_s for s in a.expressions.segments)
    packed = MEASURED.take(pts)
    nothing = np.full_like(packed[:3], np.nan)
    found = find_expressions(t[:3], nothing, MEASURED, a.alignment.reference, a.mm_per_px)
    assert found.segments == []
    found = find_expressions(t[:0], packed[:0], MEASURED, a.alignment.reference, a.mm_per_px)
    assert found.segments == []
    with pytest.raises(ValueError):  # landmarks of another length than the analysis: said, not guessed
        clip_expressions(a, pts[:2])


def test_a_task_is_checked_with_the_expression_finders_own_definition():
    from synkimeter.core.task_check import NOT_SEEN, check_task

    t, pts = _track([("pucker", 3.0, 5.0, "both"), ("pucker", 7.0, 9.0, "both")])
    found = _analyse(t, pts).summary["expressions"]
    assert check_task("pucker", found, 3).words() == "2 of 3 seen"
    assert check_task("smile", found, 3).words() == NOT_SEEN
    assert check_task("rest", found, 1) is None


def test_any_track_the_core_measures_gets_its_expressions_or_a_value_error():
    """Whatever the core measures (real track cut short, points and times corrupted), the
    expressions come out as valid segments that JSON and the summary's words can hold."""
    hypothesis = pytest.importorskip("hypothesis")
    import json

    from test_fuzz_core import FUZZ, _quietly, landmark_tracks

    from synkimeter.core.results import jsonable

    @FUZZ
    @hypothesis.given(landmark_tracks())
    def check(track):
        t, pts = track
        analysis = _quietly(analyze_landmarks, t, pts)
        if isinstance(analysis, ValueError):
            return
        done = _quietly(add_expressions, analysis, pts)
        if isinstance(done, ValueError):
            return
        for s in analysis.expressions.segments:
            assert s.start_s <= s.end_s and s.side in ("", "both", "right", "left") and 0 <= s.confidence <= 1
        json.dumps(jsonable(analysis.summary), allow_nan=False)
        format_expressions(analysis.result.expressions, analysis.result.oral_ocular)

    check()


def test_ocular_oral_comes_from_blinks_at_rest_not_during_a_held_pucker():
    """Blinks while a pucker is held are left out of the ocular-oral score; the blinks at rest count."""
    from synkimeter.core.ocular_oral import REASON_NOT_AT_REST
    from synkimeter_dev.simulate import SimBlink

    t, pts = _track([("pucker", 2.0, 8.0, "both")], duration_s=16.0)
    blinks = simulate(16.0, blinks=[SimBlink(a) for a in (4.0, 6.0, 10.0, 12.0, 14.0)], jitter_px=0.0, seed=1)
    base = simulate(16.0, jitter_px=0.0, seed=1).points
    pts = pts + (blinks.points - base).astype(np.float32)  # the lids' movement of the blinks, added on
    a = analyze_landmarks(t, pts)
    during = [r for r, apex in zip(a.reasons, a.blinks.apex_s) if 2.5 < apex < 7.5]
    after = [r for r, apex in zip(a.reasons, a.blinks.apex_s) if apex > 9.0]
    assert during and all(r == REASON_NOT_AT_REST for r in during)
    assert after and all(r is None for r in after)


def test_held_eye_closures_are_told_gentle_or_forceful_by_the_brows():
    """A squeezed closure pulls the brows down (orbicularis oculi); a gentle one leaves them."""
    from synkimeter.core.anatomy import BROW
    from synkimeter_dev.simulate import SimBlink, base_mm_per_px

    track = simulate(14.0, blinks=[SimBlink(4.0, close_s=0.2, hold_s=1.8, open_s=0.3),
                                   SimBlink(10.0, close_s=0.2, hold_s=1.8, open_s=0.3)], jitter_px=0.2, seed=3)
    pts = track.points.copy()
    face = pts[0].astype(np.float64)
    across = face[IRIS_CENTRE["left"], :2] - face[IRIS_CENTRE["right"], :2]
    across /= np.linalg.norm(across)
    up = np.array([across[1], -across[0]])
    squeeze = ((track.timestamps_s > 9.0) & (track.timestamps_s < 11.0))[:, None]
    for side in ("right", "left"):
        pts[:, list(BROW[side]), :2] -= (squeeze * up * 5.0 / base_mm_per_px())[:, None, :].astype(np.float32)
    closures = _only(_analyse(track.timestamps_s, pts), "eye_closure")
    assert [c.strength for c in closures] == ["gentle", "forceful"]
    assert closures[1].size_mm == pytest.approx(5.0, abs=1.0)
