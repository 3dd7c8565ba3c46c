"""A patient's report as HTML (for a browser and for Qt's QTextDocument, which prints the PDF).

Qt renders the PDF (QTextDocument + QPdfWriter) because Qt is already a dependency: no browser
engine, no extra package, works headless. The HTML therefore sticks to what QTextDocument supports
(HTML 4 tables with cellpadding/border attributes, simple inline CSS, <img> with a width), and the
same markup reads well in any browser. Plots are PNGs drawn with QPainter (see plots.py), embedded as
base64 data in the .html file and as document resources in the PDF.
"""

from __future__ import annotations

import base64
import math
from datetime import datetime

from synkimeter import __version__
from synkimeter.core.results import ClipResult
from synkimeter.report.figures import practice_figure, svg_bytes, trend_figure
from synkimeter.report.first_page import (
    GradesFor,
    default_grades_for,
    grades_parts,
    header_parts,
    picture_parts,
    saq_parts,
    summary_parts,
)
from synkimeter.report.markup import Cell
from synkimeter.report.markup import esc as _e
from synkimeter.report.markup import num as _num
from synkimeter.report.markup import table as _table
from synkimeter.report.markup import with_ci as _with_ci
from synkimeter.report.pictures import picture_strip_jpeg
from synkimeter.report.programme import programme_parts
from synkimeter.store.database import Store
from synkimeter.store.records import Clip, Session, session_numbers, session_state, session_when
from synkimeter.usecases.expression_text import narrowing_rows
from synkimeter.usecases.face_pictures import face_pictures
from synkimeter.usecases.stored import stored_result
from synkimeter.usecases.timeline import AFTER_FROM_DAYS, AFTER_WEEKS, BEFORE_WEEKS, Timeline, patient_timeline
from synkimeter.usecases.trends import CLOSURE_TASKS, METRIC_BY_KEY, NO_FLOOR, Trends, patient_trends

KIND_LABELS = {"baseline": "Baseline", "follow-up": "Follow-up", "self-check": "Self-check"}
TASK_LABELS = {"rest": "rest", "natural_blinking": "natural blinking", "gentle_closure": "gentle eye closure",
               "forceful_blink": "forceful blink", "smile": "big smile", "pucker": "pucker"}
SEVERITY = {"none": "none", "mild": "mild (< 1 mm)", "moderate": "moderate (1-2 mm)", "severe": "severe (> 2 mm)",
            "undetermined": "not determined (too few blinks scored)"}
COMPARED = {
    "ocular_oral_average_peak": "Mouth-corner movement during blinks (blink-averaged), mm",
    "ocular_oral_median": "Mouth-corner movement per blink (median of blink peaks), mm",
    "coupled_fraction": "Blinks moving the mouth corner more than 1 mm, % of blinks",
    "closure_ocular_oral": "Mouth-corner movement during held eye closures (median of closures), mm",
    "narrowing_pucker": "Eye narrowing during pucker, % of rest height",
    "narrowing_smile": "Eye narrowing during big smile, % of rest height",
    "ocular_synkinesis": "Ocular synkinesis score, 0-100 (100 = none)",
}
COMPARED_ORDER = list(COMPARED)
PLOTS = (
    ("ocular_oral_average_peak", "Mouth-corner movement during blinks (ocular-oral synkinesis, blink-averaged)", "mm",
     [(1.0, "1 mm: moderate"), (2.0, "2 mm: severe")], None),
    ("narrowing_pucker", "Eye narrowing during pucker (oral-ocular synkinesis)", "% of rest height", None, None),
    ("narrowing_smile", "Eye narrowing during big smile", "% of rest height", None, None),
    ("ocular_synkinesis", "Ocular synkinesis score (eFACE-style, 100 = none)", "points (0-100)", None, (0.0, 100.0)),
    ("coupled_fraction", "Blinks with mouth-corner movement over 1 mm", "% of blinks", None, (0.0, 100.0)),
)
STYLE = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 10pt; color: #1b1b1b; }
h1 { font-size: 18pt; margin: 0 0 4px 0; color: #123c69; }
h2 { font-size: 13pt; margin: 18px 0 6px 0; color: #123c69; border-bottom: 1px solid #9fb3c8; }
p.meta { margin: 2px 0; font-size: 10pt; }
p.small { font-size: 8.5pt; color: #444; }
table.grid { border-collapse: collapse; margin: 4px 0 8px 0; }
table.grid th { background-color: #e8eef5; font-weight: bold; text-align: left;
                border: 1px solid #9fb3c8; font-size: 9pt; }
table.grid td { border: 1px solid #c4cfdb; font-size: 9pt; }
td.num { text-align: right; }
tr { page-break-inside: avoid; }
thead { display: table-header-group; }
td.improved { color: #1d6b34; font-weight: bold; }
td.worse { color: #a52a2a; font-weight: bold; }
"""


def _session_rows(store: Store, trends: Trends) -> list[list[str]]:
    by_session: dict[int, dict[str, dict]] = {}
    for row in store.results(trends.patient):
        by_session.setdefault(row["session_id"], {})[row["task"]] = row
    held = {(p.session_id, side): p for side in ("right", "left")
            for p in getattr(trends.get("closure_ocular_oral", side), "points", [])}
    rows = []
    numbers = session_numbers(trends.sessions)  # the one numbering: the patient manager's and the CLI's
    for s in trends.sessions:
        i = numbers[s.id]
        tasks = by_session.get(s.id, {})
        complete_tasks = [TASK_LABELS.get(t, t) for t, r in tasks.items() if r["clip_status"] == "complete"]
        blink = (tasks.get("natural_blinking") if tasks.get("natural_blinking", {}).get("clip_status") == "complete"
                 else None)
        status = session_state(s, store.clips(s))
        status += "<br/><b>baseline</b>" if s.id == trends.baseline_session_id else ""
        protocol_label = f"<br/><span style='color:#555'>{_e(_protocol_label(s.protocol))}</span>"
        kind = KIND_LABELS.get(s.kind, s.kind) + (protocol_label if s.protocol else "")
        day, _, time = session_when(s.started_at).partition(" ")
        cells = [str(i), day + (f"<br/><span style='color:#555'>{time}</span>" if time else ""), kind,
                 status, _e(", ".join(complete_tasks) or "-")]
        for side in ("right", "left"):
            if blink and blink.get(f"{side}_average_peak_mm") is not None:
                text = _with_ci(blink[f"{side}_average_peak_mm"], blink.get(f"{side}_average_ci_low_mm"),
                                blink.get(f"{side}_average_ci_high_mm"), "mm", 2)
                if blink.get(f"{side}_median_mm") is not None:
                    text += f"<br/><span style='color:#555'>median {_num(blink[f'{side}_median_mm'], 2)} mm</span>"
                cells.append(text + f"<br/><span style='color:#555'>n = {blink[f'{side}_n']} blinks</span>")
            elif blink and blink.get(f"{side}_median_mm") is not None:
                cells.append(_with_ci(blink[f"{side}_median_mm"], blink[f"{side}_ci_low_mm"],
                                      blink[f"{side}_ci_high_mm"], "mm", 2)
                             + f"<br/><span style='color:#555'>median; n = {blink[f'{side}_n']} blinks</span>")
            else:
                cells.append("-")
        done = {t for t, r in tasks.items() if r["clip_status"] == "complete"}
        cells.append("<br/>".join(f"{side[0].upper()}: {_with_ci(p.value, p.ci_low, p.ci_high, 'mm', 2)}, n = {p.n}"
                                  for side in ("right", "left") if (p := held.get((s.id, side))))
                     or (_why("no closure measured") if done & set(CLOSURE_TASKS) else "-"))
        severity = blink.get("severity") if blink else None
        cells.append(_e(SEVERITY.get(severity, severity or "-") if severity is not None else "-") if blink else "-")
        # Without a score, why: a session without a smile or pucker clip has nothing to score it from.
        cells.append(_with_ci(s.ocular_score, s.ocular_ci_low, s.ocular_ci_high, "", 0).replace(" (", "<br/>(")
                     if s.ocular_score is not None else
                     _why("smile/pucker not measurable" if done & {"smile", "pucker"}
                          else "no smile or pucker recorded"))
        rows.append(cells)
    return rows


PROTOCOL_LABELS = {"import": "imported video file", "": "-"}


def _why(words: str) -> str:
    """A sessions-table cell without a value: why, in words, in grey."""
    return f"<span style='color:#555'>{_e(words)}</span>"


def _protocol_label(key: str) -> str:
    if key in PROTOCOL_LABELS:
        return PROTOCOL_LABELS[key]
    try:
        from synkimeter.usecases.protocol import protocol

        return f"guided: {protocol(key).title.lower()}"
    except Exception:  # an unknown (older or newer) protocol key: shown as stored  # noqa: BLE001
        return key


def _video_size(store: Store, clip, result: ClipResult) -> tuple[int, int] | None:
    """The picture size: kept in the result since issue 16; for older clips read from the landmarks file."""
    if result.picture_size is not None:
        return result.picture_size
    try:
        series = store.load_series(clip)
    except Exception:  # a missing or damaged file is listed under Data notes  # noqa: BLE001
        return None
    return (int(series.width), int(series.height)) if series.width and series.height else None


StoredClip = tuple[Session, int, Clip, ClipResult]  # a session, its number, a complete clip, its result


def stored_clips(store: Store, trends: Trends) -> list[StoredClip]:
    """Every complete clip with its stored result, each result read from the store once."""
    numbers = session_numbers(trends.sessions)
    return [(s, numbers[s.id], clip, result) for s in trends.sessions for clip in store.clips(s)
            if (result := stored_result(store, clip)) is not None]


def source_rows(store: Store, clips: list[StoredClip]) -> list[list[str]]:
    """Per complete clip (`stored_clips`): where it came from and how well the face was seen (the
    report's source table)."""
    rows = []
    for s, i, clip, result in clips:
        size = _video_size(store, clip, result)
        frames, face = result.frames, result.face_frames
        face_pct = f"{100.0 * face / frames:.0f} %" if frames else "-"
        fps = result.fps if math.isfinite(result.fps) else None
        picture = (f"{size[0]}&times;{size[1]}" if size else "-") + (f"<br/>{fps:.1f} frames/s" if fps else "")
        scale, unc = result.mm_per_px, result.mm_per_px_uncertainty
        scale_text = "-"
        if math.isfinite(scale) and scale:
            scale_text = f"{scale:.3f}&nbsp;mm&#8288;/&#8288;px"
            if math.isfinite(unc) and unc:
                scale_text += f"<br/>&plusmn;{unc:.3f} ({100.0 * unc / scale:.0f}&nbsp;%)"
        dropped = result.dropped_frames
        day, _, time = session_when(s.started_at).partition(" ")
        when = f"#{i}<br/>{day.replace('-', '&#8209;')}" + (f"<br/><span style='color:#555'>{time}</span>"
                                                             if time else "")
        rows.append([when,
                     _e(TASK_LABELS.get(clip.task, clip.task)), _e(clip.source_name or "-"),
                     _e(_protocol_label(s.protocol)), picture, face_pct,
                     _num(result.iris_px, 1), scale_text,
                     str(int(dropped)) if dropped is not None
                     else ("none (file)" if s.protocol == "import" else "-")])
    return rows


def recording_notes(clips: list[StoredClip]) -> list[str]:
    """What the measurement said about each complete clip's recording (`stored_clips`: a face small in
    the picture, dim light, a low frame rate, ...), each sentence once per clip: "#2 natural blinking:
    The face is ..."."""
    return [f"#{i} {TASK_LABELS.get(clip.task, clip.task)}: {warning}"
            for _s, i, clip, result in clips for warning in dict.fromkeys(result.warnings)]


def _source_parts(store: Store, trends: Trends) -> list[str]:
    clips = stored_clips(store, trends)  # the table and the notes from one read of each result
    rows = source_rows(store, clips)
    if not rows:
        return []
    notes = recording_notes(clips)
    # Small paragraphs, not a list: Qt's rich text sets list items in the body's size.
    said = (["<p class='small'><b>What the measurement noted about these recordings:</b></p>",
             *(f"<p class='small'>&bull; {_e(n)}</p>" for n in notes)] if notes else [])
    return ["<h2>Recordings: source and quality</h2>",
            _table(["Session", "Task", "Source (camera or file)", "Protocol", "Picture", "Face<br/>found",
                    "Iris (px)", "Scale", "Dropped<br/>frames"], rows, numeric={5, 6, 8},
                   widths=[12, 9, 17, 11, 11, 8, 6, 14, 12]),
            "<p class='small'>Face found: share of the recording's frames in which the face was found. Iris: the "
            "iris diameter in the picture, which sets the scale (11.7 mm across); the scale's uncertainty, in "
            "brackets, applies alike to every millimetre figure of that recording. Frames dropped: camera frames "
            "skipped because the computer was busy (a file is read whole).</p>", *said]


def _clinician_note_parts(store: Store, trends: Trends) -> list[str]:
    notes = store.notes(trends.patient) if hasattr(store, "notes") else []
    if not notes:
        return []
    numbers = session_numbers(trends.sessions)
    rows = [[note["day"],
             f"#{numbers[note['session_id']]}" if note["session_id"] in numbers else "-", _e(note["text"])]
            for note in notes]
    return ["<h2>Clinician's notes</h2>", _table(["Date", "Session", "Note"], rows, widths=[17, 11, 72])]


def _side_name(side) -> str:
    return {"right": "right", "left": "left", None: "-"}[side]


def _free_clip_parts(store: Store, trends: Trends) -> list[str]:
    """Imported recordings: the smiles, puckers and sideways pushes found in them (core.expressions)
    and each eye's narrowing in them."""

    rows = []
    for s in trends.sessions:
        if s.protocol != "import":
            continue
        for clip in store.clips(s):
            result = stored_result(store, clip)
            for when, what, right, left in narrowing_rows(result.oral_ocular if result else None):
                rows.append([s.started_at[:10], _e(what), when, right, left])
    if not rows:
        return []
    return ["<h2>Expressions found in imported recordings</h2>",
            _table(["Date", "Expression", "Time in the clip", "Eye narrowing, right", "Eye narrowing, left"], rows,
                   numeric={3, 4}, widths=[14, 30, 16, 20, 20]),
            "<p class='small'>Found in the recording by the shape of the mouth (no guided tasks): eye narrowing "
            "in percent of each eye's opening at the recording's rest, 95 % interval in brackets; negative means "
            "wider. Healthy eyes narrow about 10-20 % in a big smile and a few percent in a pucker.</p>"]


def _effect_cell(effect, which: str) -> str:
    pt = getattr(effect, which) if effect is not None else None
    if pt is None:
        return "-"
    return _with_ci(pt.value, pt.ci_low, pt.ci_high, "mm", 2) + f"<br/><span style='color:#555'>{pt.date}</span>"


def treatment_parts(trends: Trends, timeline: Timeline) -> list[str]:
    """The treatment summary a therapist can attach to a letter: the events, each botulinum toxin
    cycle's measured effect with its uncertainty, and the practice record. Nothing but the measurement."""
    if not timeline.events and not timeline.practice_weeks:
        return []
    parts = ["<h2>Treatment summary</h2>"]
    if timeline.events:
        events = [[str(e.id), e.date, _e(e.description)] for e in timeline.events]
        parts.append(_table(["No.", "Date", "Treatment"], events, widths=[7, 15, 78]))
    if timeline.cycles:
        affected = trends.patient.affected_side
        sides = [affected] if affected in ("right", "left") else ["right", "left"]
        rows: list[list[Cell]] = []
        classes: list[dict[int, str | None]] = []
        for c in timeline.cycles:
            for k, side in enumerate(sides):
                eff = c.effect(side)
                ch = eff.change if eff is not None else None
                change = "-"
                if ch is not None:
                    change = f"{'+' if ch.change > 0 else ''}{_num(ch.change, 2)} mm"
                    if not math.isnan(ch.threshold):
                        change += f"<br/><span style='color:#555'>needs &plusmn;{_num(ch.threshold, 2)} mm</span>"
                verdict = eff.verdict if eff is not None else "-"
                first: Cell = None
                if k == 0:
                    first = (f"<b>{c.number}</b>. {c.start} to {c.end}<br/><span style='color:#555'>"
                             f"{_e(c.event.description)}; ends: {c.end_reason}</span>", len(sides))
                rows.append([first, side, _effect_cell(eff, "before"), _effect_cell(eff, "after"), change, verdict])
                classes.append({5: "improved" if verdict.startswith("lower") else
                                ("worse" if verdict.startswith("higher") else None)})
        parts.append("<p class='meta'><b>Botulinum toxin cycles</b>: mouth-corner movement during blinks "
                     "(blink-averaged), the last session before each injection against the first session after it</p>")
        parts.append(_table(["Cycle", "Side", "Before", "After", "Change", "Judgement"], rows, numeric={4},
                            classes=classes, widths=[30, 8, 17, 17, 13, 15]))
        parts.append(f"<p class='small'>Before: the last session in the {BEFORE_WEEKS} weeks before the injection. "
                     f"After: the first session {AFTER_FROM_DAYS} days to {AFTER_WEEKS} weeks after it (before any "
                     "next injection) &mdash; the first, not the best, so the effect is not flattered. A difference is "
                     "called lower or higher only when it exceeds both the two recordings' combined uncertainty and "
                     "the minimal detectable change between sessions (MDC95); otherwise it is within noise. "
                     "Values in brackets: 95 % intervals.</p>")
    if timeline.since_injection is not None:
        parts.append(f"<p class='meta'>{_e(timeline.since_injection.clinical)}</p>")
    if timeline.practice_weeks:
        weeks = timeline.practice_weeks
        sets = sum(w.sets for w in weeks)
        judged = sum(w.judged for w in weeks)
        clean = sum(w.clean for w in weeks)
        active = sum(1 for w in weeks if w.sets)
        parts.append(f"<p class='meta'><b>Practice record</b>: {sets} set{'s' if sets != 1 else ''} from "
                     f"{weeks[0].week_start} to the week of {weeks[-1].week_start}, in {active} of {len(weeks)} "
                     f"weeks ({sets / len(weeks):.1f} a week)"
                     + (f", {100.0 * clean / judged:.0f} % of {judged} judged attempts clean" if judged else "")
                     + ".</p>")
        for outcome in timeline.outcomes:
            parts.append(f"<p class='meta'>{_e(outcome.sentence)}</p>")
    parts.append("<p class='small'>Treatments as entered by the patient or therapist. The measurement shows how "
                 "far the mouth corner moves with blinks at each session; it cannot say which treatment caused a "
                 "change.</p>")
    return parts


def questionnaire_parts(trends: Trends) -> list[str]:
    """The patient's Synkinesis Assessment Questionnaire (SAQ) per day answered: the nine answers, the total
    and its meaning, and the first against the latest beside the SAQ's smallest detectable change."""
    from synkimeter.core.questionnaire import (
        SAQ_ITEMS,
        SAQ_SCALE,
        SAQ_SDC_POINTS,
        SAQ_SDC_SOURCE,
        SAQ_SOURCE,
        saq_meaning,
    )

    records = trends.questionnaires
    if not records:
        return []
    rows = [[str(r.id), r.date, " ".join(str(v) for v in r.items), _num(r.total, 0), _e(saq_meaning(r.total))]
            for r in records]
    parts = ["<h2>Patient's questionnaire (SAQ)</h2>",
             _table(["#", "Date", "Answers 1-9 (1 = seldom or not at all, 5 = all the time)", "Total (20-100)",
                     "Meaning"], rows, numeric={0, 3}, widths=[5, 12, 30, 12, 41])]
    change = trends.saq_change
    if change is not None:
        parts.append(f"<p>{_e(change.sentence)}</p>")
    items = " ".join(f"{i}. {_e(text)}" for i, text in enumerate(SAQ_ITEMS, 1))
    parts.append(f"<p class='small'>{_e(SAQ_SOURCE)}, answered by the patient; total = sum of the nine answers / 45 "
                 f"&times; 100 ({_e(SAQ_SCALE)}), higher is more synkinesis. A change is called only beyond &plusmn;"
                 f"{SAQ_SDC_POINTS:.1f} points, the smallest detectable change for one patient ({_e(SAQ_SDC_SOURCE)})."
                 f" Items: {items}</p>")
    return parts


def build_report(store: Store, patient, *, image_width: int = 860, pictures: bool = True,
                 grades_for: GradesFor | None = None) -> tuple[str, dict[str, bytes]]:
    """(html with <img src="figN.svg">, {name: svg or png bytes}). See `embed_images` for a standalone
    file. Page one is the clinic's summary (first_page.py), the trends follow on the date axis, then
    the tables. `pictures=False` leaves out the face pictures; `grades_for` gives a session's
    synkinesis grades (default: the grades use case, `first_page.default_grades_for`)."""

    trends = patient_trends(store, patient)
    timeline = patient_timeline(store, patient, trends)
    p = trends.patient
    today = datetime.now().strftime("%Y-%m-%d")
    images: dict[str, bytes] = {}
    parts = [f"<html><head><meta charset='utf-8'><title>synkimeter report: {_e(p.pseudonym)}</title>"
             f"<style>{STYLE}</style></head><body>"]
    parts.extend(header_parts(trends, __version__))
    parts.append("<h2>Summary</h2>")
    parts.extend(summary_parts(trends))
    parts.extend(grades_parts(store, trends, grades_for if grades_for is not None else default_grades_for()))
    parts.extend(saq_parts(trends))
    strip = None
    if pictures:
        made = picture_strip_jpeg(face_pictures(store, trends.sessions, p.affected_side))
        if made is not None:
            images["faces.jpg"], share = made
            strip = ("faces.jpg", int(image_width * min(share, 1.0)))
    parts.extend(picture_parts(strip, pictures))
    parts.extend(_trend_parts(trends, timeline, images, image_width))
    parts.extend(programme_parts(store, p, trends.series))  # the home programme beside the coupling trend

    # baseline vs latest
    parts.append("<h2>Baseline compared with the latest session</h2>")
    changes = [ch for ch in trends.changes if ch.metric.key in COMPARED]
    changes.sort(key=lambda ch: (COMPARED_ORDER.index(ch.metric.key), ch.side != "right"))
    if changes:
        base_dates = {ch.baseline.date for ch in changes}
        last_dates = {ch.latest.date for ch in changes}
        one_date = len(base_dates) == 1 and len(last_dates) == 1
        head_base = "Baseline" + (f"<br/>{base_dates.pop()}" if one_date else "")
        head_last = "Latest" + (f"<br/>{last_dates.pop()}" if one_date else "")
        rows: list[list[Cell]] = []
        classes: list[dict[int, str | None]] = []
        span: dict[str, int] = {}
        for ch in changes:
            span[ch.metric.key] = span.get(ch.metric.key, 0) + 1
        seen = set()
        for ch in changes:
            m = ch.metric
            unit = "" if m.unit == "points" else m.unit
            u = f" {unit}" if unit else ""
            base = _with_ci(ch.baseline.value, ch.baseline.ci_low, ch.baseline.ci_high, unit, m.digits)
            last = _with_ci(ch.latest.value, ch.latest.ci_low, ch.latest.ci_high, unit, m.digits)
            if not one_date:
                base += f"<br/><span style='color:#555'>{ch.baseline.date}</span>"
                last += f"<br/><span style='color:#555'>{ch.latest.date}</span>"
            change = f"{'+' if ch.change > 0 else ''}{_num(ch.change, m.digits)}{u}"
            if not math.isnan(ch.threshold):
                star = "" if ch.has_floor else "*"  # the table's note says what it means
                change += f"<br/><span style='color:#555'>needs &plusmn;{_num(ch.threshold, m.digits)}{u}{star}</span>"
            first_cell = None
            if m.key not in seen:
                seen.add(m.key)
                first_cell = (COMPARED[m.key], span[m.key])
            rows.append([first_cell, _side_name(ch.side) if ch.side else "-", base, last, change, ch.verdict])
            classes.append({5: ch.verdict if ch.verdict in ("improved", "worse") else None})
        parts.append(_table(["Measure", "Side", head_base, head_last, "Change", "Judgement"], rows, numeric={4},
                            classes=classes, widths=[27, 9, 18, 18, 15, 13]))
        if not all(ch.has_floor for ch in changes):
            parts.append(f"<p class='small'>* {_e(NO_FLOOR[0].upper() + NO_FLOOR[1:])}.</p>")
    else:
        parts.append("<p>Not enough complete sessions to compare (a baseline and at least one later session are "
                     "needed).</p>")
    # how a change is judged, under the table it judges (page one stays one page)
    parts.append("<p class='small'>Right and left are always the <b>subject's</b> own sides. Values in brackets are "
                 "95 % intervals. A change is called improved or worse only when it is larger than both 1.96 times "
                 "the combined uncertainty of the two sessions and the minimal detectable change between sessions "
                 "(MDC95, measured on repeat recordings of one real face and coupling at other distances, light, "
                 "tilt and compression; a measure for which it has not been measured says so and is judged on the "
                 "intervals alone), and a side within the healthy range at both visits is called healthy at "
                 "both visits.</p>")

    # sessions
    parts.append("<h2>Sessions</h2>")
    parts.append(_table(["#", "Date", "Kind", "Status", "Tasks recorded",
                         "Mouth corner per blink, right side", "Mouth corner per blink, left side",
                         "Mouth corner in held eye closures", "Severity", "Ocular score (100 = none)"],
                        _session_rows(store, trends), numeric={0}, widths=[3, 12, 10, 10, 11, 12, 12, 10, 10, 10]))
    parts.append("<p class='small'>Mouth corner per blink: peak movement of the mouth corner (commissure) in the "
                 "average of the side's natural blinks (blink-averaged, as <i>synkimeter analyze</i> leads with), head "
                 "motion removed; below it the median of the per-blink peaks. Severity bands: over the healthy level "
                 "but under 1 mm mild, "
                 "1-2 mm moderate, over 2 mm severe. Mouth corner in held eye closures: the median over the "
                 "session's held eye closures (gentle eye closure, else forceful blink, else any clip) of each mouth "
                 "corner's movement while the eyes were held closed, against the rest just before (R/L: subject's "
                 "right/left, n closures). Ocular score: eFACE-style ocular synkinesis from eye narrowing "
                 "during pucker and smile relative to rest, the affected eye against the other (100 = none).</p>")
    # Session notes, e.g. a recording started although the set-up check had not passed (distance,
    # light, pose unlike the baseline's): the therapist weighs that session's numbers with it.
    numbers = session_numbers(trends.sessions)
    noted = [(numbers[s.id], s) for s in trends.sessions if s.notes]
    if noted:
        parts.append("<p class='small'>" + "<br/>".join(f"<b>Session {i}</b> ({s.started_at[:10]}): {_e(s.notes)}"
                                                          for i, s in noted) + "</p>")

    parts.extend(treatment_parts(trends, timeline))
    parts.extend(questionnaire_parts(trends))
    parts.extend(_source_parts(store, trends))
    parts.extend(_clinician_note_parts(store, trends))

    # oral-ocular details
    if any(s.points for s in trends.series if s.metric.key.startswith("narrowing")):
        parts.append("<h2>Eye narrowing during mouth movement</h2>")
        eye_rows = []
        dates = sorted({(pt.started_at, pt.session_id) for s in trends.series
                        if s.metric.key.startswith("narrowing") for pt in s.points})
        for started_at, sid in dates:
            row = [started_at[:10]]
            for key in ("narrowing_pucker", "narrowing_smile"):
                for side in ("right", "left"):
                    eye_series = trends.get(key, side)
                    assert eye_series is not None  # patient_trends makes a series for every metric and side
                    pt = next((q for q in eye_series.points if q.session_id == sid), None)
                    row.append(_with_ci(pt.value, pt.ci_low, pt.ci_high, "%", 1) if pt else "-")
            eye_rows.append(row)
        parts.append(_table(["Date", "Pucker, right side", "Pucker, left side", "Big smile, right side",
                             "Big smile, left side"], eye_rows, numeric={1, 2, 3, 4}, widths=[16, 21, 21, 21, 21]))
        parts.append("<p class='small'>Narrowing: how much the eye's opening (palpebral fissure height, mm) closes "
                     "during the task, in percent of its height at rest. Healthy eyes narrow about 20 % in a big "
                     "smile but only about 2 % in a pucker.</p>")

    parts.extend(_free_clip_parts(store, trends))

    problems = store.verify(deep=True, patient=p)  # this patient's clips only
    if problems:
        parts.append("<h2>Data notes</h2><ul>")
        parts.extend(f"<li>{_e(x)}</li>" for x in problems)
        parts.append("</ul>")
    parts.append(f"<p class='small'>Generated by synkimeter {__version__} on {today}. These are measurements to "
                 "support clinical grading (Sunnybrook, eFACE), not a diagnosis.</p>")
    parts.append("</body></html>")
    return "\n".join(parts), images


def _trend_parts(trends: Trends, timeline: Timeline, images: dict[str, bytes], image_width: int) -> list[str]:
    """The trend figures (SVG, on the date axis), on a page of their own after page one."""
    plot_parts = []
    for key, title, unit, bands, y_range in PLOTS:
        metric = METRIC_BY_KEY[key]
        series = [s for s in trends.series if s.metric.key == key]
        if not any(s.points for s in series):
            continue
        name = f"fig{len(images) + 1}.svg"
        images[name] = svg_bytes(trend_figure(
            series, title, unit, bands=bands, y_range=y_range, markers=timeline.markers, shading=timeline.shading,
            latest_note=timeline.since_injection.short if timeline.since_injection and
            key == "ocular_oral_average_peak" else None))
        plot_parts.append(f"<p><img src='{name}' width='{image_width}' alt='{_e(metric.label)}'/></p>")
    headline = [s for s in trends.series if s.metric.key == "ocular_oral_average_peak" and s.points]
    if timeline.practice_weeks and headline:
        name = f"fig{len(images) + 1}.svg"
        images[name] = svg_bytes(practice_figure(timeline.practice_weeks, headline, markers=timeline.markers,
                                                 shading=timeline.shading,
                                                 title="Practice and mouth-corner movement during blinks"))
        plot_parts.append(f"<p><img src='{name}' width='{image_width}' alt='Practice and coupling'/></p>")
    if not plot_parts:
        return []
    # on a page of their own: the heading never stands alone at the foot of a page
    return ["<h2 style='page-break-before: always'>Trends</h2>",
            "<p class='small'>Each session at its date; bars: 95 % intervals; ringed: the baseline; dashed purple "
            "lines: treatments; shaded: botulinum toxin cycles.</p>", *plot_parts]


BROWSER_STYLE = ("<style>body { max-width: 900px; margin: 24px auto; padding: 0 12px; } "
                 "img { max-width: 100%; height: auto; }</style>")


def embed_images(text: str, images: dict[str, bytes]) -> str:
    """The HTML with its images inlined as base64 data, one self-contained file (plus browser-only
    layout: a centred column; QTextDocument would indent tables by the body margin)."""
    text = text.replace("</head>", BROWSER_STYLE + "</head>", 1)
    for name, data in images.items():
        mime = {"svg": "image/svg+xml", "jpg": "image/jpeg"}.get(name.rsplit(".", 1)[-1], "image/png")
        text = text.replace(f"src='{name}'", f"src='data:{mime};base64,{base64.b64encode(data).decode('ascii')}'")
    return text
