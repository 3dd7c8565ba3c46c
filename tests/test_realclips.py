"""Real healthy faces (../shared/realclips, MIT-licensed, not part of the project): blink counts
that match what a person sees in the clips, and no synkinesis where there is none to find."""

import pytest

from synkimeter.pipeline import analyze_clip

pytestmark = pytest.mark.realclips


@pytest.fixture(scope="module")
def analysed(realclips_dir):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = analyze_clip(realclips_dir / f"{name}.mp4").summary
        return cache[name]

    return get


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


@pytest.mark.parametrize("name", ["expressions_glasses_man", "talking_glasses_man"])
def test_glasses_do_not_hide_the_face_or_the_blinks(analysed, name):
    s = analysed(name)
    assert s["frames"] > 0 and s["face_frames"] / s["frames"] > 0.95
    assert len(s["blinks"]) >= 3  # both clips show at least five clear blinks behind the lenses
