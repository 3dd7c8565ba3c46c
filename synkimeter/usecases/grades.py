"""A stored session's synkinesis grades (core/grades.py) from its task clips, and their words.

Per Sunnybrook movement the session's latest complete clip of that task counts. It is seen when the
task check (core.task_check, the expression finder's definition) finds the task in the clip's stored
expressions: a guided clip whose task did not happen is already stored as failed, an imported clip is
checked here. Each eye's narrowing is its task level against the session's rest clip (the levels the
store keeps with each clip, as the session's oral-ocular score uses them); without a rest clip, the
narrowing the clip measured against its own rest (a free clip's smile or pucker). Mouth-corner movement
during eye closure comes from the gentle-closure clip's `closure_ocular_oral` (none in older documents:
that movement is then not graded).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from synkimeter.core.anatomy import SIDES
from synkimeter.core.grades import GRADE_WORDS, MM_DIGITS, MOVEMENTS, PCT_DIGITS, MovementGrade, SynkinesisGrades
from synkimeter.core.grades import synkinesis_grades as _grades
from synkimeter.core.oral_ocular import Narrowing, narrowing
from synkimeter.core.params import DEFAULT_MEASUREMENT, MeasurementParams
from synkimeter.core.results import number
from synkimeter.core.task_check import check_task
from synkimeter.store.records import StoreError
from synkimeter.usecases.saving import NARROWING_TASKS, own_narrowing, stored_level

if TYPE_CHECKING:
    from synkimeter.store.database import Store

MOVEMENT_NAMES = {"brow_lift": "brow lift", "gentle_closure": "gentle eye closure", "smile": "open-mouth smile",
                  "snarl": "snarl", "pucker": "lip pucker"}
EFACE_NAMES = {"ocular": "ocular", "midfacial": "midfacial", "mentalis": "mentalis"}


def session_grades(store: Store, session_id: int, params: MeasurementParams = DEFAULT_MEASUREMENT) -> SynkinesisGrades:
    """The five movements' grades, their sum and the eFACE-style items of one stored session."""
    session = store.session(int(session_id))
    if session is None:
        raise StoreError(f"There is no session {session_id} in the store.")
    patient = store.patient_by_id(session.patient_id)
    affected = patient.affected_side if patient is not None else None
    latest = {c.task: c for c in store.clips(session)  # in the order recorded: the latest of a task wins
              if c.status == "complete" and (c.task in MOVEMENTS or c.task == "rest")}
    documents = {task: store.summary(clip) or {} for task, clip in latest.items()}
    checks = {m: check_task(m, documents[m].get("expressions"), 1) for m in MOVEMENTS if m in documents}
    seen = {m: check is not None and check.happened for m, check in checks.items()}
    rest_levels = store.fissure_levels(latest["rest"]) if "rest" in latest else None
    narrowings: dict[str, dict[str, Narrowing]] = {}
    for task in NARROWING_TASKS:
        if task not in latest:
            continue
        task_levels = store.fissure_levels(latest[task])
        pairs = {side: (stored_level(rest_levels, side, "open"), stored_level(task_levels, side, "active"))
                 for side in SIDES}
        if all(rest is not None and active is not None for rest, active in pairs.values()):
            narrowings[task] = {side: narrowing(rest, active) for side, (rest, active) in pairs.items()}  # type: ignore[arg-type]
        else:
            narrowings[task] = own_narrowing(documents[task], task)
    closure = documents.get("gentle_closure", {}).get("closure_ocular_oral")
    return _grades(narrowings, closure if isinstance(closure, dict) else None, seen, affected, params)


def graded_session(store: Store, patient, sessions: list | None = None):
    """The patient's latest session holding a clip of one of the five movements (else the latest), or
    None; among `sessions` when given (e.g. the complete ones), else all the patient's."""
    sessions = store.sessions(patient) if sessions is None else sessions
    for session in reversed(sessions):
        if any(c.task in MOVEMENTS and c.status == "complete" for c in store.clips(session)):
            return session
    return sessions[-1] if sessions else None


# --- words ---------------------------------------------------------------------------------------
def value_words(m: MovementGrade) -> str:
    """'12.3 %' or '2.50 mm'; '-' when there is no value."""
    if not math.isfinite(m.value):
        return "-"
    digits = PCT_DIGITS if m.unit == "%" else MM_DIGITS
    return f"{m.value:.{digits}f} {m.unit}"


def interval_words(m: MovementGrade) -> str:
    lo, hi = m.ci95
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "-"
    digits = PCT_DIGITS if m.unit == "%" else MM_DIGITS
    return f"{lo:.{digits}f} to {hi:.{digits}f} {m.unit}"


def grade_words(m: MovementGrade) -> str:
    return f"{m.grade} {GRADE_WORDS[m.grade]}" if m.grade is not None else m.status


def grade_rows(g: SynkinesisGrades) -> list[tuple[str, str, str, str, str]]:
    """(movement, measured quantity, value, 95 % interval, grade) per movement, in Sunnybrook order."""
    return [(MOVEMENT_NAMES[m.movement], m.quantity, value_words(m), interval_words(m), grade_words(m))
            for m in g.movements]


def sum_words(g: SynkinesisGrades) -> str:
    if g.sunnybrook_sum is not None:
        return f"Sunnybrook synkinesis sum: {g.sunnybrook_sum} of 15 (all five movements graded)"
    return f"Sunnybrook synkinesis sum: not given ({g.graded} of 5 movements graded; a sum needs all five)"


def eface_words(g: SynkinesisGrades) -> str:
    parts = []
    for key, name in EFACE_NAMES.items():
        value, ci = g.eface.get(key), g.eface_ci95.get(key)
        if value is None:
            parts.append(f"{name} not measured")
            continue
        interval = f" (95 % interval {ci[0]:.0f}-{ci[1]:.0f})" if ci and all(math.isfinite(x) for x in ci) else ""
        parts.append(f"{name} {value:.0f}{interval}")
    return "eFACE-style synkinesis (100 = none, 0 = severe): " + ", ".join(parts)


def grades_json(g: SynkinesisGrades) -> dict:
    """JSON-ready (NaN as null)."""
    return {
        "label": g.label,
        "movements": [{"movement": m.movement, "quantity": m.quantity, "value": number(m.value),
                       "ci95": [number(m.ci95[0]), number(m.ci95[1])], "unit": m.unit, "grade": m.grade,
                       "side": m.side, "status": m.status} for m in g.movements],
        "sunnybrook_sum": g.sunnybrook_sum,
        "graded": g.graded,
        "eface": {k: number(v, 1) for k, v in g.eface.items()},
        "eface_ci95": {k: ([number(v[0], 1), number(v[1], 1)] if v else None) for k, v in g.eface_ci95.items()},
    }


__all__ = ["MOVEMENT_NAMES", "session_grades", "graded_session", "grade_rows", "sum_words", "eface_words",
           "grades_json", "value_words", "interval_words", "grade_words"]
