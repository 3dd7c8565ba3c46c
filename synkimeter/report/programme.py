"""The report's home programme part: the sets done against prescribed per week, per practice kind,
beside the week's mouth-corner movement during blinks (the coupling trend). Computed by
`synkimeter.usecases.programme`; nothing is counted here."""

from __future__ import annotations

from synkimeter.report.markup import esc, table, with_ci
from synkimeter.usecases.programme import adherence_for_patient, beside_coupling, repetitions_text

SIDES = ("right", "left")


def programme_parts(store, patient, series) -> list[str]:
    """The programme's table ([] when the patient has no programme); `series`: the trends' series."""
    programmes = store.programmes(patient)
    if not programmes:
        return []
    rows = []
    for row in beside_coupling(adherence_for_patient(store, patient), series):
        done = "<br/>".join(esc(w.text) for w in row.adherence)
        coupling = [with_ci(pt.value, pt.ci_low, pt.ci_high, "mm", 2) if pt is not None else "-"
                    for pt in (row.coupling.get(side) for side in SIDES)]
        rows.append([row.start.isoformat(), done, *coupling])
    parts = ["<h2>Home programme</h2>"]
    lines = []
    for p in programmes:
        goal = f", goal under {p.goal:g} {p.unit}" if p.goal is not None else ""
        lines.append(f"{esc(p.kind)}: {p.sets_per_day} set{'' if p.sets_per_day == 1 else 's'} a day of "
                     f"{repetitions_text(p.kind, p.repetitions)}{esc(goal)}, from {p.start_date} "
                     f"{'to ' + p.until_date if p.until_date else 'on'}")
    parts.append("<p class='meta'>" + "<br/>".join(lines) + "</p>")
    if rows:
        parts.append(table(["Week of", "Sets done of prescribed", "Right: mouth-corner movement during blinks",
                            "Left: mouth-corner movement during blinks"], rows, numeric={2, 3},
                           widths=[14, 38, 24, 24]))
    parts.append("<p class='small'>Sets done: practice sets with at least one judged attempt, on the days the "
                 "programme ran, each day counted up to its prescription; prescribed: sets a day times the days it "
                 "ran that week. Mouth-corner movement: the blink-averaged value of the week's last session with its "
                 "95 % interval (subject's sides).</p>")
    return parts


__all__ = ["programme_parts"]
