"""Real healthy faces (../shared/realclips, MIT-licensed, not part of the project): blink counts
that match what a person sees in the clips, and no synkinesis where there is none to find."""

import numpy as np
import pytest

from synkimeter.usecases.analyze import analyze_clip
from synkimeter.usecases.live import LiveEngine
from synkimeter.usecases.saving import import_video

pytestmark = pytest.mark.realclips


@pytest.fixture(scope="module")
def clip_named(realclips_dir):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = analyze_clip(realclips_dir / f"{name}.mp4")
        return cache[name]

    return get


@pytest.fixture(scope="module")
def analysed(clip_named):
    return lambda name: clip_named(name).summary


def test_talking_man_four_clear_blinks(analysed):
    s = analysed("talking_glasses_man")
    assert s["face_frames"] / s["frames"] > 0.95
    # Seen in the clip: four clear blinks of both eyes, at about 1.4, 2.7, 3.5 and 10.5 s.
    clear = sorted(b["apex_s"] for b in s["blinks"] if b["eye"] == "both" and b["complete"])
    assert len(clear) == 4
    assert all(abs(got - seen) < 0.2 for got, seen in zip(clear, (1.4, 2.7, 3.5, 10.5)))
    assert s["ocular_oral"]["severity"] in ("none", "undetermined")


def test_expressive_man_has_ten_or_more_eye_closures(analysed):
    s = analysed("expressions_glasses_man")
    assert len(s["blinks"]) + len(s["eye_closures"]) >= 10
    assert s["ocular_oral"]["severity"] in ("none", "undetermined")


def test_fluttering_woman_clip_gives_both_eye_events(analysed):
    s = analysed("alternating_winks_woman")
    # Frames 80-210 show both eyes closing, held closed with the lids fluttering frame by frame;
    # looked at frame by frame, no eye stays open while the other closes, so no event is one-sided.
    assert s["eye_closures"] and s["eye_closures"][0]["duration_s"] > 3
    assert s["blink_counts"]["right_only"] + s["blink_counts"]["left_only"] <= 2


@pytest.mark.parametrize("name", ["talking_glasses_man", "expressions_glasses_man", "short_talking_smile"])
def test_a_healthy_face_blinks_both_eyes_offline_and_live(clip_named, name):
    """Healthy people blink both eyes together. These clips' one-eyed "blinks" (1 of 5, 1 of 5 and 2 of
    3 before) were shallow closures of one eye (0.18-0.23, the lid following the gaze or a squint while
    talking), and the live view, replaying the same landmarks, counted them too (5 right / 4 left)."""
    clip = clip_named(name)
    counts = clip.summary["blink_counts"]
    assert counts["right_only"] + counts["left_only"] == 0, counts
    engine = LiveEngine()
    points = np.asarray(clip.series.points)
    for i, t in enumerate(clip.series.timestamps_s):
        engine.push(t, points[i])
        if i % 5 == 4:
            engine.update()
    snap = engine.update()
    assert [b.eye for b in engine.blinks if not b.voluntary] == ["both"] * snap.blink_count["right"]
    assert snap.blink_count["right"] == snap.blink_count["left"]


@pytest.mark.parametrize("name", ["expressions_glasses_man", "talking_glasses_man"])
def test_glasses_do_not_hide_the_face_or_the_blinks(analysed, name):
    s = analysed(name)
    assert s["frames"] > 0 and s["face_frames"] / s["frames"] > 0.95
    assert len(s["blinks"]) >= 3  # both clips show at least five clear blinks behind the lenses


# Expressions marked by looking at the clips frame by frame (frame / fps): (kind, side, start, end).
# The README's marks for posed_expressions_man are about frames 15-40, 70-95 and 120-150; frame by
# frame the lips start to move at 14, 62 and 114 and are back at rest by 42, 97 and 155.
SEEN = {
    "posed_expressions_man": [("pucker", "both", 14 / 30, 42 / 30), ("mouth_open", None, 62 / 30, 97 / 30),
                              ("smile", "both", 114 / 30, 155 / 30)],
    "short_talking_smile": [("smile", "both", 18 / 25, 66 / 25)],
    # Lips pushed to the subject's right (the image's left), then left, then right again; a broad
    # smile. (The right corner's smile at frames 526-547 begins while the eyes are shut, frames
    # 519-535: a mouth movement that starts in a held closure and ends with it is that closure's own,
    # issue 27, see test_a_smile_begun_with_the_eyes_shut_is_the_closures_own.)
    "expressions_glasses_man": [("pucker", "both", 106 / 30, 141 / 30), ("lips_to_side", "right", 143 / 30, 157 / 30),
                                ("lips_to_side", "left", 160 / 30, 172 / 30), ("lips_to_side", "right", 174 / 30, 184 / 30),
                                ("smile", "both", 292 / 30, 449 / 30)],
}


def test_a_smile_begun_with_the_eyes_shut_is_the_closures_own(analysed):
    s = analysed("expressions_glasses_man")
    (closure,) = [e for e in s["eye_closures"] if abs(e["onset_s"] - 17.3) < 0.3]
    assert not [e for e in s["expressions"] if e["kind"] == "smile" and closure["onset_s"] - 0.3 <= e["start_s"]
                and e["end_s"] <= closure["offset_s"] + 0.6]


@pytest.mark.parametrize("name", sorted(SEEN))
def test_expressions_are_found_where_a_person_sees_them(analysed, name):
    found = analysed(name)["expressions"]
    for kind, side, start, end in SEEN[name]:
        match = [e for e in found if e["kind"] == kind and e["side"] == side
                 and abs(e["start_s"] - start) < 0.3 and abs(e["end_s"] - end) < 0.3]
        assert match, (kind, side, start, end, [e for e in found if e["kind"] == kind])


def test_posed_clip_holds_no_smile_in_its_pucker_or_open_mouth(analysed):
    s = analysed("posed_expressions_man")
    assert not [e for e in s["expressions"] if e["kind"] == "smile" and e["side"] == "both"
                and e["start_s"] < 97 / 30 and e["end_s"] > 14 / 30]
    # Healthy eyes: a few percent in a pucker, ~10-20 % in a big smile, on both sides.
    narrowing = s["oral_ocular"]["narrowing"]
    assert all(abs(narrowing["pucker"][side]["pct"]) < 8 for side in ("right", "left"))
    assert all(5 < narrowing["smile"][side]["pct"] < 30 for side in ("right", "left"))
    assert s["oral_ocular"]["ocular_synkinesis"]["score"] > 90


def test_one_sided_smile_reports_the_same_sides_eye(analysed):
    # (The right corner's smile at 17.5-18.2 s begun with the eyes shut is its closure's own since
    # issue 27; the one-sided movements left are the left corner's.)
    s = analysed("expressions_glasses_man")
    rows = [r for r in s["oral_ocular"]["segments"] if r["kind"] == "smile" and r["side"] in ("right", "left")]
    assert rows
    for row in rows:
        own = row["narrowing"][row["side"]]
        assert own["pct"] is not None and own["ci95_pct"][0] is not None


def test_an_imported_free_clip_keeps_its_expressions_and_ocular_score(realclips_dir, tmp_path):
    from synkimeter.store import Store

    with Store(tmp_path / "store") as store:
        result = import_video(store, realclips_dir / "short_talking_smile.mp4", "RC-1", date="2025-01-01")
        assert [e["kind"] for e in result.summary["expressions"] if e["kind"] != "rest"] == ["smile"]
        session = store.session(result.session.id)
        # the session's score comes from the smile found in the clip: a healthy face
        assert session.ocular_score == pytest.approx(result.summary["oral_ocular"]["ocular_synkinesis"]["score"])
        assert session.ocular_score > 90
        from synkimeter.report.document import build_report

        html, _ = build_report(store, result.patient)
        assert "Expressions found in imported recordings" in html and "smile, both sides" in html


def test_the_task_check_sees_the_posed_pucker_and_smile(analysed):
    from synkimeter.core.task_check import check_task

    found = analysed("posed_expressions_man")["expressions"]
    assert check_task("pucker", found, 1).happened and check_task("smile", found, 1).happened
    # the talking man never holds his eyes closed for a count of three
    assert not check_task("gentle_closure", analysed("talking_glasses_man")["expressions"], 3).happened
    # the posed man never raises his brows or snarls: his grin lifts the upper lip 9 mm, but his corners
    # further, and his pout pushes it up with the mouth narrowed
    assert not check_task("brow_lift", found, 3).happened and not check_task("snarl", found, 3).happened
    for name in ("short_talking_smile", "talking_glasses_man"):  # smiles, talking, lips pressed together
        assert not check_task("snarl", analysed(name)["expressions"], 3).happened


@pytest.mark.parametrize("name", ["talking_glasses_man", "expressions_glasses_man", "alternating_winks_woman",
                                  "posed_expressions_man", "short_talking_smile"])
def test_aligned_mouth_corners_never_run_away(realclips_dir, name):
    """Smiles, grimaces, long closures and head turns: head-motion removal must not turn them into
    tens of millimetres (a maximal smile moves a corner 10-15 mm). Frames past the plausibility
    bound are left out of the traces and counted, never shown as movement."""
    from synkimeter.usecases.settings import DEFAULT_SETTINGS

    result = analyze_clip(realclips_dir / f"{name}.mp4")
    traces = result.analysis.traces
    for side in ("right", "left"):
        d = np.hypot(traces.up_mm[side], traces.out_mm[side])
        assert np.nanmax(d) <= DEFAULT_SETTINGS.max_commissure_excursion_mm + 1.0
        up, out = traces.up_mm[side], traces.out_mm[side]
        assert np.nanmax(np.hypot(up - np.nanmedian(up), out - np.nanmedian(out))) < 25.0
    assert result.summary["implausible_frames"] == int(np.sum(traces.implausible))
    # Most of every clip is measured: the bound catches failures, not expressions.
    assert np.sum(traces.implausible) < 0.05 * len(traces.implausible)


def test_healthy_real_faces_grade_0_and_what_they_do_not_do_is_not_graded(analysed, tmp_path):
    """The posed man's pucker and grin, the laughing man's smile: healthy eyes, Sunnybrook grade 0 each;
    his clip holds no brow lift or snarl, so those are not seen (no grade, no sum)."""
    from synkimeter.store import Store
    from synkimeter.usecases.grades import session_grades
    from synkimeter.usecases.saving import save_clip

    with Store(tmp_path / "store") as store:
        patient = store.add_patient("RC-G")
        session = store.start_session(patient, "follow-up", protocol="import")
        for task, name in (("brow_lift", "posed_expressions_man"), ("smile", "posed_expressions_man"),
                           ("snarl", "posed_expressions_man"), ("pucker", "posed_expressions_man")):
            save_clip(store, store.begin_clip(session, task), summary=analysed(name))
        g = session_grades(store, session.id)
        assert g.movement("smile").grade == 0 and g.movement("pucker").grade == 0, g
        assert g.movement("brow_lift").status == "not seen" and g.movement("snarl").status == "not seen"
        assert g.movement("gentle_closure").status == "not seen" and g.sunnybrook_sum is None
        assert g.eface["ocular"] > 90
        laughing = store.start_session(patient, "follow-up", protocol="import")
        save_clip(store, store.begin_clip(laughing, "smile"), summary=analysed("expressions_glasses_man"))
        # both eyes narrow ~60 % in his laugh: alike, so no synkinesis
        smile = session_grades(store, laughing.id).movement("smile")
        assert smile.grade == 0 and abs(smile.value) < 5
