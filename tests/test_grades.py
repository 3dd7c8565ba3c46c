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
