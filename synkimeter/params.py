"""Every tunable default of the measurement, in one place.

The CLI, the GUI, the benchmark and the tests all build their settings from `AnalysisParams()`;
nothing else holds a default of its own. Units are in the names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class AnalysisParams:
    # --- scale -------------------------------------------------------------------------------
    # Adult visible iris diameter (horizontal visible iris diameter), about 4 % spread.
    iris_diameter_mm: float = 11.7
    iris_diameter_spread: float = 0.04
    # Below this the iris ring is too coarse to give a scale (and the lids too few pixels).
    min_iris_diameter_px: float = 12.0

    # --- head pose ---------------------------------------------------------------------------
    max_yaw_deg: float = 15.0
    max_pitch_deg: float = 15.0
    # Head-motion removal bridges each blink (the mesh deforms its anchors when the eyes close)
    # from this long before its onset to this long after its peak window.
    align_bridge_margin_s: float = 0.1
    # Only blink-length runs are bridged, and a bridge that misfits the head anchors by more than this
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
    # Longer closures are voluntary eye closures, reported apart from blinks.
    max_blink_duration_s: float = 0.5
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
    # 0.2-0.5 mm, a blink-coupled movement lasts 100-400 ms.
    commissure_smoothing_s: float = 0.2
    # A blink is not scored when a commissure already moved this much in the window before it
    # (talking, chewing, smiling).
    mouth_moving_mm: float = 1.0
    mouth_moving_window_s: float = 0.6
    # A blink is not scored either when the mouth has not come back (by mouth_moving_mm) within
    # this window after the eye reopened: talking or a new expression that began with the blink.
    mouth_return_window_s: float = 0.3
    # At least this much of that window must be free of other blinks to judge it at all.
    mouth_moving_min_s: float = 0.25
    # The gate looks at a more smoothed trace: talking is slow and large, jitter fast and small.
    mouth_moving_smoothing_s: float = 0.2
    # A mouth corner further than this from its rest position (head motion removed) is a tracking
    # or alignment failure, not a movement: a maximal smile moves a corner 10-15 mm. Such frames are
    # left out of every trace and counted.
    max_commissure_excursion_mm: float = 20.0
    # A blink counts as coupled when the commissure moved more than this.
    coupled_threshold_mm: float = 1.0
    # Healthy faces still show this much blink-averaged commissure "movement": on a real still face
    # (synth/realface.py controls of ../shared/realclips/expressions_glasses_man.mp4: as recorded,
    # with camera motion, further away (iris 14 px), darker and brighter) 0.45-0.66 mm on the right
    # and 0.13-0.36 mm on the left; 0.03-0.14 mm on the synthetic sample clips. The lower severity
    # band edge sits above the real figure, since one real face cannot show the spread of all.
    healthy_floor_mm: float = 0.75
    # The same for each blink's own peak (landmark jitter inflates a single peak): real still face
    # 0.43-1.28 mm median of a clip's peaks over the same conditions.
    healthy_blink_peak_mm: float = 1.3
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
    # Severity bands on the affected side's median displacement (literature, marker studies).
    moderate_mm: float = 1.0
    severe_mm: float = 2.0
    # Fewer scored blinks on a side than this give no severity or affected side ("undetermined").
    min_scored_blinks: int = 3
    # The sides differ enough to name an affected side.
    min_asymmetry_mm: float = 0.15
    # Blink-triggered average grid, relative to onset.
    bta_start_s: float = -0.3
    bta_end_s: float = 0.7
    bta_step_s: float = 1.0 / 30.0
    bootstrap_resamples: int = 1000

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

    # --- landmark extraction -----------------------------------------------------------------
    max_faces: int = 2
    # Offline, a video file is cut in this many parts, each meshed in its own thread (MediaPipe
    # releases the GIL) and stitched by frame; a fixed number, so results do not depend on the
    # machine. Two reach 250+ frames/s at 640x480 on two cores and change results by <= 0.02 mm.
    landmark_workers: int = 2
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    # The face mesh is a whole-face model: it under-reads a one-sided mouth-corner pull (1 mm read
    # 0.5 mm, 3 mm read 2.5 mm), spreads a quarter of it to the other corner and moves the corners
    # ~0.2 mm on every blink of a still face; its head anchors jitter. So the two commissures and the
    # head anchors are followed from frame to frame by optical flow of the image itself (pyramidal
    # Lucas-Kanade, checked forwards and backwards) and held to the mesh only at slow time scales (a
    # first-order pull with this time constant, far longer than a blink's 0.1-0.5 s).
    # See synkimeter/landmarks/flow.py.
    optical_flow: bool = True
    optical_flow_tau_s: float = 2.0
    # The tracking window's side as a fraction of the mouth's width (corner to corner), odd, clipped
    # to 9-41 px: at the mouth, the corner and its lip edges, not the cheek around it. Measured on a
    # real face with a pull imposed on the corner and lip edge only (synth/realface.py, "narrow"):
    # 0.15 read 4 mm as 3.45 mm, 0.12 as 3.79 mm, 0.10 as 3.93 mm but with 0.29 mm instead of 0.21 mm
    # of jitter-driven movement on the other corner; a broad (cheek) pull and the synthetic clips read
    # the same at all three.
    optical_flow_window_mouth: float = 0.12
    # Larger faces are followed in the frame shrunk by a whole factor, so that the mouth is about
    # this wide (a 1.5x wider mouth is halved): the cost stays that of a 640x480 webcam face at any
    # resolution, and the flow is still accurate to a fraction of a (full-size) pixel.
    optical_flow_mouth_px: float = 100.0
    # A flow step whose backward check misses by more than this (pixels of the image followed) is not
    # trusted; that frame the point moves with the mesh instead.
    optical_flow_max_fb_px: float = 0.5
    # A leash: a followed point stays within this fraction of the mouth's width (~2.5 mm on an
    # adult's ~50 mm mouth) of the mesh's. The mesh under-reads a 3-4 mm pull by well under that, so
    # measurement is untouched; flow that slides along the lips while someone talks is held to it.
    optical_flow_leash_mouth: float = 0.05
    # For this long after a face is found the points are the mesh's own: the mesh settles over its
    # first frames (1.5-6 px at first on the sample clips), and flow started from there would carry
    # that error for seconds. A blink whose baseline starts this soon after the face was found is not
    # scored either.
    optical_flow_settle_s: float = 0.5
    # Across a longer gap in time (dropped frames, a lost face) the flow restarts at the mesh.
    optical_flow_max_gap_s: float = 0.25

    # --- live view (GUI and synkimeter.usecases.live) ------------------------------------------------
    # The live engine re-measures this much recent history on every update (a fixed-size buffer).
    live_buffer_s: float = 30.0
    # Buffer capacity is live_buffer_s x this rate: faster sources keep a shorter stretch.
    live_buffer_max_fps: float = 60.0
    # How often the live engine re-measures the buffer and the scores panel refreshes.
    live_update_interval_s: float = 0.25
    # How often the preview is repainted at most (the newest frame; older ones are skipped).
    live_preview_interval_s: float = 1.0 / 30.0
    # Span of the rolling trend plots.
    live_plot_window_s: float = 20.0
    # Blinks shown in the per-blink bar history.
    live_bar_blinks: int = 30
    # The overlay's mouth-corner arrows are drawn this many times longer than the movement.
    live_arrow_gain: float = 4.0

    # --- practice (retraining with live feedback: synkimeter.usecases.practice, gui/practice.py) --------
    # Blinks per set, and pucker/smile movements per set (each takes a cue interval).
    practice_blinks_per_set: int = 20
    practice_moves_per_set: int = 10
    # The visual metronome: "Blink now" every this many seconds; "Pucker/Smile now" likewise.
    practice_blink_interval_s: float = 4.0
    practice_move_interval_s: float = 6.0
    # Sit still this long at the set's start: reference face, iris scale, open-eye and rest levels.
    practice_calibration_s: float = 1.5
    # A blink is judged this long after its apex (the peak of closure): the coupled commissure pull
    # peaks within ~50 ms of the apex on the sample clips, and apex + this + one frame + the face
    # mesh stays under the 150 ms feedback budget at 30 frames/s.
    practice_judge_window_s: float = 0.067
    # A gentle, held closure is judged at the latest this long after its onset.
    practice_closure_judge_s: float = 1.0
    # The judge's short ring buffer (pre-blink baseline, gates, the blink itself).
    practice_buffer_s: float = 3.0
    # The target: this fraction of the patient's own baseline movement (the affected side's median
    # blink peak, or its pucker/smile narrowing), never below the healthy floor (healthy_floor_mm
    # for the mouth; for the eye the narrowing a healthy eye shows, ~2 % in a pucker and ~20 % in a
    # big smile (measurement.md), plus the mesh's jitter).
    practice_target_fraction: float = 0.5
    practice_pucker_floor_pct: float = 5.0
    practice_smile_floor_pct: float = 25.0
    # Without a baseline in the store: the coupled-blink threshold, and these narrowings.
    practice_default_target_mm: float = 1.0
    practice_default_pucker_pct: float = 15.0
    practice_default_smile_pct: float = 35.0
    # Tightening: when each of the last this-many sets at the current target was at least this
    # clean, the next set's target is this factor of it (never below the floor).
    practice_tighten_after_sets: int = 2
    practice_tighten_clean_fraction: float = 0.8
    practice_tighten_factor: float = 0.85
    # Pucker/smile: the movement is held from the cue for this long; the eye is judged from
    # `settle` after the cue (the mouth gets there) to the end of the hold.
    practice_move_hold_s: float = 2.5
    practice_move_settle_s: float = 0.5
    # An eye that narrows past the target for this long in the hold is told at once.
    practice_move_early_s: float = 0.3
    # Weeks shown in the practice trend.
    practice_trend_weeks: int = 6

    # --- guided protocol ("Record a session"; synkimeter/usecases/protocol.py builds the tasks from these) ---
    # A "get ready" countdown before each task (shown, not recorded).
    protocol_countdown_s: float = 3.0
    # Rest (relaxed face, eyes open: the eye-opening reference for the mouth tasks).
    protocol_rest_s: float = 10.0
    # Natural blinking (the ocular-oral measurement; ~20 s holds 4-10 blinks at a normal blink rate).
    protocol_blinking_s: float = 20.0
    # Repeated tasks (gentle eye closure, forceful blink, big smile, pucker): a relaxed lead-in, then
    # this many times "do it (and hold)" followed by "relax".
    protocol_repetitions: int = 3
    protocol_lead_in_s: float = 2.0
    protocol_hold_s: float = 3.0
    protocol_forceful_hold_s: float = 1.5
    protocol_relax_s: float = 3.0
    # Frames the recorder may hold while the face mesh catches up on a live camera (every frame is
    # recorded; only when the computer falls this far behind is the oldest dropped, and counted).
    protocol_queue_s: float = 2.0
    # The set-up check before the first task (synkimeter/usecases/setup_check.py): the measurement's
    # between-session spread grows when the face is far (iris ~14 px), dark, tilted or heavily
    # compressed (docs/validation.md), so a session is recorded like the patient's baseline. The first
    # countdown starts once the set-up has been right for this long (frame time; 0: at the first
    # frame that is right).
    protocol_setup_hold_s: float = 1.0
    # Distance: the iris within this fraction of the baseline's size (20 % nearer or further changes
    # the face's pixels by 40 %), never under min_iris_diameter_px.
    setup_iris_tolerance: float = 0.20
    # A face taller than this fraction of the picture is cut off as soon as the head moves.
    setup_max_face_height: float = 0.9
    # The face's centre within this fraction of the picture's width/height from the middle.
    setup_max_offcentre: float = 0.2
    # Head pose (degrees): the measurement drops frames beyond max_yaw_deg, so ask for well inside it;
    # pitch is judged against a standard face, whose shape differs from anyone's by a few degrees.
    # Against the baseline, yaw and pitch within setup_pose_tolerance_deg of its own.
    setup_max_yaw_deg: float = 8.0
    setup_max_pitch_deg: float = 15.0
    setup_pose_tolerance_deg: float = 6.0
    # Light: the face's mean grey level (0-255) not dark (noise, lost corner texture) nor washed out,
    # within this factor of the baseline's, and a face darker than this fraction of the whole picture
    # is lit from behind. The validation's "darker" recording (docs/validation.md; a 2 mm pull read
    # 1.56 mm there) has a face grey level of 52 (118 as recorded, 168 "brighter"): it is asked for light.
    setup_min_brightness: float = 60.0
    setup_max_brightness: float = 215.0
    setup_brightness_factor: float = 1.5
    setup_backlight_ratio: float = 0.7

    def with_overrides(self, **overrides: Any) -> "AnalysisParams":
        return replace(self, **overrides)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AnalysisParams":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


DEFAULT_PARAMS = AnalysisParams()
