"""Retraining practice (issue 8): the Qt-free judge on replayed sample clips, targets, history.

The judge is fed the face-mesh landmarks of the sample clips frame by frame, as the window would.
Target for these tests, as the practice mode sets it for the patient: their baseline is
right_3mm.mp4 imported as a 'baseline' session (affected side right, median blink peak 2.56 mm), so
the first set's target is half of it, 1.30 mm (rounded to 0.05 mm; above the 0.4 mm healthy floor).
Practising, that patient's coupled blinks (right_3mm.mp4 again) must be judged coupled and clean
blinks (healthy.mp4: what the same patient does once retrained) clean.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from synkimeter.store import Store
from synkimeter.usecases.practice import (
    Baseline,
    Metronome,
    PracticeJudge,
    history,
    plan_for_patient,
    plan_target,
    replay,
    save_set,
    streak_days,
    weekly_trend,
)
from synkimeter.usecases.saving import import_video
from synkimeter.usecases.settings import DEFAULT_SETTINGS
from synkimeter_dev.simulate import SimBlink, simulate

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
PATIENT = "PX-PRACTICE"


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Landmarks of the two sample clips, extracted once (and saved as .npz for the store import)."""
    from synkimeter.landmarks import extract_landmarks

    folder = tmp_path_factory.mktemp("landmarks")
    out = {}
    for name in ("right_3mm", "healthy"):
        series = extract_landmarks(str(SAMPLES / f"{name}.mp4"))
        out[name] = (series, series.save_npz(folder / f"{name}.npz"))
    return out


@pytest.fixture
def store(tmp_path, clips):
    """A store with the patient's baseline: right_3mm imported as a baseline session."""
    with Store(tmp_path / "data") as s:
        import_video(s, clips["right_3mm"][1], PATIENT, kind="baseline", affected_side="right", date="2025-01-10")
        yield s


def _truth_apexes(name: str) -> np.ndarray:
    import json

    truth = json.loads((SAMPLES / f"{name}.truth.json").read_text())
    return np.array([b["apex_s"] for b in truth["blinks"]])


def _run(series, target: float, side: str = "right", count: int = 20) -> PracticeJudge:
    judge = PracticeJudge("blink", side, target, DEFAULT_SETTINGS, count=count)
    replay(judge, series.timestamps_s, series.points)
    return judge


def test_target_from_the_patients_baseline(store):
    plan, side = plan_for_patient(store, PATIENT, "blink")
    assert side == "right"
    # right_3mm imposes 3 mm; the target is half the baseline (to 0.1 mm)
    assert plan.baseline is not None and plan.baseline.value == pytest.approx(3.0, rel=0.15)
    assert plan.target == pytest.approx(plan.baseline.value / 2, abs=0.051)
    assert plan.target >= DEFAULT_SETTINGS.healthy_floor_mm
    assert "baseline" in plan.why


def test_coupled_blinks_are_judged_coupled_and_land_in_the_history(clips, store):
    plan, side = plan_for_patient(store, PATIENT, "blink")
    judge = _run(clips["right_3mm"][0], plan.target, side)
    attempts = judge.attempts
    apexes = _truth_apexes("right_3mm")
    # every blink after the set's first 1.5 s (calibration) is found, once, near its true apex
    assert len(attempts) == int((apexes > DEFAULT_SETTINGS.practice_calibration_s).sum()) == 9
    for a in attempts:
        assert np.min(np.abs(apexes - a.apex_s)) < 0.07
        assert a.judged and a.clean is False, a
        # 3 mm imposed; the offline analysis reads 2.5-3.0 mm (2.2-2.7 before the peak-keeping filter
        # was shortened to 0.1 s, commissure_smoothing_s)
        assert a.value == pytest.approx(2.75, abs=0.5)
        assert a.other_value < 1.2
        assert a.decided_s - a.apex_s <= DEFAULT_SETTINGS.practice_judge_window_s + 0.034
    result = judge.result(started_at="2025-02-03T18:00:00", source_name="right_3mm.mp4")
    # 2.84 mm of the 3 mm imposed (2.5 before commissure_smoothing_s 0.2 -> 0.1 s)
    assert result.score == 0.0 and result.median_value == pytest.approx(2.8, abs=0.3)
    set_id, hist = save_set(store, PATIENT, result)
    (row,) = store.practice_sets(store.patient(PATIENT))
    assert row["id"] == set_id and row["clean"] == 0 and row["judged"] == 9 and row["target"] == plan.target
    assert len(row["attempts_json"]) == 9 and row["attempts_json"][0]["clean"] is False
    assert hist.total_sets == 1


def test_clean_blinks_are_judged_clean_and_land_in_the_history(clips, store):
    plan, side = plan_for_patient(store, PATIENT, "blink")
    judge = _run(clips["healthy"][0], plan.target, side)
    attempts = judge.attempts
    assert len(attempts) == 8
    for a in attempts:
        assert a.judged and a.clean is True, a
        assert a.value < 0.6  # offline: 0.24-0.41 mm
    result = judge.result(started_at=f"{date.today().isoformat()}T08:00:00", source_name="healthy.mp4")
    assert result.score == 1.0
    _, hist = save_set(store, PATIENT, result)
    assert hist.streak_days == 1 and hist.sets_today == 1
    assert hist.weeks[-1].clean == 8 and hist.weeks[-1].judged == 8
    (row,) = store.practice_sets(store.patient(PATIENT), "blink")
    assert row["clean"] == row["judged"] == 8


def test_healthy_clip_against_the_healthy_floor(clips):
    """At the strictest goal there is (0.4 mm, the healthy floor), the healthy clip's blinks are still
    mostly clean: the per-blink reading of a still, healthy face is 0.2-0.45 mm."""
    judge = _run(clips["healthy"][0], DEFAULT_SETTINGS.healthy_floor_mm)
    assert judge.result().score >= 0.75


def test_a_set_ends_after_its_count(clips):
    judge = _run(clips["right_3mm"][0], 1.3, count=3)
    assert judge.done and len(judge.attempts) == 3 and judge.status.phase == "done"


def test_left_side_judges_the_left_corner(clips):
    """The coupling on right_3mm is on the right: practising for the left side, it reads clean."""
    judge = _run(clips["right_3mm"][0], 1.3, side="left")
    assert judge.attempts and all(a.clean for a in judge.attempts)


def test_no_face_is_not_judged():
    judge = PracticeJudge("blink", "right", 1.0)
    for i in range(100):
        assert judge.push(i / 30, None) == []
    assert judge.status.phase == "waiting" and judge.calibration is None


def _with_mouth(track, kind, cues, p=DEFAULT_SETTINGS):
    """The track's mouth does the asked movement in each hold: a pucker brings both corners inwards
    by 10 % of the mouth's width each, a smile moves both 6 mm up and out."""
    from synkimeter.core.anatomy import COMMISSURE, IRIS_CENTRE
    from synkimeter_dev.simulate import base_mm_per_px

    pts = track.points.copy()
    face = pts[0].astype(np.float64)
    across = face[IRIS_CENTRE["left"], :2] - face[IRIS_CENTRE["right"], :2]
    across /= np.linalg.norm(across)
    up = np.array([across[1], -across[0]])
    width = np.linalg.norm(face[COMMISSURE["left"], :2] - face[COMMISSURE["right"], :2])
    t = track.timestamps_s
    w = np.zeros(t.size)
    for c in cues:
        w = np.maximum(w, np.clip(np.minimum(t - c, c + p.practice_move_hold_s + 0.2 - t) / 0.2, 0, 1))
    for side in ("right", "left"):
        out = across if side == "left" else -across
        move = -0.1 * width * out if kind == "pucker" else (6.0 / base_mm_per_px()) * (up + out) / np.sqrt(2)
        pts[:, COMMISSURE[side], :2] += (w[:, None] * move).astype(np.float32)
    return pts


@pytest.mark.parametrize("kind", ["pucker", "smile"])
def test_a_round_whose_mouth_never_moves_is_not_seen_never_clean(kind):
    """A face that never puckers (or smiles) does not score clean rounds: each is 'not seen'."""
    from synkimeter.usecases.practice import REASON_NOT_SEEN

    p = DEFAULT_SETTINGS
    first = p.practice_calibration_s + p.practice_move_interval_s / 3
    cues = [first + k * p.practice_move_interval_s for k in range(3)]
    track = simulate(duration_s=cues[-1] + p.practice_move_interval_s, jitter_px=0.25, seed=6)
    judge = PracticeJudge(kind, "right", 15.0, p, count=3)
    replay(judge, track.timestamps_s, track.points)
    assert len(judge.attempts) == 3
    assert all(a.clean is None and a.reason == REASON_NOT_SEEN for a in judge.attempts)
    done = PracticeJudge(kind, "right", 15.0, p, count=3)
    replay(done, track.timestamps_s, _with_mouth(track, kind, cues))
    assert [a.clean for a in done.attempts] == [True] * 3


@pytest.mark.parametrize("kind", ["pucker", "smile"])
def test_eye_narrowing_during_pucker_and_smile(kind):
    """Oral-ocular direction on constructed tracks: a right eye that narrows by ~30 % in each hold is
    told at once; one that stays open (a blink in each hold, left out) is clean."""
    p = DEFAULT_SETTINGS
    cal_end = p.practice_calibration_s
    first = cal_end + p.practice_move_interval_s / 3
    cues = [first + k * p.practice_move_interval_s for k in range(3)]
    duration = cues[-1] + p.practice_move_interval_s
    target = 15.0 if kind == "pucker" else 28.0
    verdicts = {}
    for depth in (0.0, 0.4):
        blinks = [SimBlink(apex_s=c + 1.0) for c in cues]
        if depth:
            blinks += [SimBlink(apex_s=c + 1.4, eye="right", depth=depth, close_s=0.3, hold_s=1.6, open_s=0.3) for c in cues]
        track = simulate(duration_s=duration, blinks=sorted(blinks, key=lambda b: b.apex_s), jitter_px=0.25, seed=5)
        judge = PracticeJudge(kind, "right", target, p, count=3)
        replay(judge, track.timestamps_s, _with_mouth(track, kind, cues))
        assert judge.metronome.start_s == pytest.approx(first, abs=0.05)
        verdicts[depth] = judge.attempts
    assert [a.clean for a in verdicts[0.0]] == [True] * 3
    assert all(abs(a.value) < 5 for a in verdicts[0.0])
    assert [a.clean for a in verdicts[0.4]] == [False] * 3
    for a in verdicts[0.4]:
        assert a.value > target and a.other_value < 5
        # told during the hold, not at its end
        assert a.decided_s - a.onset_s < p.practice_move_hold_s - 0.5


def test_metronome():
    m = Metronome(2.0, 4.0)
    assert m.at(1.0).number == 0 and m.at(1.0).until_next_s == pytest.approx(1.0)
    assert m.at(2.0).number == 1 and m.at(2.0).since_s == pytest.approx(0.0)
    cue = m.at(7.0)
    assert cue.number == 2 and cue.since_s == pytest.approx(1.0) and cue.fraction == pytest.approx(0.25)


def test_targets_start_from_baseline_floor_and_tighten():
    p = DEFAULT_SETTINGS
    base = Baseline(2.56, "2025-01-10", "right")
    assert plan_target("blink", base, [], p).target == pytest.approx(1.3)
    assert plan_target("blink", Baseline(0.5, "2025-01-10", "right"), [], p).target == p.healthy_floor_mm
    assert plan_target("blink", None, [], p).target == p.practice_default_target_mm
    assert plan_target("pucker", Baseline(30.0, "2025-01-10", "right"), [], p).target == 15.0
    assert plan_target("smile", Baseline(30.0, "2025-01-10", "right"), [], p).target == p.practice_smile_floor_pct

    good = {"kind": "blink", "target": 1.3, "judged": 20, "clean": 18}
    bad = {"kind": "blink", "target": 1.3, "judged": 20, "clean": 5}
    once = plan_target("blink", base, [good], p)
    assert once.target == 1.3 and not once.tightened  # one good set is not yet enough
    twice = plan_target("blink", base, [bad, good, good], p)
    assert twice.tightened and twice.target == pytest.approx(1.1)  # 1.3 x 0.85, to 0.05 mm
    mixed = plan_target("blink", base, [good, bad], p)
    assert mixed.target == 1.3 and not mixed.tightened
    # at the new target the count starts again
    assert not plan_target("blink", base, [good, good, {**good, "target": 1.1}], p).tightened
    # never below the floor
    low = [{"kind": "blink", "target": p.healthy_floor_mm + 0.05, "judged": 20, "clean": 20}] * 2
    assert plan_target("blink", base, low, p).target == p.healthy_floor_mm
    # a goal stored under an older, lower floor comes back up to it
    older = [{"kind": "blink", "target": p.healthy_floor_mm - 0.3, "judged": 20, "clean": 5}]
    assert plan_target("blink", base, older, p).target == p.healthy_floor_mm


def test_streak_and_weeks():
    today = date(2025, 3, 12)  # a Wednesday
    days = [today - timedelta(days=d) for d in (0, 1, 2, 4)]
    assert streak_days(days, today) == 3
    assert streak_days(days[1:], today) == 2  # not yet today: the streak is still alive
    assert streak_days(days[2:], today) == 0
    sets = [{"started_at": f"{d.isoformat()}T10:00:00", "judged": 20, "clean": 10 + i} for i, d in enumerate(days)]
    weeks = weekly_trend(sets, today, 3)
    assert [w.start for w in weeks] == [date(2025, 2, 24), date(2025, 3, 3), date(2025, 3, 10)]
    assert [w.sets for w in weeks] == [0, 1, 3]
    assert weeks[-1].score == pytest.approx((10 + 11 + 12) / 60)
    assert math.isnan(weeks[0].score)
    h = history(sets, today)
    assert h.streak_days == 3 and h.sets_today == 1 and len(h.weeks) == DEFAULT_SETTINGS.practice_trend_weeks


def test_practice_command_registers_its_options():
    import argparse

    from synkimeter.cli.practice import add_commands, cmd_practice

    parser = argparse.ArgumentParser(prog="synkimeter")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["practice", "--source", "clip.mp4", "--patient", "PX-1", "--side", "left", "--blinks", "12"])
    assert (args.source, args.patient, args.side, args.blinks, args.kind) == ("clip.mp4", "PX-1", "left", 12, "blink")
    assert args.func is cmd_practice
    with pytest.raises(SystemExit) as refused:  # --blinks is range-checked where it is parsed
        parser.parse_args(["practice", "--blinks", "0"])
    assert refused.value.code == 2
