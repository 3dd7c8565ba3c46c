"""Known coupling on two real faces at 24 and 30 frames/s (synkimeter_dev.synth.faces): the headline
(blink-averaged) pull the tool attributes to the coupling is within max(0.25 mm, 20 %) of the pull
imposed, for 0.5-4 mm, narrow and broad, in clips written as MPEG-4 Part 2 (the pip OpenCV's encoder)
and as H.264 (x264 at its default rate factor, through PyAV); each face's control is graded "none"; a
still stretch whose blinks come in close pairs has at least 5 of its 6 blinks scored.

Faces: the man of tests/test_realface.py (expressions_glasses_man.mp4, 0.2-2.0 s) and a second face,
still_woman_synthetic.mp4 (1.6-4.4 s: two short blinks 0.9 s apart, iris 16 px), each played back
and forth three times with blinks as short as the source's own. Each clip is generated and its
landmarks extracted once for the module (51 clips, 5-6 minutes on two idle cores).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from synkimeter_dev.synth.faces import COUPLINGS_MM, FIELDS, Clips, added_average_mm, imposed_peak_mm

pytestmark = [pytest.mark.realclips, pytest.mark.slow]

FACES = ("man", "woman")
FPS = (24.0, 30.0)
ENCODES = ("as recorded", "H.264")
CYCLES = 3
# A narrow pull (the corner and lip edge only, a Gaussian of 5 mm) on the small second face (mouth
# 58 px: 2 mm is 2.7 px) is not read within 20 % from its compressed clips (docs/validation.md, "A
# narrow pull on the small face", "How small a face", "A small window for a small face" and "What a
# compressed small face holds"): the truth holds (tests/test_realface_warp.py), but the encode keeps
# ~70 % of the pull in the corner's own pixels and 0.90-0.93 in the lips around it (decoded frame to
# decoded frame), and a tracker that does not know the pull's shape reads 0.74-0.78 of it: the
# headline reads 53-80 % from MPEG-4 and 62-74 % from H.264. On its lossless frames it reads 81-100 %
# (test below). The man's face made as small (mouth 59 and 73 px) reads within 20 % from MPEG-4 too.
# The tool says so on such a face (tests below): it is under `min_mouth_detail_px`, and the set-up
# check asks the patient closer.
NOT_IN_THE_LANDMARKS = {("woman", "narrow")}


@pytest.fixture(scope="module")
def clips(realclips_dir, tmp_path_factory):
    # SYNKIMETER_FACES_CACHE keeps the extracted landmarks between runs (a measurement change is then
    # re-tested in seconds); by default they are made afresh.
    cache = os.environ.get("SYNKIMETER_FACES_CACHE")
    return Clips(realclips_dir, Path(cache) if cache else tmp_path_factory.mktemp("two_faces"))


@pytest.fixture(scope="module")
def controls(clips):
    return {(face, fps): clips.measured(face, fps, 0.0, "narrow", cycles=CYCLES)[0] for face in FACES for fps in FPS}


def _encode(encode: str) -> str:
    if encode == "H.264":
        pytest.importorskip("av", reason="H.264 clips are written through PyAV (a test dependency)")
    return encode


@pytest.mark.parametrize("encode", ENCODES)
@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("face", FACES)
@pytest.mark.parametrize("kind", FIELDS)
def test_the_headline_reads_the_imposed_pull_on_both_faces(clips, controls, face, fps, kind, encode):
    if (face, kind) in NOT_IN_THE_LANDMARKS:
        pytest.xfail("a narrow pull on the small second face (mouth 58 px, under min_mouth_detail_px, warned "
                     "about): the encode blurs its corner, and the headline reads 53-80 % from MPEG-4 and 62-74 % from "
                     "H.264 (test below)")
    control, _ = clips.measured(face, fps, 0.0, "narrow", _encode(encode), cycles=CYCLES)
    assert control.summary["ocular_oral"]["severity"] == "none"
    for coupling_mm in COUPLINGS_MM:
        coupled, truth = clips.measured(face, fps, coupling_mm, kind, encode, cycles=CYCLES)
        imposed = imposed_peak_mm(truth)
        added = added_average_mm(coupled, control)
        assert abs(added - imposed) <= max(0.25, 0.2 * imposed), (face, fps, kind, coupling_mm, imposed, added)
        # The other corner gains little from a pull on this one (0.27 mm from 4 mm broad on the small face).
        # Two H.264 encodes differ all over the picture (x264's rate control spreads a change in one
        # place over every block's quantiser), so there the other corner's difference carries 0.15-0.27
        # mm of the encodes' own noise on the man at 30 frames/s, as much at 0.5 mm as at 4 mm: noise, not
        # the pull spreading (which would grow with it).
        floor_mm = 0.25 if encode == "as recorded" else 0.3
        assert added_average_mm(coupled, control, "left") < max(floor_mm, 0.1 * imposed)
        oo = coupled.summary["ocular_oral"]
        assert oo["right"]["n"] >= 3
        if coupling_mm >= 2.0:
            assert oo["affected_side"] == "right" and oo["severity"] in ("moderate", "severe")


@pytest.mark.parametrize("fps", FPS)
def test_a_narrow_pull_on_the_small_face_is_read_from_camera_frames(clips, fps):
    """The second face's frames as a camera gives them to the live view and a guided recording (no
    video encode): there the corner's own detail holds the pull, and the small-face refinement of the
    flow (a 5 px window) and the blink average's cubic reading between frames read a narrow pull within
    max(0.25 mm, 20 %); before, the 9 px window and straight lines between frames read 71-82 %
    (docs/validation.md, "A small window for a small face" and "Reading a short blink between its frames")."""
    control, _ = clips.measured("woman", fps, 0.0, "narrow", "uncompressed", cycles=CYCLES)
    assert control.summary["ocular_oral"]["severity"] == "none"
    for coupling_mm in COUPLINGS_MM:
        coupled, truth = clips.measured("woman", fps, coupling_mm, "narrow", "uncompressed", cycles=CYCLES)
        imposed = imposed_peak_mm(truth)
        added = added_average_mm(coupled, control)
        assert abs(added - imposed) <= max(0.25, 0.2 * imposed), (fps, coupling_mm, imposed, added)


@pytest.mark.parametrize("encode", ENCODES)
@pytest.mark.parametrize("fps", FPS)
def test_the_small_face_warning_says_how_low_a_compressed_corner_reads(clips, fps, encode):
    """What the small-face warning tells a user of a compressed file of the second face (mouth 58 px)
    holds: a pull on the corner alone reads "as little as half its size" (53-80 % from MPEG-4, 62-74 %
    from H.264), not less and not more than a fifth over; a pull that moves the cheek "within a fifth"
    (the test above); and the warning is there."""
    control, _ = clips.measured("woman", fps, 0.0, "narrow", _encode(encode), cycles=CYCLES)
    assert [w for w in control.summary["warnings"] if "read as little as half its size" in w]
    for coupling_mm in COUPLINGS_MM:
        coupled, truth = clips.measured("woman", fps, coupling_mm, "narrow", encode, cycles=CYCLES)
        imposed = imposed_peak_mm(truth)
        added = added_average_mm(coupled, control)
        assert 0.5 * imposed <= added <= max(imposed + 0.25, 1.2 * imposed), (fps, encode, coupling_mm, imposed, added)


@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("face", FACES)
def test_each_face_uncoupled_is_graded_none(controls, face, fps):
    oo = controls[(face, fps)].summary["ocular_oral"]
    assert oo["severity"] == "none" and oo["affected_side"] is None, (oo["right"], oo["left"])
    assert oo["right"]["n"] >= 3


def test_blinks_in_close_pairs_on_a_still_face_are_scored(clips):
    """The second face's two blinks 0.9 s apart, played three times with no time added between them:
    three close pairs. Before, every blink of a pair was "too close to another blink" (0 of 6 scored)."""
    coupled, _ = clips.measured("woman", 30.0, 2.0, "broad", min_gap_s=0.0, cycles=CYCLES)
    blinks = coupled.summary["blinks"]
    apexes = sorted(b["apex_s"] for b in blinks)
    assert len(blinks) == 6 and min(b - a for a, b in zip(apexes, apexes[1:])) < 1.0
    assert sum(b["scored"] for b in blinks) >= 5, [(b["apex_s"], b["reason"]) for b in blinks]
    assert coupled.summary["ocular_oral"]["affected_side"] == "right"


@pytest.mark.parametrize("face", FACES)
def test_a_face_too_small_to_show_its_corner_is_measured_with_a_warning(controls, face):
    """The second face's mouth (58 px) is under `min_mouth_detail_px`: its results say that a pull on the
    corner alone may read low there, and how to avoid it; the man's (91 px) carry no such warning."""
    warned = [w for w in controls[(face, 30.0)].summary["warnings"] if "small in the picture" in w]
    if face == "woman":
        assert len(warned) == 1 and "closer" in warned[0]
        shown = re.search(r"the mouth is (\d+) pixels wide", warned[0])
        assert shown and 55 <= int(shown.group(1)) <= 60
    else:
        assert warned == []
