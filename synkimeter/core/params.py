"""The measurement's own parameters: what the core needs to turn landmarks into millimetres and
verdicts, and what is saved with every result (`measurement_dict`). Units are in the names.

Every default has one home: this class for the measurement, `landmarks.params.ExtractionParams`
for the face mesh and optical flow, `usecases.settings` for the live view, practice and protocol.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, TypeVar

Self = TypeVar("Self", bound="Overridable")


class Overridable:
    """The settings classes' one way to a variant: a copy with some fields changed (they are frozen)."""

    def with_overrides(self: Self, **overrides: Any) -> Self:
        return replace(self, **overrides)  # type: ignore[type-var]  # every subclass is a dataclass


@dataclass(frozen=True)
class MeasurementParams(Overridable):
    # --- scale -------------------------------------------------------------------------------
    # Adult visible iris diameter (horizontal visible iris diameter), about 4 % spread.
    iris_diameter_mm: float = 11.7
    iris_diameter_spread: float = 0.04
    # Below this the iris ring is too coarse to give a scale (and the lids too few pixels).
    min_iris_diameter_px: float = 12.0
    # Below this mouth width (corner to corner, pixels of the picture) a pull confined to the mouth
    # corner and lip edge spans only a few pixels: the flow refines the corner with a small window
    # there (landmarks/params.py), which reads it on a camera's frames, but a compressed video file
    # blurs those pixels and it can read as little as half, MPEG-4 and H.264 alike (docs/validation.md,
    # "How small a face", "A small window for a small face", "What a compressed small face holds");
    # a pull that moves the cheek with the corner reads true.
    # Such a clip is measured with a warning, and the set-up check asks the patient to come closer.
    min_mouth_detail_px: float = 75.0

    # --- head pose ---------------------------------------------------------------------------
    max_yaw_deg: float = 15.0
    max_pitch_deg: float = 15.0
    # Head-motion removal bridges each blink (the mesh deforms its anchors when the eyes close)
    # from this long before its onset to this long after its peak window.
    align_bridge_margin_s: float = 0.1
    # Only blink-length runs are bridged (and held eye closures, by a straight line: the mesh deforms
    # the anchors all the while the eyes are closed, 0.8-1.1 mm of false mouth movement on a still
    # real face held closed), and a bridge that misfits the head anchors by more than this
    # fraction of their spread beyond the frame's own fit (~2.5 mm on an adult face; the mesh's blink
    # deformation is 1-2 mm) is dropped: the head turned or nodded during the closure. A quadratic
    # bridged across long closures and head turns ran away by 25-75 mm on real clips.
    align_bridge_max_s: float = 1.0
    align_bridge_max_misfit: float = 0.05

    # --- blinks ------------------------------------------------------------------------------
    # Open-eye baseline: a rolling high percentile of openness, so slow drift and gaze are not blinks.
    open_baseline_percentile: float = 90.0
    open_baseline_window_s: float = 5.0
    # Hysteresis on closure c = 1 - openness / baseline.
    blink_onset_closure: float = 0.15
    blink_offset_closure: float = 0.10
    # Shorter events are landmark noise or single-frame flicker, not lids (a real blink spans 3+ frames at 30 fps).
    min_blink_duration_s: float = 0.07
    # Longer closures are voluntary eye closures, reported apart from blinks, when they are also held
    # closed (past half their depth) this long: a blink is closed so 0.1-0.33 s even where its slow
    # reopening keeps it past the thresholds for 0.5-0.7 s (a real face under camera motion).
    max_blink_duration_s: float = 0.5
    held_closure_min_s: float = 0.4
    # A blink's onset and offset are judged against the lowest closure within this much context
    # around its peak (a blink lasts at most ~0.5 s; a smile narrows the eye for seconds).
    blink_context_s: float = 1.0
    # A run above threshold longer than a blink is a deliberate closure when its median closure
    # reaches this fraction of a full closure; lower, it is a narrowed eye with blinks inside.
    held_closure_fraction: float = 0.5
    # Two eyes' events belong to one blink when their apexes are this close.
    pair_max_apex_gap_s: float = 0.1
    # An event is one-sided when the other eye's peak closure stays under this fraction of the
    # closing eye's (and under the onset threshold would be stricter still).
    one_sided_max_ratio: float = 0.5
    # A one-sided event is a wink (or a weak side's blink) only when the closing eye reached this
    # closure (half the mesh's full closure); shallower, it is the lid following the gaze or a squint.
    one_sided_min_closure: float = 0.3
    # The face mesh never closes a closed eye completely, so completeness is judged against the
    # closure a closed eye reaches in the mesh (measured on real and synthetic clips, see README).
    full_closure: float = 0.6
    complete_fraction: float = 0.8

    # --- ocular-oral (mouth during blinks) ---------------------------------------------------
    # The lid starts to move before the detected onset (closure past blink_onset_closure): the last
    # frame within lid_search_s before the onset whose closure is within lid_start_rise of the lowest
    # there. Every "before the blink" window (baseline, gates) ends there.
    lid_search_s: float = 0.3
    lid_start_rise: float = 0.04
    # Pre-blink baseline window for the commissure, relative to the lid's start.
    pre_blink_start_s: float = -0.30
    pre_blink_end_s: float = -0.10
    # The peak is searched in [onset, offset + this].
    post_blink_s: float = 0.10
    # Light smoothing of the commissure trace before taking its peak: per-frame mesh jitter is
    # 0.2-0.5 mm, a blink-coupled movement lasts 100-400 ms. The filter (Savitzky-Golay, quadratic,
    # at least 5 frames) must be no longer than the shortest blink's closure: at 0.2 s (5 frames at
    # 24 frames/s, 7 at 30) it kept 62-83 % of a 100-130 ms blink's peak on a real face; at 0.1 s it
    # is off below 50 frames/s (the blink average lowers the jitter instead) and spans 0.1 s above.
    commissure_smoothing_s: float = 0.1
    # A blink is not scored when a commissure already moved this much in the window before it
    # (talking, chewing, smiling).
    mouth_moving_mm: float = 1.0
    mouth_moving_window_s: float = 0.6
    # A blink is not scored either when the mouth has not come back (by mouth_moving_mm) within
    # this window after the eye reopened: talking or a new expression that began with the blink.
    mouth_return_window_s: float = 0.3
    # After a held eye closure the mouth has not come back only when it also stayed more than this
    # fraction of its held movement away: the optical flow that follows the corners lags a 4 mm
    # pull let go at once by 1.2-1.7 mm for half a second (synth/realface.py held closures).
    closure_return_fraction: float = 0.5
    # At least this much of that window must be free of other blinks to judge it at all.
    mouth_moving_min_s: float = 0.25
    # Blinks closer together than a baseline and its gate allow (a burst) share the baseline before
    # the first and the return check after the last, as long as the burst spans at most this from
    # its first lid to its last offset (people blink in bursts of 2-3 within a second or two).
    burst_max_s: float = 2.0
    # The gate looks at a more smoothed trace: talking is slow and large, jitter fast and small.
    mouth_moving_smoothing_s: float = 0.2
    # A mouth corner further than this from its rest position (head motion removed) is a tracking
    # or alignment failure, not a movement: a maximal smile moves a corner 10-15 mm. Such frames are
    # left out of every trace and counted.
    max_commissure_excursion_mm: float = 20.0
    # A blink counts as coupled when the commissure moved more than this.
    coupled_threshold_mm: float = 1.0
    # Healthy faces still show this much blink-averaged commissure "movement": on two real still faces
    # (synth/faces.py controls of ../shared/realclips/expressions_glasses_man.mp4 and
    # still_woman_synthetic.mp4: as recorded, with camera motion, further away (iris 14 px), darker
    # and brighter, at 24 and 30 frames/s) 0.26-0.60 mm on the right and 0.13-0.64 mm on the left;
    # 0.03-0.14 mm on the synthetic sample clips (before round 3). The lower severity band edge sits
    # above the real figure, since two real faces cannot show the spread of all.
    healthy_floor_mm: float = 0.75
    # The same for each blink's own peak (landmark jitter inflates a single peak): the same controls'
    # medians of a clip's peaks 0.54-1.46 mm, the highest under camera motion (one face, 0.43-1.28 mm,
    # with the 0.2 s peak-keeping filter and fewer blinks scored under camera motion).
    healthy_blink_peak_mm: float = 1.5
    # Between sessions: the same real face and coupling (0, 2, 4 mm) recorded nearer and further
    # (iris 14-35 px), darker and brighter, tilted 10 degrees, JPEG-compressed and under camera motion
    # (synkimeter_dev.synth.real_validation --repeatability; docs/validation.md) reads with a spread (SD)
    # that grows with the movement: SD = hypot(sd_mm, sd_fraction x value), fitted to 0.12, 0.22 and
    # 0.42 mm at 0.5, 2.2 and 4.0 mm (blink-averaged), 0.22, 0.10, 0.12 mm (median of peaks) and 0.26,
    # 0, 0 (fraction of blinks over 1 mm, which camera motion alone took from 0 to 0.75). A change
    # counts only beyond the minimal detectable change 1.96 x hypot(SD(before), SD(after)).
    ocular_oral_between_sd_mm: float = 0.11
    ocular_oral_between_sd_fraction: float = 0.10
    ocular_oral_median_between_sd_mm: float = 0.22
    ocular_oral_median_between_sd_fraction: float = 0.03
    coupled_fraction_between_sd: float = 0.26
    # Severity bands on the affected side's blink-averaged movement (literature bands, from marker studies).
    moderate_mm: float = 1.0
    severe_mm: float = 2.0
    # Fewer scored blinks on a side than this give no severity or affected side ("undetermined").
    min_scored_blinks: int = 3
    # The sides differ enough to name an affected side.
    min_asymmetry_mm: float = 0.15
    # Blinks are averaged aligned on the eye's apex (the deepest closure), this long before it on the
    # average's time axis: about when the lid starts to move. Aligned on the lid's start, short blinks
    # (100-130 ms, 2-4 frames) whose closing takes 0.1-0.35 s averaged peaks that did not line up: a
    # real face read 33-58 % of the per-blink peaks' median at 24 and 30 frames/s (docs/validation.md).
    bta_apex_lead_s: float = 0.1
    # Blink-triggered average grid, relative to that time.
    bta_start_s: float = -0.3
    bta_end_s: float = 0.7
    bta_step_s: float = 1.0 / 30.0
    bootstrap_resamples: int = 1000

    # --- settling (the measurement, and the optical flow that follows the mouth corners) -------
    # For this long after a face is found the points are the mesh's own: the mesh settles over its
    # first frames (1.5-6 px at first on the sample clips), and flow started from there would carry
    # that error for seconds. A blink whose baseline starts this soon after the face was found is not
    # scored either.
    optical_flow_settle_s: float = 0.5

    # --- what a clip must be to be measured (synkimeter/usecases/analyze.py) ------------------------
    # A picture, or a clip shorter than this, cannot hold a blink with the time before it.
    min_clip_s: float = 2.0
    # Frame rate: a blink lasts 0.1-0.4 s, so fewer frames catch less of the mouth corner's peak.
    # Measured by keeping every k-th frame of the sample clips' landmarks (every phase, averaged):
    # right_3mm read 2.72 mm at 30 frames/s, 2.63 at 15 (97 %), 2.46 at 12 (91 %), 2.34 at 10 (86 %),
    # 2.26 at 8 and 7.5 (83 %), 2.19 at 6 (80 %) and 1.89 at 5 (70 %, single phases 1.50-2.25);
    # right_1mm and left_2mm fell alike (87 % at 10, 71-72 % at 5). Below the first rate the
    # summary warns that movement reads low; below the second no severity is given at all.
    low_frame_rate_fps: float = 14.0
    min_frame_rate_fps: float = 7.0

    # --- oral-ocular (eye narrowing during mouth tasks) --------------------------------------
    # Task weights in the eFACE-style 0-100 score: pucker discriminates, smile barely does.
    pucker_weight: float = 0.75
    smile_weight: float = 0.25
    # Task level of the fissure: a low percentile of the lightly smoothed height during the task.
    fissure_task_percentile: float = 20.0
    fissure_smoothing_s: float = 0.25
    # Rest level leaves out blinks and this margin around them.
    fissure_blink_margin_s: float = 0.1
    # Block length for the block bootstrap of narrowing intervals.
    fissure_bootstrap_block_s: float = 0.5

    # --- synkinesis grades (synkimeter/core/grades.py; the table: docs/grades.md) -------------
    # Sunnybrook synkinesis (Ross, Fradet & Nedzelski 1996): 0 none, 1 mild (slight synkinesis, minimal
    # mass movement), 2 moderate (obvious but not disfiguring), 3 severe (disfiguring, gross mass
    # movement of several muscles). Eye narrowing during brow lift, smile, snarl and pucker is graded on
    # these bands, in % of the eye's rest fissure: one Sunnybrook point of synkinesis went with ~0.8 mm
    # (smile) and ~1.0 mm (pucker) of fissure on the FACE software (Pavia, Plast Reconstr Surg 2013;
    # 132:1255), ~8-11 % of the 9-10 mm fissure at rest (Laryngoscope 2013, doi 10.1002/lary.23778).
    # Healthy eyes narrow ~2 % in a pucker (controls 1.7 %; synkinetic sides 30 %, doi
    # 10.1177/26893614251395737) and do not narrow in a brow lift, so those two are graded on the
    # affected eye's own narrowing; they narrow 22 +- 13 % in a big smile (synkinetic 33 +- 14 %) and
    # with the cheek in a snarl, so those are graded on the affected eye's narrowing beyond the other eye's.
    grade_narrowing_mild_pct: float = 10.0
    grade_narrowing_moderate_pct: float = 20.0
    grade_narrowing_severe_pct: float = 30.0
    # Mouth-corner movement during gentle eye closure is graded on the ocular-oral severity bands
    # above (healthy_floor_mm, moderate_mm, severe_mm). Its eFACE-style midfacial item runs from 100 at
    # the healthy floor to 0 here: patients' modiolus moves 3.9 +- 2.5 mm on eye closure, as far as in
    # their smile (4.7 mm; Maximal Static Response Assay, 78 patients, 27 controls), gross mass movement.
    eface_midfacial_zero_mm: float = 4.0

    # --- expressions found in a free clip (synkimeter/core/expressions.py) -------------------
    # Smile: the mouth corner moves up and out along the zygomaticus major's line of pull (~45
    # degrees), relative to the lip centre: ~5 mm in a gentle smile, 10-15 mm in a maximal one; the
    # mesh's corner jitter at rest is 0.2-0.5 mm per frame.
    expression_smile_mm: float = 3.0
    # Pucker: the mouth narrows by 25-40 % of its rest width; a relaxed mouth and speech by well under 10 %.
    expression_pucker_pct: float = 15.0
    # Open mouth: the inner lips this far apart (a jaw drop opens 30-50 mm; most speech stays under 10).
    expression_open_mm: float = 10.0
    # Lips pushed to one side: the lip centre moved sideways (against the nose) this far.
    expression_shift_mm: float = 5.0
    # Brow raise: the brow lifts 5-12 mm in a raise; blinks and gaze move the mesh's brow ~1 mm.
    expression_brow_mm: float = 3.0
    # Snarl: the upper lip beside the philtrum raised towards the nose (levator labii superioris), more
    # than either corner moved up and out. On real faces (../shared/realclips) an open mouth raised it
    # 1.6 mm, talking and big smiles 6-9 mm (their corners moved further, so they are no snarl).
    expression_snarl_mm: float = 3.0
    # An expression is held at least this long; shorter movements are speech or jitter.
    expression_min_s: float = 0.3
    # Two stretches of one expression closer than this are one.
    expression_merge_gap_s: float = 0.2
    # A found expression spans the frames where its movement is past this fraction of the detection
    # threshold: from there it is visibly under way.
    expression_edge_fraction: float = 0.5
    # Light smoothing of the geometry before thresholds (one or two frames of jitter).
    expression_smoothing_s: float = 0.1
    # Rest: lips together and every movement still (within half its detection threshold) this long.
    expression_rest_min_s: float = 0.5
    # Talking: the lips open and close by at least this much, three or more times, each within this
    # time of the last.
    talking_cycle_mm: float = 2.0
    talking_max_gap_s: float = 1.0


def params_dict(params: Any, kind: type) -> dict[str, Any]:
    """The fields of `kind` (a settings class that `params` is, or derives from) as a dict."""
    full = asdict(params)
    return {f.name: full[f.name] for f in fields(kind)}


def measurement_dict(params: MeasurementParams) -> dict[str, Any]:
    """The measurement's parameters as saved with a result."""
    return params_dict(params, MeasurementParams)


DEFAULT_MEASUREMENT = MeasurementParams()
