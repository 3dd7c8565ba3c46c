"""Guided recording sessions: the protocols (short sequences of tasks) and the runner that records them.

Qt-free: the GUI's worker thread and the tests drive the same code.

- `protocol(key, params)`: the one definition of each protocol's tasks, built from the "guided
  protocol" section of `Settings` (durations, repetitions), so a test shortens them with
  `params.with_overrides(...)` and the GUI shows exactly what is recorded.
- `ProtocolRunner`: a state machine fed one frame at a time (its own timestamp, picture, landmarks).
  Its clock is the frames' own timestamps, never the wall clock: a camera stamps frames with the
  monotonic clock, a replayed file with its own times, so countdowns and task lengths are the same
  whether a clip is replayed in real time or as fast as it decodes. Per task it writes the video
  (cv2.VideoWriter into `store.recording_path`) and keeps the landmarks with their timestamps, then
  analyses the clip (`usecases.analyze.analyze_series`) and keeps it (`usecases.saving.keep_clip`,
  which computes the session's oral-ocular score from rest + smile + pucker).
  Before the first task it checks the set-up (distance, head pose, light, centring; against the
  patient's baseline recording when there is one: `synkimeter.usecases.setup_check`) and waits until it has
  been right for `protocol_setup_hold_s`, or until the patient goes on anyway (`skip_setup`, noted
  in the session). Each clip's summary keeps its set-up ("setup") for the next session's check.
- `record_protocol(source, runner, ...)`: the loop that reads a source, runs the face mesh and feeds
  the runner. Used by the GUI's worker thread and headless.

Recording keeps every frame. The live view reads with a `LatestFrameReader`, which drops frames when
the face mesh is busy; a recording must not. `record_protocol` reads with `_EveryFrameReader`: a
bounded FIFO filled by the capture thread and emptied in order by the loop, which meshes and records
each frame it takes, with that frame's own timestamp, into both the video and the landmark series (so
the two correspond frame for frame). A file that is not replayed in real time is read with back
pressure (no frame is ever dropped, as in the tests); a live camera cannot wait, so if the computer
falls more than `protocol_queue_s` behind, the oldest frames are dropped, counted, and the clip says
so. Dropped frames leave gaps in time, they never shift it. (The face mesh runs at 4-5x a webcam's
rate, so in practice nothing is dropped.)

An interrupted session (camera unplugged: SourceError; the window closed; the process killed) keeps
the tasks finished so far: the clip being recorded is marked failed with the reason, and the session
'incomplete' (a killed process's session is marked incomplete the next time the store is opened).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from synkimeter.capture import RecordingReader, SourceError
from synkimeter.capture._cv import cv2
from synkimeter.core.anatomy import N_LANDMARKS
from synkimeter.core.results import ClipResult, number
from synkimeter.core.task_check import check_task
from synkimeter.landmarks import FaceMeshExtractor
from synkimeter.landmarks.flow import flow_indices
from synkimeter.landmarks.series import LandmarkSeries
from synkimeter.store.records import Clip, StoreError, missing_tasks
from synkimeter.usecases.analyze import ClipError, analyze_series
from synkimeter.usecases.saving import NARROWING_TASKS, SavedClip, keep_clip
from synkimeter.usecases.settings import DEFAULT_SETTINGS, Settings
from synkimeter.usecases.setup_check import SetupCheck, check_setup, measure_setup, median_setup
from synkimeter.usecases.words import band, interval
from synkimeter.usecases.words import mm as words_mm

SIDES = ("right", "left")


# --- definitions ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One stretch of a task: what the screen says in big words, for how long, and whether the
    person is moving (True) or relaxing (False)."""

    cue: str
    duration_s: float
    action: bool = False
    repetition: int = 0  # 1..n for the "do it" and "relax" steps of a repeated task, 0 otherwise


@dataclass(frozen=True)
class Task:
    key: str  # the store's task name
    title: str  # short, for lists
    instruction: str  # one or two plain sentences, shown while getting ready
    steps: tuple[Step, ...]
    repetitions: int = 0

    @property
    def duration_s(self) -> float:
        return float(sum(s.duration_s for s in self.steps))

    def step_at(self, elapsed_s: float) -> tuple[int, Step, float]:
        """(index, step, seconds left in it) at `elapsed_s` into the task."""
        start = 0.0
        for i, step in enumerate(self.steps):
            if elapsed_s < start + step.duration_s or i == len(self.steps) - 1:
                return i, step, max(0.0, start + step.duration_s - elapsed_s)
            start += step.duration_s
        raise ValueError("a task has at least one step")


@dataclass(frozen=True)
class Protocol:
    key: str
    title: str
    description: str
    tasks: tuple[Task, ...]
    default_kind: str

    def duration_s(self, params: Settings = DEFAULT_SETTINGS) -> float:
        return sum(t.duration_s for t in self.tasks) + len(self.tasks) * params.protocol_countdown_s


# key: (title, instruction, cue while doing it, cue while relaxing)
TASK_TEXT = {
    "rest": ("Rest", "Sit comfortably and look at the camera with a relaxed face. Blink as you normally do.",
             "Relax and look at the camera", ""),
    "natural_blinking": ("Natural blinking", "Look at the camera and blink as you normally do. Keep your mouth "
                         "still and relaxed.", "Blink naturally", ""),
    "gentle_closure": ("Gentle eye closure", "Close your eyes gently, as if falling asleep, and keep them closed "
                       "until you have counted to three. Then open them and relax.",
                       "Close your eyes gently… count to 3, then open", "Open your eyes and relax"),
    "forceful_blink": ("Forceful blink", "Squeeze your eyes shut hard for a moment, then open them and relax.",
                       "Squeeze your eyes shut hard!", "Open your eyes and relax"),
    "smile": ("Big smile", "Smile as widely as you can, showing your teeth, and hold it. Then relax.",
              "Smile big, show your teeth — hold it", "Relax your face"),
    "pucker": ("Pucker", "Push your lips forward as if saying “ooo” and hold it. Then relax.",
               "Pucker your lips: “ooo” — hold it", "Relax your face"),
    "brow_lift": ("Brow lift", "Raise your eyebrows as high as you can and hold it. Then relax.",
                  "Raise your eyebrows high — hold it", "Relax your face"),
    "snarl": ("Snarl", "Lift your upper lip to show your top teeth and wrinkle your nose, and hold it. Then relax.",
              "Lift your upper lip, wrinkle your nose — hold it", "Relax your face"),
}
REPEATED_TASKS = ("brow_lift", "gentle_closure", "forceful_blink", "smile", "snarl", "pucker")
# The full protocol holds Sunnybrook's five voluntary movements (brow lift, gentle eye closure, smile,
# snarl, pucker; core/grades.py grades each), in its order, after the rest and blinks they are measured against.
PROTOCOL_TASKS = {
    "home": ("rest", "natural_blinking", "pucker"),
    "full": ("rest", "natural_blinking", "brow_lift", "gentle_closure", "forceful_blink", "smile", "snarl", "pucker"),
}
PROTOCOL_TEXT = {
    "home": ("Home self-check", "A short check: rest, natural blinking and a pucker.", "self-check"),
    "full": ("Full therapist protocol", "Rest, natural blinking, brow lifts, gentle eye closure, forceful blinks, "
             "big smiles, snarls and puckers.", "follow-up"),
}
PROTOCOL_KEYS = tuple(PROTOCOL_TASKS)
# Where to sit for a first recording, said before and during the set-up check. Half the picture's
# height puts the mouth well over `min_mouth_detail_px` at 640x480 (a face is about 2.5 mouth-widths
# high), short of the face filling it.
SIT_WORDS = "Sit so that your face fills about half the picture's height"


def task(key: str, params: Settings = DEFAULT_SETTINGS) -> Task:
    title, instruction, cue, relax = TASK_TEXT[key]
    if key == "rest":
        return Task(key, title, instruction, (Step(cue, params.protocol_rest_s),))
    if key == "natural_blinking":
        return Task(key, title, instruction, (Step(cue, params.protocol_blinking_s),))
    n = max(1, int(params.protocol_repetitions))
    hold = params.protocol_forceful_hold_s if key == "forceful_blink" else params.protocol_hold_s
    steps = [Step("Relax, look at the camera", params.protocol_lead_in_s)] if params.protocol_lead_in_s > 0 else []
    for i in range(1, n + 1):
        steps += [Step(cue, hold, True, i), Step(relax, params.protocol_relax_s, False, i)]
    return Task(key, title, instruction, tuple(steps), n)


def protocol(key: str, params: Settings = DEFAULT_SETTINGS) -> Protocol:
    if key not in PROTOCOL_TASKS:
        raise ValueError(f"unknown protocol '{key}' (known: {', '.join(PROTOCOL_KEYS)})")
    title, description, kind = PROTOCOL_TEXT[key]
    return Protocol(key, title, description, tuple(task(k, params) for k in PROTOCOL_TASKS[key]), kind)


def redo_protocol(key: str, tasks: tuple[str, ...] | list[str], params: Settings = DEFAULT_SETTINGS) -> Protocol:
    """Only the given tasks of protocol `key` (the ones not recorded), in the protocol's order: what
    "Redo these now" records into the same session."""
    whole = protocol(key, params)
    kept = tuple(t for t in whole.tasks if t.key in set(tasks))
    if not kept:
        raise ValueError(f"none of {', '.join(tasks) or 'no tasks'} is a task of the protocol '{key}'")
    return replace(whole, tasks=kept)


def task_titles(keys) -> str:
    """'Gentle eye closure, Forceful blink and Pucker': tasks named in a sentence."""
    titles = [TASK_TEXT[k][0] if k in TASK_TEXT else k.replace("_", " ") for k in keys]
    return titles[0] if len(titles) == 1 else ", ".join(titles[:-1]) + " and " + titles[-1]


# --- the runner ----------------------------------------------------------------------------------
class TaskNotSeen(Exception):
    """The asked task did not happen in its clip (core.task_check); str() is the patient's line."""


@dataclass
class TaskResult:
    task: str
    title: str
    ok: bool
    clip_id: int | None
    text: str  # one plain line for the patient
    values: dict = field(default_factory=dict)  # per side: the task's headline number (mm or %)


@dataclass
class RunnerStatus:
    """What the screen shows. `phase`: idle, setup (checking distance, pose, light and centring
    before the first task), countdown, recording, saving, done, interrupted."""

    phase: str
    protocol_title: str
    task_index: int  # 0-based; == task_count when done
    task_count: int
    task_key: str
    task_title: str
    instruction: str
    cue: str  # the big words
    seconds_left: float  # in the countdown or the current step
    action: bool  # the person is asked to move now
    repetition: int
    repetitions: int
    progress: float  # 0..1 of the whole protocol's recorded time
    finished: list[TaskResult]
    message: str = ""
    session_id: int | None = None
    dropped_frames: int = 0
    setup: tuple[str, ...] = ()  # phase 'setup': what to change, most important first (empty: all right)
    # phase done: the session's tasks not recorded (store keys), to redo into the same session
    missing: tuple[str, ...] = ()


class ProtocolRunner:
    """Records one protocol into the store; feed it frames with `feed`. Not thread-safe: one thread
    (the one that opened `store`: SQLite connections stay in their thread) does everything."""

    def __init__(self, store, patient, proto: Protocol, kind: str | None = None,
                 params: Settings = DEFAULT_SETTINGS, notes: str = "", source_name: str = "",
                 video_fps: float | None = None, record_video: bool = True, baseline_setup=None,
                 preview_mirrored: bool | None = None, redo_session=None) -> None:
        """`redo_session`: an ended session to record `proto`'s tasks into again (the ones it did not
        record: `redo_protocol`), instead of a new session."""
        self.store = store
        # Whether the person saw their picture mirrored while recording (None: no preview). The video
        # itself is always kept as the camera gave it, unmirrored: its sides are the subject's own.
        self.preview_mirrored = preview_mirrored
        self.redo_session = redo_session
        self.missing: tuple[str, ...] = ()
        self._ending = "All done"  # the big words when done
        self.patient = patient
        self.protocol = proto
        self.kind = kind or proto.default_kind
        self.params = params
        self.notes = notes
        self.source_name = source_name
        self.video_fps = video_fps if video_fps and math.isfinite(video_fps) and video_fps > 0 else 30.0
        self.record_video = record_video
        self.session = None
        self.phase = "idle"
        self.index = 0
        self.finished: list[TaskResult] = []
        self.message = ""
        self.dropped_frames = 0  # of the clip being recorded
        self._phase_t0: float | None = None
        self._last_t: float | None = None
        self._clip: Clip | None = None
        self._writer: Any = None  # cv2.VideoWriter while a task's video is written
        self._video_path: Path | None = None
        self._times: list[float] = []
        self._points: list[np.ndarray] = []
        self._faces: list[int] = []
        self._size = (0, 0)
        self._warnings: list[str] = []
        self._total = sum(t.duration_s for t in proto.tasks) or 1.0
        # The set-up check (synkimeter.usecases.setup_check) against the patient's baseline's set-up, if any.
        self.baseline_setup = baseline_setup
        self.setup_check: SetupCheck | None = None  # the latest
        self._setup_ok_since: float | None = None
        self._clip_setups: list = []  # sampled while recording: stored with the clip
        self._next_setup_t = -math.inf

    # -- life -------------------------------------------------------------------------------------
    def begin(self):
        """Start checking the set-up (phase 'setup'). The session is created, and the first
        countdown starts, once the set-up is right (or on `skip_setup`), so a patient who gives up
        while getting ready leaves nothing behind."""
        self._enter("setup")
        return self.session

    def _open_session(self, note: str = ""):
        notes = " ".join(n for n in (self.notes, note) if n)
        if self.redo_session is not None:
            self.session = self.store.resume_session(self.redo_session)
        else:
            self.session = self.store.start_session(self.patient, self.kind, protocol=self.protocol.key, notes=notes)
        self._enter("countdown")
        return self.session

    def skip_setup(self):
        """Go on although the set-up check has not passed (a patient must never be stuck); the
        session's notes say so, with what was still to change."""
        if self.phase != "setup":
            return self.session
        left = self.setup_check.instructions if self.setup_check is not None else ()
        note = ("Started without the set-up check passing"
                + (f" (still to change: {'; '.join(w.lower() for w in left)})." if left else "."))
        t = self._last_t
        self._open_session(note)
        self._phase_t0 = t
        return self.session

    def _check_setup(self, t: float, image, points) -> None:

        h, w = image.shape[:2] if image is not None else (0, 0)
        self.setup_check = check_setup(points, image, w, h, self.baseline_setup, self.params)
        if not self.setup_check.ok:
            self._setup_ok_since = None
        elif self._setup_ok_since is None:
            self._setup_ok_since = t
        if self._setup_ok_since is not None and t - self._setup_ok_since >= self.params.protocol_setup_hold_s:
            self._open_session()
            self._phase_t0 = t

    @property
    def done(self) -> bool:
        return self.phase in ("done", "interrupted")

    @property
    def current(self) -> Task | None:
        return self.protocol.tasks[self.index] if self.index < len(self.protocol.tasks) else None

    def _task(self) -> Task:
        """The task being counted down, recorded or saved (there is one in those phases)."""
        task = self.current
        assert task is not None, f"no task in phase {self.phase}"
        return task

    def _enter(self, phase: str) -> None:
        self.phase = phase
        self._phase_t0 = None

    def feed(self, timestamp_s: float, image: np.ndarray | None, points: np.ndarray | None,
             n_faces: int = 1) -> RunnerStatus:
        """One frame: its own timestamp (s), the picture (BGR) and the face-mesh landmarks ((478, 3)
        pixels, None or NaN when no face)."""
        if self.done or self.phase == "idle":
            return self.status()
        t = float(timestamp_s)
        if self._last_t is not None and t < self._last_t:
            t = self._last_t  # a clock that steps back must not re-open a finished step
        self._last_t = t
        if self._phase_t0 is None:
            self._phase_t0 = t
        if self.phase == "setup":
            self._check_setup(t, image, points)
            return self.status()
        if self.phase == "countdown":
            if t - self._phase_t0 >= self.params.protocol_countdown_s:
                self._start_task()
                self._phase_t0 = t
            else:
                return self.status()
        if self.phase == "recording":
            task = self._task()
            if t - self._phase_t0 >= task.duration_s:
                self._end_task()
                if self.done:
                    return self.status()
                self._enter("countdown")
                self._phase_t0 = t
                return self.status()
            self._record(t, image, points, n_faces)
        return self.status()

    def _start_task(self) -> None:
        task = self._task()
        self._clip = self.store.begin_clip(self.session, task.key, source_name=self.source_name)
        self._times, self._points, self._faces = [], [], []
        self._warnings = []
        self._clip_setups, self._next_setup_t = [], -math.inf
        self.dropped_frames = 0
        self._writer = None
        self._video_path = self.store.recording_path(self._clip, ".mp4") if self.record_video else None
        self.phase = "recording"

    def _record(self, t: float, image, points, n_faces: int) -> None:

        if image is not None:
            h, w = image.shape[:2]
            if self._writer is None and self._video_path is not None:
                self._open_writer(w, h)
            if self._writer is not None:
                if (w, h) == self._size:
                    self._writer.write(np.ascontiguousarray(image))
                elif "size" not in self._warnings:
                    self._warnings.append("size")
        if points is not None and t >= self._next_setup_t:
            # How this clip was recorded (distance, pose, light), twice a second: a later session
            # is checked against it (synkimeter.usecases.setup_check.baseline_setup).

            h, w = image.shape[:2] if image is not None else (0, 0)
            self._clip_setups.append(measure_setup(points, image, w, h))
            self._next_setup_t = t + 0.5
        if points is None:
            points = np.full((N_LANDMARKS, 3), np.nan, np.float32)
            n_faces = 0
        self._times.append(t)
        self._points.append(np.asarray(points, np.float32))
        self._faces.append(int(n_faces))

    def _open_writer(self, w: int, h: int) -> None:

        self._size = (w, h)
        writer = cv2.VideoWriter(str(self._video_path), cv2.VideoWriter.fourcc(*"mp4v"), float(self.video_fps), (w, h))
        if writer.isOpened():
            self._writer = writer
        else:
            writer.release()
            self._video_path = None
            self._warnings.append("The video of this task could not be written (no MP4 encoder); "
                                  "its landmarks were kept.")

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def _series(self):

        times = np.asarray(self._times, np.float64)
        t0 = times[0] if times.size else 0.0
        fps = (times.size - 1) / (times[-1] - t0) if times.size > 1 and times[-1] > t0 else math.nan
        warnings = [w for w in self._warnings if w != "size"]
        if "size" in self._warnings:
            warnings.append("The camera changed its picture size during this task; "
                            "the video holds the first size only.")
        if self.dropped_frames:
            warnings.append(f"{self.dropped_frames} camera frames were skipped because the computer was busy; "
                            "the measurement used the frames' own times.")
        h = w = 0
        if self._size != (0, 0):
            w, h = self._size
        return LandmarkSeries(
            timestamps_s=times - t0,
            points=np.stack(self._points) if self._points else np.zeros((0, 478, 3), np.float32),
            n_faces=np.asarray(self._faces, np.int8),
            width=w, height=h, fps=fps,
            source=f"{self.source_name or 'camera'} ({self.current.key})",
            warnings=warnings,
            optical_flow_points=flow_indices(self.params),
        )

    def _end_task(self) -> None:

        task = self._task()
        self.phase = "saving"
        self._close_writer()
        video = self._video_path if self._video_path is not None and self._video_path.is_file() else None
        clip = self._clip
        assert clip is not None, "a task being saved has its clip"
        try:
            series = self._series()
            # One face mesh runs through the whole session: a task's first frame is not a new face.
            analysis = analyze_series(series, self.params, affected_side=self.patient.affected_side,
                                      settled_at_start=True)
            measured = analysis.result
            check = check_task(task.key, measured.expressions, task.repetitions)
            if check is not None and not check.happened:
                # A task that did not happen is never scored: the clip fails with the reason.
                raise TaskNotSeen(f"{task.title}: {check.words()}")
            setup = median_setup(self._clip_setups)
            document = replace(measured, setup=setup.to_dict() if setup is not None else None).to_json()
            document["dropped_frames"] = int(self.dropped_frames)  # for the report's source line
            document["preview_mirrored"] = self.preview_mirrored
            document["video_mirrored"] = False
            saved = keep_clip(self.store, clip, summary=document, analysis=analysis, series=series, video=video)
            result = self._result(task, saved, measured)
            if check is not None:
                result.text += f" ({check.words()})"
            self.finished.append(result)
        except (ClipError, StoreError, TaskNotSeen) as exc:
            message = str(exc)
            try:
                self.store.fail_clip(clip, message)
            except StoreError:
                pass
            if video is not None:
                video.unlink(missing_ok=True)
            self.finished.append(TaskResult(task.key, task.title, False, clip.id,
                                            message if isinstance(exc, TaskNotSeen)
                                            else f"{task.title}: could not be measured. {message}"))
        self._clip = None
        self._video_path = None
        self.index += 1
        if self.index >= len(self.protocol.tasks):
            self.session = self.store.finish_session(self.session, "complete")
            self.phase = "done"
            self._say_what_happened()

    def _say_what_happened(self) -> None:
        """The ending says what was recorded: 'All done' only when every task of the session was;
        otherwise 'N of M tasks recorded' with the missing ones named (to redo into this session)."""
        session = self.session
        assert session is not None, "a finished protocol has its session"
        self.missing = missing_tasks(self.store.clips(session))
        planned = PROTOCOL_TASKS.get(session.protocol, tuple(t.key for t in self.protocol.tasks))
        if not self.missing:
            self._ending, self.message = "All done", "All done. Thank you! Your results are saved."
            return
        recorded = len([k for k in planned if k not in self.missing])
        self._ending = f"{recorded} of {len(planned)} tasks recorded"
        self.message = (f"{self._ending}. Not recorded: {task_titles(self.missing)}. "
                        "The others are saved; press “Redo these now” to record only "
                        f"{'this one' if len(self.missing) == 1 else 'these'} into the same session.")

    def _result(self, task: Task, saved: SavedClip, measured: ClipResult) -> TaskResult:
        clip = saved.clip
        values: dict = {}
        if task.key == "natural_blinking":
            parts = []
            for side in SIDES:
                coupling = measured.ocular_oral.side(side)
                v = number(coupling.average_peak_mm)  # as the stored document holds it
                if v is not None:
                    values[side] = v
                    ci = interval(*coupling.average_ci95_mm)
                    parts.append(f"{side} {words_mm(v)} ({ci + ', ' if ci else ''}{band(v, self.params)})")
            n = len(measured.blinks)
            text = (f"{task.title}: {n} blink{'s' if n != 1 else ''}; mouth corners moved "
                    + (", ".join(parts) if parts else "(not enough blinks to measure)"))
        elif task.key in NARROWING_TASKS:
            parts = []
            for side in SIDES:
                narrowed = saved.narrowing.get(side)
                if narrowed is not None and math.isfinite(narrowed.pct):
                    values[side] = float(narrowed.pct)
                    parts.append(f"{side} {narrowed.pct:.0f} %")
            text = f"{task.title}: eyes narrowed " + (", ".join(parts) if parts else "(no rest to compare with)")
        elif task.key in ("gentle_closure", "forceful_blink"):
            n = len(measured.blinks) + len(measured.eye_closures)
            text = f"{task.title}: {n} eye closure{'s' if n != 1 else ''} recorded"
        else:
            text = f"{task.title}: recorded"
        return TaskResult(task.key, task.title, True, clip.id, text, values)

    def interrupt(self, message: str) -> RunnerStatus:
        """Stop here: the finished tasks are kept, the task being recorded is marked failed with
        `message`, and the session is marked 'incomplete'."""
        if self.done:
            return self.status()
        self._close_writer()
        if self._clip is not None:
            try:
                self.store.fail_clip(self._clip, message)
            finally:
                if self._video_path is not None:
                    self._video_path.unlink(missing_ok=True)
                self._clip = None
        if self.session is None:  # stopped while getting ready: nothing was recorded
            self.phase = "interrupted"
            self.message = f"{message} Nothing was recorded."
            return self.status()
        if self.redo_session is not None:
            # A redo stopped part way: the session keeps what it had (and what the redo added), and
            # the tasks still not recorded leave it 'partial'.
            self.session = self.store.finish_session(self.session, "complete")
            self.phase = "interrupted"
            self.missing = missing_tasks(self.store.clips(self.session))
            self.message = f"{message} The session keeps the tasks recorded before."
            return self.status()
        self.session = self.store.finish_session(self.session, "incomplete")
        self.phase = "interrupted"
        kept = sum(1 for r in self.finished if r.ok)
        if not kept and self.store.discard_if_empty(self.session):  # no empty entry left in the history
            self.session = None
            self.message = f"{message} Nothing was recorded."
            return self.status()
        self.message = (f"{message} The session was stopped; {kept} finished task{'s were' if kept != 1 else ' was'} "
                        "kept and it is marked incomplete.")
        return self.status()

    # -- what to show -----------------------------------------------------------------------------
    def status(self) -> RunnerStatus:
        n = len(self.protocol.tasks)
        task = self.current
        done_s = sum(t.duration_s for t in self.protocol.tasks[: self.index])
        elapsed = (self._last_t - self._phase_t0) if (self._last_t is not None and self._phase_t0 is not None) else 0.0
        cue, left, action, rep = "", 0.0, False, 0
        instruction = task.instruction if task else ""
        setup: tuple[str, ...] = ()
        if self.phase == "setup":
            check = self.setup_check
            setup = check.instructions if check is not None else ()
            cue = check.words if check is not None else "Looking for your face…"
            instruction = ("Sit as at your first recording" if self.baseline_setup is not None else SIT_WORDS) + (
                ", facing the camera, in even light. The first task starts when everything is right.")
        elif self.phase == "countdown" and task is not None:
            cue = f"Get ready: {task.title.lower()}"
            left = max(0.0, self.params.protocol_countdown_s - elapsed)
        elif self.phase == "recording" and task is not None:
            _, step, left = task.step_at(elapsed)
            cue, action, rep = step.cue, step.action, step.repetition
            done_s += min(elapsed, task.duration_s)
        elif self.phase == "done":
            cue = self._ending
        elif self.phase == "interrupted":
            cue = "Stopped"
        return RunnerStatus(
            phase=self.phase, protocol_title=self.protocol.title, task_index=self.index, task_count=n,
            task_key=task.key if task else "", task_title=task.title if task else "",
            instruction=instruction, cue=cue, seconds_left=left, action=action,
            repetition=rep, repetitions=task.repetitions if task else 0,
            progress=min(1.0, done_s / self._total) if self.phase != "done" else 1.0,
            finished=list(self.finished), message=self.message,
            session_id=self.session.id if self.session is not None else None, dropped_frames=self.dropped_frames,
            setup=setup, missing=self.missing)


def record_protocol(source, runner: ProtocolRunner, params: Settings = DEFAULT_SETTINGS, *, mesh=None,
                    stop: threading.Event | None = None,
                    on_frame: Callable[[object, object], None] | None = None,
                    on_status: Callable[[RunnerStatus], None] | None = None,
                    on_opened: Callable[[object], None] | None = None,
                    skip_setup: threading.Event | None = None) -> RunnerStatus:
    """Run `runner` (begun or not) on `source` until the protocol is done, the source ends or fails, or
    `stop` is set. `mesh` is a FaceMeshExtractor-like object (made here when None); `on_frame(frame,
    observation)` after each frame (for a preview), `on_status(status)` when what the screen shows
    changes (at most every 0.1 s of frame time, and on every change of phase or step). Setting
    `skip_setup` goes on without waiting for the set-up check (`ProtocolRunner.skip_setup`)."""

    stop = stop or threading.Event()
    try:
        source.open()
    except SourceError as exc:
        if runner.session is not None:
            return runner.interrupt(str(exc))
        raise
    if on_opened is not None:
        on_opened(source)
    if runner.phase == "idle":
        runner.begin()
    if mesh is None:

        mesh = FaceMeshExtractor(params)
    fps = source.fps if getattr(source, "fps", None) else 30.0
    reader = RecordingReader(source, int(max(2.0, params.protocol_queue_s * fps)))
    last_key, last_emit = None, -math.inf
    dropped_base = 0
    try:
        with mesh:
            while not runner.done:
                if stop.is_set():
                    runner.interrupt("The recording was stopped before the end.")
                    break
                if skip_setup is not None and skip_setup.is_set() and runner.phase == "setup":
                    runner.skip_setup()
                frame = reader.get(timeout=0.1)
                if frame is None:
                    if reader.exhausted:
                        if reader.error is not None:
                            raise reader.error
                        runner.interrupt("The video ended before the session was finished.")
                        break
                    continue
                obs = mesh.process(frame.image, frame.timestamp_s)
                if runner.phase != "recording":
                    dropped_base = reader.dropped  # frames dropped are counted per clip
                runner.dropped_frames = reader.dropped - dropped_base
                status = runner.feed(frame.timestamp_s, frame.image, obs.points if obs.has_face else None, obs.n_faces)
                if on_frame is not None:
                    on_frame(frame, obs)
                if on_status is not None:
                    step = (status.phase, status.task_index, status.cue, status.repetition)
                    if step != last_key or frame.timestamp_s - last_emit >= 0.1:
                        last_key, last_emit = step, frame.timestamp_s
                        on_status(status)
    except SourceError as exc:
        runner.interrupt(str(exc))
    except BaseException:
        try:
            runner.interrupt("The recording stopped because of an internal error.")
        finally:
            raise
    finally:
        reader.stop()
        source.close()
    status = runner.status()
    if on_status is not None:
        on_status(status)
    return status


__all__ = ["Step", "Task", "Protocol", "TaskResult", "RunnerStatus", "ProtocolRunner", "protocol", "task",
           "record_protocol", "redo_protocol", "task_titles", "PROTOCOL_KEYS", "SIT_WORDS", "TASK_TEXT"]
