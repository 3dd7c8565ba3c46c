"""Synkinesis grades from measurement (issue 27): each of the five Sunnybrook movements graded 0-3 from its
measured quantity at and around each band edge, from constructed eye-fissure tracks and closure results;
a task not seen gets no grade (never 0) and then no sum; the eFACE-style items' direction (100 = none)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synkimeter.core.grades import (
    MOVEMENTS,
    closure_grade,
    midfacial_item,
    narrowing_grade,
    synkinesis_grades,
)
from synkimeter.core.oral_ocular import fissure_level, narrowing
from synkimeter.core.params import DEFAULT_MEASUREMENT as P

FPS = 30.0
REST_MM = 10.0


def _track(mm: float, seconds: float = 3.0, jitter_mm: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(int(seconds * FPS)) / FPS
    rng = np.random.default_rng(seed)
    return t, mm + jitter_mm * rng.standard_normal(t.size)


def _narrowed(pct: float, rest_mm: float = REST_MM):
    """One eye's narrowing from a constructed rest track and a task track held at `pct` below it."""
    rest = fissure_level(*_track(rest_mm), kind="open")
    task = fissure_level(*_track(rest_mm * (1.0 - pct / 100.0)), kind="active")
    return narrowing(rest, task)


ALL_SEEN = {m: True for m in MOVEMENTS}


def _closure(right_mm: float | None, left_mm: float | None = 0.3) -> dict:
    def side(mm):
        return None if mm is None else {"median_mm": mm, "ci95_mm": [mm - 0.2, mm + 0.2], "n": 2}

    return {"right": side(right_mm), "left": side(left_mm)}


EDGES_PCT = (P.grade_narrowing_mild_pct, P.grade_narrowing_moderate_pct, P.grade_narrowing_severe_pct)
EDGES_MM = (P.healthy_floor_mm, P.moderate_mm, P.severe_mm)


@pytest.mark.parametrize("edge", range(3))
@pytest.mark.parametrize("movement", ["brow_lift", "pucker"])
def test_own_eye_narrowing_is_graded_at_and_around_each_edge(movement, edge):
    for delta, expected in ((-0.2, edge), (0.0, edge + 1), (0.2, edge + 1)):
        pct = EDGES_PCT[edge] + delta
        narrowings = {movement: {"right": _narrowed(pct), "left": _narrowed(1.0)}}
        g = synkinesis_grades(narrowings, None, ALL_SEEN, "right").movement(movement)
        assert g.value == pytest.approx(pct, abs=1e-6) and g.unit == "%" and g.side == "right"
        assert g.grade == expected, (movement, pct, g)
        assert "eye narrowing" in g.quantity and "right side (affected)" in g.quantity


@pytest.mark.parametrize("edge", range(3))
@pytest.mark.parametrize("movement", ["smile", "snarl"])
def test_smile_and_snarl_are_graded_on_the_narrowing_beyond_the_other_eye(movement, edge):
    healthy = 22.0  # a healthy eye narrows ~22 % in a big smile
    for delta, expected in ((-0.2, edge), (0.0, edge + 1), (0.2, edge + 1)):
        beyond = EDGES_PCT[edge] + delta
        narrowings = {movement: {"left": _narrowed(healthy + beyond), "right": _narrowed(healthy)}}
        g = synkinesis_grades(narrowings, None, ALL_SEEN, "left").movement(movement)
        assert g.value == pytest.approx(beyond, abs=1e-6) and g.grade == expected, (movement, beyond, g)
        assert g.quantity.startswith("eye narrowing beyond the other eye")
    # both eyes narrowing alike in a big smile is healthy: grade 0, though each eye narrowed 22 %
    narrowings = {movement: {"left": _narrowed(healthy), "right": _narrowed(healthy)}}
    assert synkinesis_grades(narrowings, None, ALL_SEEN, "left").movement(movement).grade == 0


@pytest.mark.parametrize("edge", range(3))
def test_mouth_corner_movement_during_eye_closure_is_graded_at_and_around_each_edge(edge):
    for delta, expected in ((-0.01, edge), (0.0, edge + 1), (0.01, edge + 1)):
        mm = EDGES_MM[edge] + delta
        g = synkinesis_grades({}, _closure(mm), ALL_SEEN, "right").movement("gentle_closure")
        assert g.value == pytest.approx(mm) and g.unit == "mm" and g.grade == expected, (mm, g)
        assert g.ci95 == pytest.approx((mm - 0.2, mm + 0.2))


def test_grade_bands_below_zero_and_far_above():
    assert narrowing_grade(-12.0) == 0 and narrowing_grade(95.0) == 3 and narrowing_grade(math.nan) is None
    assert closure_grade(0.0) == 0 and closure_grade(9.0) == 3 and closure_grade(math.nan) is None


def test_a_jittery_track_gives_an_interval_around_its_value():
    rest = fissure_level(*_track(REST_MM, 5.0, 0.3, 1), kind="open")
    task = fissure_level(*_track(REST_MM * 0.75, 5.0, 0.3, 2), kind="active")
    g = synkinesis_grades({"pucker": {"right": narrowing(rest, task), "left": _narrowed(0.0)}}, None,
                          ALL_SEEN, "right").movement("pucker")
    lo, hi = g.ci95
    assert lo < g.value < hi and hi - lo < 10 and g.grade == narrowing_grade(g.value)


def _full_session(**overrides):
    narrowings = {"brow_lift": {"right": _narrowed(12.0), "left": _narrowed(-5.0)},
                  "smile": {"right": _narrowed(45.0), "left": _narrowed(20.0)},
                  "snarl": {"right": _narrowed(15.0), "left": _narrowed(14.0)},
                  "pucker": {"right": _narrowed(31.0), "left": _narrowed(2.0)}}
    narrowings.update(overrides)
    return narrowings


def test_all_five_graded_give_the_sum_and_the_eface_items():
    g = synkinesis_grades(_full_session(), _closure(2.5), ALL_SEEN, "right")
    assert [m.movement for m in g.movements] == list(MOVEMENTS)
    assert [m.grade for m in g.movements] == [1, 3, 2, 0, 3]
    assert g.graded == 5 and g.sunnybrook_sum == 9
    assert g.label == "from measurement, to support a clinician's grading"
    # eFACE-style: 100 = none; a strongly narrowing affected eye and a 2.5 mm pull read well under 100
    assert set(g.eface) == {"ocular", "midfacial", "mentalis"}
    assert 0 <= g.eface["ocular"] < 80 and 0 <= g.eface["midfacial"] < 60 and g.eface["mentalis"] is None
    assert midfacial_item(P.healthy_floor_mm) == 100.0 and midfacial_item(0.1) == 100.0
    assert midfacial_item(P.eface_midfacial_zero_mm) == 0.0 and midfacial_item(math.nan) is None
    healthy = synkinesis_grades(_full_session(pucker={"right": _narrowed(2.0), "left": _narrowed(2.0)},
                                              smile={"right": _narrowed(22.0), "left": _narrowed(22.0)}),
                                _closure(0.4), ALL_SEEN, "right")
    assert healthy.eface["ocular"] > 95 and healthy.eface["midfacial"] == 100.0


@pytest.mark.parametrize("missing", MOVEMENTS)
def test_a_task_not_seen_gets_no_grade_and_no_sum(missing):
    seen = {**ALL_SEEN, missing: False}
    g = synkinesis_grades(_full_session(), _closure(2.5), seen, "right")
    m = g.movement(missing)
    assert m.grade is None and math.isnan(m.value) and m.status == "not seen"
    assert g.graded == 4 and g.sunnybrook_sum is None
    assert all(o.grade is not None for o in g.movements if o.movement != missing)


def test_seen_but_not_measurable_gets_no_grade_either():
    # no closure result in the clip's document (older documents), no rest to compare the snarl with
    g = synkinesis_grades(_full_session(snarl={}), None, ALL_SEEN, "right")
    assert g.movement("gentle_closure").grade is None and g.movement("gentle_closure").status == "not measured"
    assert g.movement("snarl").grade is None and g.sunnybrook_sum is None and g.graded == 3
    assert g.eface["midfacial"] is None
    nothing = synkinesis_grades({}, None, {}, None)
    assert nothing.graded == 0 and nothing.sunnybrook_sum is None
    assert all(m.grade is None and m.status == "not seen" for m in nothing.movements)
    assert nothing.eface == {"ocular": None, "midfacial": None, "mentalis": None}


def test_without_an_affected_side_the_side_that_moved_more_is_graded():
    g = synkinesis_grades({"pucker": {"right": _narrowed(3.0), "left": _narrowed(24.0)}},
                          _closure(0.2, 1.4), ALL_SEEN, None)
    assert g.movement("pucker").side == "left" and g.movement("pucker").grade == 2
    assert "the side that moved more" in g.movement("pucker").quantity
    assert g.movement("gentle_closure").side == "left" and g.movement("gentle_closure").grade == 2


# --- brow lift and snarl: checked before they are graded (core.task_check) ----------------------------
def _moved(moves, duration_s=8.0):
    """A still face (tests/test_expressions.py) with `moves` = [(part, mm, start_s, end_s), ...]: part
    "brow" lifts both brows, "upper_lip" the upper lip beside the philtrum, "corners" both mouth corners
    up and out along the smile's diagonal, "narrow" brings the corners in (mm each)."""
    from test_expressions import _ramp, _track

    from synkimeter.core.anatomy import BROW, COMMISSURE, IRIS_CENTRE, UPPER_LIP_OUTER
    from synkimeter_dev.simulate import base_mm_per_px

    t, pts = _track([], duration_s=duration_s)
    k = base_mm_per_px(pts[0].astype(np.float64))
    across = pts[0, IRIS_CENTRE["left"], :2] - pts[0, IRIS_CENTRE["right"], :2]
    across /= np.linalg.norm(across)
    up = np.array([across[1], -across[0]])
    for part, mm, start, end in moves:
        w = _ramp(t, start, end)[:, None]
        for side in ("right", "left"):
            out = across if side == "left" else -across
            if part == "brow":
                pts[:, list(BROW[side]), :2] += (w * up * mm / k)[:, None, :]
            elif part == "upper_lip":
                pts[:, list(UPPER_LIP_OUTER[side]), :2] += (w * up * mm / k)[:, None, :]
            elif part == "corners":
                pts[:, COMMISSURE[side], :2] += w * (up + out) / np.sqrt(2) * mm / k
            elif part == "narrow":
                pts[:, COMMISSURE[side], :2] -= w * out * mm / k
    return t, pts


def _found(moves):
    from test_expressions import _analyse

    from synkimeter.core.task_check import check_task

    t, pts = _moved(moves)
    segments = _analyse(t, pts).summary["expressions"]
    return {task: check_task(task, segments, 2).seen for task in ("brow_lift", "snarl", "smile", "pucker")}


def test_a_brow_lift_is_seen_and_is_no_snarl():
    seen = _found([("brow", 6.0, 2.0, 3.5), ("brow", 6.0, 5.0, 6.5)])
    assert seen["brow_lift"] == 2 and seen["snarl"] == 0 and seen["smile"] == 0


def test_a_small_brow_movement_is_no_brow_lift():
    # the mesh moves the brows 1-2 mm with blinks and gaze
    assert _found([("brow", 1.5, 2.0, 3.5)])["brow_lift"] == 0


def test_a_snarl_is_seen_and_is_no_brow_lift_or_smile():
    seen = _found([("upper_lip", 5.0, 2.0, 3.5), ("corners", 1.0, 2.0, 3.5),
                   ("upper_lip", 5.0, 5.0, 6.5), ("corners", 1.0, 5.0, 6.5)])
    assert seen["snarl"] == 2 and seen["brow_lift"] == 0 and seen["smile"] == 0


@pytest.mark.parametrize("other", [
    # a big smile lifts the upper lip too, but the corners further
    [("upper_lip", 6.0, 2.0, 4.0), ("corners", 9.0, 2.0, 4.0)],
    # a pucker pushes the upper lip up and forward, with the mouth narrowed
    [("upper_lip", 5.0, 2.0, 4.0), ("narrow", 6.0, 2.0, 4.0)],
    # a small lift of the lip: the mouth opening moves it 1-2 mm on real faces
    [("upper_lip", 1.8, 2.0, 4.0)],
])
def test_smiles_puckers_and_small_lip_movements_are_no_snarl(other):
    assert _found(other)["snarl"] == 0


# --- a stored session's grades, and the CLI table -------------------------------------------------------
def _levels(open_mm: dict, active_mm: dict) -> dict:
    return {side: {"open": {"mm": open_mm[side], "se_mm": 0.05, "frames": 90},
                   "active": {"mm": active_mm[side], "se_mm": 0.05, "frames": 90}} for side in ("right", "left")}


def _segment(kind: str, start: float = 1.0, end: float = 3.0) -> dict:
    return {"kind": kind, "start_s": start, "end_s": end, "side": "both", "confidence": 1.0,
            "size_mm": 5.0, "size_pct": None, "strength": None}


KIND_OF = {"brow_lift": "brow_raise", "gentle_closure": "eye_closure", "smile": "smile", "snarl": "snarl",
           "pucker": "pucker"}


def _store_session(store, pseudonym: str, narrowed: dict, closure: dict | None, seen=MOVEMENTS, side="right",
                   started_at="2026-01-05T10:00:00"):
    """A guided session built without the face mesh: a rest clip, and one clip per task whose stored
    result holds its fissure levels (each eye narrowed by `narrowed[task][side]` %), its expressions
    (the task's own only when it was `seen`) and, for gentle closure, `closure`."""
    from synkimeter.usecases.saving import save_clip

    patient, _ = store.get_or_create_patient(pseudonym, side)
    session = store.start_session(patient, "follow-up", protocol="full", started_at=started_at)
    rest = {"right": REST_MM, "left": REST_MM}
    save_clip(store, store.begin_clip(session, "rest"),
              summary={"fps": 30.0, "frames": 90, "face_frames": 90, "fissure_levels": _levels(rest, rest)})
    for task in MOVEMENTS:
        active = {s: REST_MM * (1 - narrowed.get(task, {}).get(s, 0.0) / 100) for s in ("right", "left")}
        document = {"fps": 30.0, "frames": 90, "face_frames": 90, "fissure_levels": _levels(rest, active),
                    "expressions": [_segment("rest", 0.0, 0.9)] + ([_segment(KIND_OF[task])] if task in seen else [])}
        if task == "gentle_closure" and closure is not None:
            document["closure_ocular_oral"] = closure
        save_clip(store, store.begin_clip(session, task), summary=document, finish_session=None)
    store.finish_session(session, "complete")
    return patient, session


NARROWED = {"brow_lift": {"right": 12.0, "left": 0.0}, "smile": {"right": 45.0, "left": 20.0},
            "snarl": {"right": 15.0, "left": 14.0}, "pucker": {"right": 31.0, "left": 2.0}}


def test_a_stored_session_is_graded_from_its_clips(tmp_path):
    from synkimeter.store import Store
    from synkimeter.usecases.grades import session_grades

    with Store(tmp_path / "store") as store:
        _, session = _store_session(store, "G-1", NARROWED, _closure(2.5))
        g = session_grades(store, session.id)
        assert [m.grade for m in g.movements] == [1, 3, 2, 0, 3] and g.sunnybrook_sum == 9
        assert g.movement("smile").value == pytest.approx(25.0, abs=0.01)
        assert g.movement("pucker").ci95[0] < 31.0 < g.movement("pucker").ci95[1]
        # the eFACE-style ocular item is the session's own ocular score (the same narrowings)
        assert g.eface["ocular"] == pytest.approx(store.session(session.id).ocular_score, abs=0.01)
        # the same session without the closure figure in its document (an older result): no closure grade
        _, older = _store_session(store, "G-2", NARROWED, None)
        g = session_grades(store, older.id)
        assert g.movement("gentle_closure").status == "not measured" and g.sunnybrook_sum is None
        # a snarl and a brow lift that did not happen in their clips (an imported clip): not seen, no sum
        _, unseen = _store_session(store, "G-3", NARROWED, _closure(2.5), seen=("gentle_closure", "smile", "pucker"))
        g = session_grades(store, unseen.id)
        assert g.movement("snarl").status == "not seen" and g.movement("brow_lift").grade is None
        assert g.graded == 3 and g.sunnybrook_sum is None


def _cli(capsys, *argv):
    from synkimeter.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_prints_each_grade_beside_its_quantity(tmp_path, capsys):
    from synkimeter.store import Store

    folder = tmp_path / "store"
    with Store(folder) as store:
        _store_session(store, "G-1", NARROWED, _closure(2.5), seen=("brow_lift", "gentle_closure", "smile", "pucker"))
    code, out, err = _cli(capsys, "grades", "G-1", "--data-dir", str(folder))
    assert code == 0 and not err
    assert "from measurement, to support a clinician's grading" in out
    lines = out.splitlines()
    (pucker,) = [line for line in lines if line.strip().startswith("lip pucker")]
    assert "eye narrowing, right side (affected)" in pucker and "31.0 %" in pucker and "3 severe" in pucker
    (closure,) = [line for line in lines if "gentle eye closure" in line]
    assert "mouth-corner movement" in closure and "2.50 mm" in closure and "2.30 to 2.70 mm" in closure
    assert closure.rstrip().endswith("3 severe")
    (snarl,) = [line for line in lines if line.strip().startswith("snarl")]
    assert snarl.rstrip().endswith("not seen") and " 0 " not in snarl
    assert "sum: not given (4 of 5" in out and "eFACE-style" in out and "mentalis not measured" in out

    code, out, _ = _cli(capsys, "grades", "G-1", "--session", "1", "--json", "--data-dir", str(folder))
    import json

    doc = json.loads(out)
    assert code == 0 and doc["sunnybrook_sum"] is None and doc["graded"] == 4
    assert [m["grade"] for m in doc["movements"]] == [1, 3, 2, None, 3]
    assert doc["movements"][3]["value"] is None and doc["movements"][3]["status"] == "not seen"
    with Store(folder) as store:  # reading grades is audited like other patient data
        assert any("grades" in row["detail"] for row in store.audit_log("G-1"))


def test_the_cli_takes_the_patients_own_session_number(tmp_path, capsys):
    """`grades --session N` means the patient's #N (as `sessions` lists it), not the store's row id."""
    import json

    from synkimeter.store import Store

    folder = tmp_path / "store"
    with Store(folder) as store:
        other = store.add_patient("OTHER")
        store.finish_session(store.start_session(other, "follow-up", started_at="2025-01-02T09:00:00"))
        _store_session(store, "G-1", NARROWED, _closure(2.5), seen=("brow_lift", "gentle_closure", "smile", "pucker"))
        (session,) = store.sessions(store.require_patient("G-1"))
        assert session.id != 1
    code, out, err = _cli(capsys, "grades", "G-1", "--session", "1", "--json", "--data-dir", str(folder))
    assert code == 0, err
    assert json.loads(out)["session"] == 1 and json.loads(out)["graded"] == 4


@pytest.mark.parametrize("argv, words", [
    (("grades", "NOBODY"), "There is no patient 'NOBODY'"),
    (("grades", "G-1", "--session", "99"), "has no session 99"),
    (("grades", "G-1", "--session", "x"), "is not a session number"),
    (("grades", "EMPTY"), "has no sessions yet"),
])
def test_bad_input_is_one_sentence_and_exit_2(tmp_path, capsys, argv, words):
    from synkimeter.store import Store

    folder = tmp_path / "store"
    with Store(folder) as store:
        _store_session(store, "G-1", NARROWED, _closure(2.5))
        store.add_patient("EMPTY")
    code, out, err = _cli(capsys, *argv, "--data-dir", str(folder))
    assert code == 2 and not out and words in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_the_patient_manager_shows_the_selected_sessions_grades(qtbot, tmp_path):
    from synkimeter.gui.patients import CurrentPatient, PatientManager
    from synkimeter.store import Store

    folder = tmp_path / "store"
    with Store(folder) as store:
        _store_session(store, "G-1", NARROWED, _closure(2.5), seen=("brow_lift", "gentle_closure", "smile", "pucker"))
    dialog = PatientManager(CurrentPatient("G-1"), store_factory=lambda: Store(folder))
    qtbot.addWidget(dialog)
    assert dialog.grades_table.rowCount() == 0  # no session chosen yet
    dialog.session_table.selectRow(0)
    table = dialog.grades_table
    rows = [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]
    assert [r[0] for r in rows] == ["brow lift", "gentle eye closure", "open-mouth smile", "snarl", "lip pucker"]
    assert rows[1][1].startswith("mouth-corner movement") and rows[1][2] == "2.50 mm" and rows[1][4] == "3 severe"
    assert rows[3][2] == "-" and rows[3][4] == "not seen"
    assert "to support a clinician's grading" in dialog.grades_title.text()
    assert "not given (4 of 5" in dialog.grades_summary.text() and "eFACE-style" in dialog.grades_summary.text()


def test_a_smile_imported_alone_gets_its_ocular_score_from_its_own_rest(tmp_path):
    """Issue 27's walk-through: an imported big-smile clip is a session of its own, with no rest clip.
    Its eye narrowing against the clip's own rest frames (what the grades use) gives the session's
    ocular score and the trend's smile narrowing, instead of '-'."""
    from synkimeter.store import Store
    from synkimeter.usecases.grades import session_grades
    from synkimeter.usecases.saving import save_clip
    from synkimeter.usecases.trends import patient_trends

    own = {side: {"pct": pct, "ci95_pct": [pct - 3.0, pct + 3.0], "rest_mm": 9.0, "task_mm": 9.0 * (1 - pct / 100)}
           for side, pct in (("right", 40.0), ("left", 10.0))}
    rest = {"right": REST_MM, "left": REST_MM}
    with Store(tmp_path / "store") as store:
        patient, _ = store.get_or_create_patient("G-SMILE", "right")
        session = store.start_session(patient, "follow-up", protocol="import", started_at="2026-02-02T10:00:00")
        save_clip(store, store.begin_clip(session, "smile"), finish_session="complete",
                  summary={"fps": 30.0, "frames": 90, "face_frames": 90, "fissure_levels": _levels(rest, rest),
                           "expressions": [_segment("rest", 0.0, 0.9), _segment("smile")],
                           "oral_ocular": {"narrowing": {"smile": own}}})
        score = store.session(session.id).ocular_score
        g = session_grades(store, session.id)
        smile = patient_trends(store, patient).get("narrowing_smile", "right")
    assert score is not None and score == pytest.approx(g.eface["ocular"], abs=0.01)
    assert score == pytest.approx(100 * 0.6 / 0.9, abs=0.1)  # the right eye's opening left against the left's
    assert [p.value for p in smile.points] == [pytest.approx(40.0)] and smile.points[0].ci_low == pytest.approx(37.0)
