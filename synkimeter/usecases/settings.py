"""Settings by job, and the whole set the window and the CLI run with.

- the measurement: `core.params.MeasurementParams` (saved with every result);
- the face mesh and optical flow: `landmarks.params.ExtractionParams` (saved with every result);
- the live view, practice and the guided protocol: the classes below (never part of a result).

`Settings` is all of them at once: a component declares the part it needs (the core takes
`MeasurementParams`), and the window and the CLI pass one `Settings`, so no default is held twice.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, fields
from typing import Any

from synkimeter.core.params import MeasurementParams, measurement_dict
from synkimeter.landmarks.params import ExtractionParams, extraction_dict


@dataclass(frozen=True)
class LiveSettings:
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
    # The live panel calls the mouth corners level when their heights differ by less than this: the
    # face mesh's corner jitter at rest is 0.2-0.5 mm per frame (docs: measurement.md).
    live_level_mm: float = 0.5
    # Healthy faces' mouth corners at rest differ in height by up to about this much. In 104 healthy
    # volunteers at repose the left-right difference of the commissure-endocanthion angle had a 95 %
    # reference range up to 6.2 degrees (Klimach et al., J Plast Surg Hand Surg 2020,
    # doi 10.1080/2000656X.2020.1838915); across a mouth about 50 mm wide that is a corner height
    # difference of about 2.7 mm (each corner's angle changes by half the difference), and onlookers
    # notice a lip cant only beyond about 3 mm (Choi, Arch Craniofac Surg 2017, PMC5556787). Rounded
    # down so a patient is not told "healthy" at the range's edge.
    resting_height_healthy_mm: float = 2.5


@dataclass(frozen=True)
class PracticeSettings:
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


@dataclass(frozen=True)
class ProtocolSettings:
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
    # A recorded file's face whose grey levels vary by less than this (their standard deviation, 0-255)
    # is flat: fog on the lens, glare or heavy compression has taken the texture the mesh follows (a
    # well-lit face in the sample clips varies by about 50).
    setup_min_face_contrast: float = 15.0


@dataclass(frozen=True)
class Settings(ProtocolSettings, PracticeSettings, LiveSettings, ExtractionParams, MeasurementParams):
    """Every job's settings (field order: measurement, extraction, live view, practice, protocol)."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Settings":
        """Settings from a saved dict (a result's `params`); keys this version does not know are
        reported (a UserWarning naming them) and left out."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            warnings.warn(f"Saved settings hold keys this version does not know, left out: {', '.join(unknown)}",
                          UserWarning, stacklevel=2)
        return cls(**{k: v for k, v in data.items() if k in known})


def result_params(settings: MeasurementParams) -> dict[str, Any]:
    """What a result saves of the settings it was measured with: the measurement's and the
    extraction's parameters, never the live view's, practice's or protocol's."""
    saved = measurement_dict(settings)
    if isinstance(settings, ExtractionParams):
        saved.update(extraction_dict(settings))
    return saved


DEFAULT_SETTINGS = Settings()
