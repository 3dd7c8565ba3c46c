"""Synthetic sample clips with known ground truth (GitHub issue 3).

The generator animates scikit-image's public-domain astronaut photo (an optional extra:
``pip install 'synkimeter[samples]'``) with smooth backward-mapped warps: blinks (complete, partial,
one-sided), an ocular-oral coupling that pulls a mouth corner up and outward in proportion to the
same side's eye closure, slow rigid head motion, and stretches with no face. Each NAME.mp4 gets a
NAME.truth.json. Regenerate the repository's clips with ``python -m synkimeter_dev.synth sample_videos/``.

scikit-image is imported only when a photo is actually needed.
"""

from synkimeter_dev.synth.spec import ClipSpec, blink_closure, head_pose

__all__ = ["ClipSpec", "blink_closure", "head_pose", "SAMPLE_CLIPS", "write_clip"]


def __getattr__(name: str):
    if name == "SAMPLE_CLIPS":
        from synkimeter_dev.synth.clips import SAMPLE_CLIPS

        return SAMPLE_CLIPS
    if name == "write_clip":
        from synkimeter_dev.synth.generate import write_clip

        return write_clip
    raise AttributeError(name)
