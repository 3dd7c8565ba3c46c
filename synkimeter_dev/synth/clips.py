"""The clips in sample_videos/ (seeded, so regenerating gives the same truth)."""

from __future__ import annotations

from synkimeter_dev.synth.spec import ClipSpec

NONE = {"right": 0.0, "left": 0.0}

SAMPLE_CLIPS: tuple[ClipSpec, ...] = (
    ClipSpec(
        "healthy", seed=101, coupling_mm=NONE,
        description="Complete blinks of both eyes, no ocular-oral coupling: the mouth never moves.",
    ),
    ClipSpec(
        "right_1mm", seed=102, coupling_mm={"right": 1.0, "left": 0.0},
        description="Complete blinks; the right commissure (landmark 61) is pulled 1 mm up and "
        "outward in proportion to the right eye's closure (mild/moderate border).",
    ),
    ClipSpec(
        "right_3mm", seed=103, coupling_mm={"right": 3.0, "left": 0.0},
        description="Complete blinks; right commissure pulled 3 mm up and outward with the right "
        "eye's closure (severe).",
    ),
    ClipSpec(
        "left_2mm", seed=104, coupling_mm={"right": 0.0, "left": 2.0},
        description="Complete blinks; left commissure (landmark 291) pulled 2 mm up and outward with "
        "the left eye's closure.",
    ),
    ClipSpec(
        "partial_blinks", seed=105, coupling_mm={"right": 2.0, "left": 0.0}, partial_fraction=0.5,
        description="Half the blinks partial (depth 0.4-0.6), half complete; right commissure "
        "pulled 2 mm x right-eye closure, so partial blinks pull it less.",
    ),
    ClipSpec(
        "winks", seed=106, coupling_mm={"right": 2.0, "left": 0.0}, right_winks=4, left_winks=3,
        description="One-sided blinks: right-eye-only and left-eye-only winks mixed with both-eye "
        "blinks; right commissure pulled 2 mm x right-eye closure, so left winks move no mouth.",
    ),
    ClipSpec(
        "head_motion", seed=107, coupling_mm=NONE, duration_s=20.0,
        head_motion={"roll_deg": 3.0, "translate_px": 20.0, "scale": 0.03, "period_s": 7.0},
        description="Complete blinks with no coupling while the whole head moves slowly (roll "
        "+-3 deg, translation +-20 px horizontally and +-12 px vertically, scale +-3 %): head "
        "motion alone must not look like coupling.",
    ),
    ClipSpec(
        "face_lost", seed=108, coupling_mm={"right": 2.0, "left": 0.0},
        face_absent=((10.0, 11.5),),
        description="Right commissure pulled 2 mm x right-eye closure; from 10.0 to 11.5 s a flat "
        "grey occluder covers the face (no face to find), then the face returns.",
    ),
)
