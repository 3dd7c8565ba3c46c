"""The report's first page, the one a clinic files: who and when, what changed since baseline in a
few sentences, the synkinesis grades beside what was measured, the patient's own questionnaire, and
the face at rest and at the peak of each task.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from synkimeter.core.grades import GRADE_WORDS, SynkinesisGrades
from synkimeter.report.markup import Cell, esc, num, table, with_ci
from synkimeter.store.database import Store
from synkimeter.store.records import SaqRecord
from synkimeter.usecases.trends import Change, Trends

# A session's grades from its measurement: (store, session id) -> grades, None where it has none.
GradesFor = Callable[[Store, int], SynkinesisGrades | None]

# What the summary speaks of, in this order (each on the affected side, or both when not known).
SUMMARY_METRICS = ("ocular_oral_average_peak", "closure_ocular_oral", "narrowing_smile", "narrowing_pucker",
                   "ocular_synkinesis")
SUMMARY_WORDS = {
    "ocular_oral_average_peak": "mouth-corner movement during blinks",
    "closure_ocular_oral": "mouth-corner movement during held eye closures",
    "narrowing_smile": "eye narrowing during a big smile",
    "narrowing_pucker": "eye narrowing during a pucker",
    "ocular_synkinesis": "the ocular synkinesis score (100 = none)",
}
MOVEMENT_WORDS = {"brow_lift": "Brow lift", "gentle_closure": "Gentle eye closure", "smile": "Open-mouth smile",
                  "snarl": "Snarl", "pucker": "Lip pucker"}
EFACE_WORDS = {"ocular": "ocular", "midfacial": "midfacial", "mentalis": "mentalis"}
SAQ_SHOWN = 6  # the latest questionnaires listed on page one


def default_grades_for() -> GradesFor:
    """Where the report gets a session's grades: the grades use case."""
    from synkimeter.usecases.grades import session_grades

    return session_grades


def _unit(change: Change) -> tuple[str, str]:
    unit = "" if change.metric.unit == "points" else change.metric.unit
    return unit, (f" {unit}" if unit else "")


def change_sentence(change: Change, last_day: str | None = None) -> str:
    """One metric on one side, baseline -> latest, judged against the between-session floor; the
    latest's date is said when it is not `last_day` (the summary's last session, named in its lead)."""
    m = change.metric
    unit, u = _unit(change)
    where = f" on the {change.side} side" if change.side else ""
    what = f"{SUMMARY_WORDS.get(m.key, m.label.lower())}{where}"
    base = f"{num(change.baseline.value, m.digits)}{u}"
    last = f"{num(change.latest.value, m.digits)}{u}"
    when = "" if change.latest.date == last_day else f" ({change.latest.date})"
    head = f"{what[0].upper()}{what[1:]}: {base} &rarr; {last}{when}"
    verdict = change.verdict
    if verdict == "healthy at both visits":
        return f"{head}, within the healthy range at both visits."
    if verdict == "no interval to judge":
        return f"{head}; no interval to judge the change by."
    step = f"{'+' if change.change > 0 else ''}{num(change.change, m.digits)}{u}"
    amount = f"&plusmn;{num(change.threshold, m.digits)}{u}" if not math.isnan(change.threshold) else "its noise"
    # Without a measured between-session floor the verdict rests on the recordings' intervals: said so.
    floor = (f"the between-session floor ({amount})" if change.has_floor
             else f"the recordings' intervals ({amount}; no between-session floor measured)")
    if verdict == "within noise":
        return f"{head}; {step}, within {floor}: no real change."
    return f"{head}; {step}, beyond {floor}: <b>{verdict}</b>."


def summary_parts(trends: Trends) -> list[str]:
    """The summary in words: since when, and what changed beyond the floor or not."""
    complete = [s for s in trends.sessions if s.status == "complete"]
    if not complete:
        return ["<p>No complete session yet: nothing measured to summarise.</p>"]
    baseline = next((s for s in complete if s.id == trends.baseline_session_id), complete[0])
    affected = trends.patient.affected_side
    sides = (affected, None) if affected in ("right", "left") else ("right", "left", None)
    changes = [ch for key in SUMMARY_METRICS for ch in trends.changes if ch.metric.key == key and ch.side in sides]
    if not changes:
        return [f"<p>Baseline on {baseline.date}; {len(complete)} complete session"
                f"{'s' if len(complete) != 1 else ''} so far, no later session with the same measurement to "
                "compare with yet.</p>"]
    real = [ch for ch in changes if ch.verdict in ("improved", "worse")]
    lead = (f"Since the baseline on {baseline.date}, {len(complete)} complete sessions to {complete[-1].date}. "
            + (f"{len(real)} of {len(changes)} measures changed beyond their floor."
               if real else "No measure changed beyond its floor."))
    items = "".join(f"<li>{change_sentence(ch, complete[-1].date)}</li>" for ch in changes)
    return [f"<p>{lead}</p>", f"<ul>{items}</ul>"]


def grade_table(grades: SynkinesisGrades, day: str) -> list[str]:
    """Each movement's grade (number and word) beside the measured quantity it comes from (its words name
    the side); 'not seen' for a task not recorded, 'not measured' for one seen but not measurable; the
    eFACE-style items in one row."""
    rows: list[list[Cell]] = []
    for g in grades.movements:
        seen = g.grade is not None
        measured = (with_ci(g.value, g.ci95[0], g.ci95[1], g.unit, 1 if g.unit == "%" else 2)
                    if seen and math.isfinite(g.value) else "-")
        rows.append([esc(MOVEMENT_WORDS.get(g.movement, g.movement)), esc(g.quantity), measured,
                     f"{g.grade} {GRADE_WORDS[g.grade]}" if g.grade is not None else f"<i>{esc(g.status)}</i>"])
    total = str(grades.sunnybrook_sum) if grades.sunnybrook_sum is not None else "-"
    rows.append(["<b>Synkinesis sum</b> (Sunnybrook, 0-15)", f"{grades.graded} of {len(grades.movements)} "
                 "movements graded" + ("" if grades.sunnybrook_sum is not None else "; a sum needs all five"),
                 "", f"<b>{total}</b>"])
    items = []
    for key, words in EFACE_WORDS.items():
        value, ci = grades.eface.get(key), grades.eface_ci95.get(key)
        known = value is not None and math.isfinite(value)
        items.append(f"{words} <b>{num(value, 0)}</b>" + (f" ({num(ci[0], 0)} to {num(ci[1], 0)})" if ci else "")
                     if known else f"{words} <i>not measured</i>")
    rows.append(["eFACE-style synkinesis (0-100)", "100 = none", "; ".join(items), ""])
    return [f"<p class='meta'><b>Synkinesis grades</b> of the session on {esc(day)}: "
            f"<i>{esc(grades.label)}</i></p>",
            table(["Movement", "Measured", "Value (95 % interval)", "Grade"], rows, numeric={3},
                  widths=[22, 37, 25, 16])]


def grades_parts(store: Store, trends: Trends, grades_for: GradesFor | None) -> list[str]:
    """The grade table of the latest complete session holding one of the five movements (else the
    latest complete session): a later self-check of natural blinking does not blank it."""
    from synkimeter.usecases.grades import graded_session

    complete = [s for s in trends.sessions if s.status == "complete"]
    if grades_for is None or not complete:
        return []
    session = graded_session(store, trends.patient, complete) or complete[-1]
    grades = grades_for(store, session.id)
    return grade_table(grades, session.date) if grades is not None else []


def saq_rows(records: list[SaqRecord]) -> list[list[Cell]]:
    """Date, the nine answers (1-5) and the total scaled to 20-100, latest last."""
    return [[esc(r.date), " ".join(str(a) for a in r.items), num(r.total, 0)] for r in records]


def saq_parts(trends: Trends) -> list[str]:
    """The latest Synkinesis Assessment Questionnaire answers and the first against the latest."""
    rows = saq_rows(list(trends.questionnaires))
    head = ("<p class='meta'><b>Synkinesis Assessment Questionnaire</b> (the patient's own; nine items 1-5, total "
            "20-100, higher = more synkinesis)</p>")
    if not rows:
        return [head, "<p class='small'>No questionnaire recorded.</p>"]
    parts = [head, table(["Date", "Answers (items 1-9)", "Total (20-100)"], rows[-SAQ_SHOWN:], numeric={2},
                         widths=[20, 55, 25])]
    if trends.saq_change is not None:
        parts.append(f"<p class='small'>{esc(trends.saq_change.sentence)}</p>")
    return parts


def header_parts(trends: Trends, version: str) -> list[str]:
    p = trends.patient
    complete = [s for s in trends.sessions if s.status == "complete"]
    first = complete[0].date if complete else "-"
    last = complete[-1].date if complete else "-"
    today = datetime.now().strftime("%Y-%m-%d")
    parts = ["<h1>Facial synkinesis measurement report</h1>",
             f"<p class='meta'><b>Patient ID:</b> {esc(p.pseudonym)} &nbsp;&nbsp;&nbsp; "
             f"<b>Affected side (subject's):</b> {esc(p.affected_side or 'not stated')} &nbsp;&nbsp;&nbsp; "
             f"<b>Report date:</b> {today}</p>",
             f"<p class='meta'><b>Sessions:</b> {len(trends.sessions)} ({len(complete)} complete), "
             f"first {first}, last {last} &nbsp;&nbsp;&nbsp; <b>Measured with:</b> synkimeter {version}, webcam "
             "video, distances in millimetres scaled from the iris (11.7 mm)</p>"]
    if p.notes:
        parts.append(f"<p class='meta'><b>Notes:</b> {esc(p.notes)}</p>")
    return parts


def picture_parts(strip: tuple[str, int] | None, pictures: bool) -> list[str]:
    """The picture strip, (its image's name, its width in 96-dpi pixels); a line when left out."""
    if not pictures:
        return ["<p class='small'>Face pictures left out of this report.</p>"]
    if strip is None:
        return []
    name, image_width = strip
    return ["<p class='meta'><b>The face at rest and at the peak of each task</b> (latest of each; eye outlines "
            "and mouth corners as measured; R/L: subject's sides)</p>",
            f"<p><img src='{name}' width='{image_width}' alt='The face at rest and at each task'/></p>"]
