"""The store's subcommands: `import`, `report`, `patients`, `sessions`, `note`, `export`, `check`.

`add_commands(subparsers)` registers them on the `synkimeter` parser; each sets `func`, which returns
0 when all went well and 2 after one plain sentence on stderr (never a traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from synkimeter.cli.analyze import AFFECTED_SIDE_HELP
from synkimeter.cli.common import EXIT_OK, fail, mirrored_option, outputs_problem
from synkimeter.cli.progress import print_above, progress_bar, progress_callback
from synkimeter.io.files import not_a_file
from synkimeter.store.choices import SESSION_KINDS, TASKS
from synkimeter.store.records import session_label, session_numbers, session_state, session_when
from synkimeter.usecases.words import signed

if TYPE_CHECKING:
    from synkimeter.store.database import Store




# A damaged store read anyway (read-only): its sentence, naming the backup, is said once when the
# command ends: as a note after what it printed, or as the failure itself when a read then hits the
# damage (one sentence, not that one and a second about the same damage).
_damage_said: list[str] = []


def _open(args, writes: bool = False, notes: bool = True) -> Store:
    """The store; one that is to be written to is checked first, and a damaged one refused."""
    from synkimeter.store.database import Store, StoreError

    store = Store(args.data_dir) if getattr(args, "data_dir", None) else Store()
    refusal = store.write_refusal if writes else None  # damaged (checked on opening) or made read-only
    if refusal:
        store.close()
        raise StoreError(refusal)
    for problem in store.problems if notes else []:
        print(f"synkimeter: note: {problem}", file=sys.stderr)
    if notes and store.damaged:
        _damage_said.append(store.damaged)
    return store


def _guarded(func):
    """Every failure the user can cause or meet becomes one sentence and exit code 2."""

    def run(args: argparse.Namespace) -> int:
        from synkimeter.store.database import StoreError

        _damage_said.clear()
        try:
            code = func(args)
        except StoreError as exc:
            return fail(_damage_said[0] if _damage_said else str(exc))
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            return fail(f"A file could not be read or written ({exc.strerror or exc}){where}.")
        except KeyboardInterrupt:
            return fail("Stopped.")
        if _damage_said:
            print(f"synkimeter: note: {_damage_said[0]}", file=sys.stderr)
        return code

    run.__name__ = func.__name__
    return run


@_guarded
def cmd_import(args: argparse.Namespace) -> int:
    from synkimeter.usecases.saving import import_video
    from synkimeter.usecases.settings import DEFAULT_SETTINGS

    video = Path(args.video)
    problem = not_a_file(video)
    if problem:
        return fail(problem)
    with _open(args, writes=True) as store:
        # the bar is gone when done: stderr keeps only sentences
        with progress_bar(f"Analysing {video.name}", quiet=args.quiet) as bar:
            result = import_video(store, video, args.patient, kind=args.kind, task=args.task, date=args.date,
                                  affected_side=args.affected_side, notes=args.notes or "",
                                  params=DEFAULT_SETTINGS, progress=progress_callback(bar), mirrored=args.mirrored,
                                  into_session=args.session)
        if args.quiet:
            return EXIT_OK
        if result.patient_created:
            print(f"New patient '{result.patient.pseudonym}' created.")
        s = result.summary
        oo = s.get("ocular_oral", {})
        print(f"Imported {video.name} as a {result.session.kind} session of {result.session.date} "
              f"(task {result.clip.task}) for patient '{result.patient.pseudonym}' into {store.location}.")
        for side in ("right", "left"):
            d = oo.get(side) or {}
            if d.get("median_mm") is None:
                print(f"  {side} side (subject's): no blink could be scored")
            else:
                lo, hi = d.get("ci95_mm") or (None, None)
                ci = f" (95 % interval {lo:.2f}-{hi:.2f} mm)" if lo is not None and hi is not None else ""
                print(f"  {side} side (subject's): mouth-corner movement per blink {d['median_mm']:.2f} mm{ci}, "
                      f"{d.get('n', 0)} blinks")
            held = (s.get("closure_ocular_oral") or {}).get(side)
            if held:
                lo, hi = held["ci95_mm"]
                ci = f" (95 % interval {lo:.2f}-{hi:.2f} mm)" if lo is not None and hi is not None else ""
                print(f"  {side} side (subject's): mouth-corner movement during held eye closures "
                      f"{held['median_mm']:.2f} mm{ci}, {held['n']} closures")
        for warning in s.get("warnings", []):
            print(f"  note: {warning}")
    return EXIT_OK


@_guarded
def cmd_report(args: argparse.Namespace) -> int:
    from synkimeter.report import write_html, write_pdf

    if not args.pdf and not args.html:
        return fail("Say where to write the report: --pdf FILE and/or --html FILE.")
    problem = outputs_problem(args.pdf, args.html)
    if problem:
        return fail(problem)
    outputs = [(path, write) for path, write in ((args.pdf, write_pdf), (args.html, write_html)) if path]
    with _open(args) as store:
        patient = store.require_patient(args.patient)
        with progress_bar("Writing the report", quiet=False, unit=" files", total=len(outputs)) as bar:
            for path, write in outputs:
                write(store, patient, path, pictures=args.pictures)
                store.record_access("export", patient, f"report {Path(path).name}")
                print_above(bar, f"Wrote {path}")
                if bar is not None:
                    bar.update()
    return EXIT_OK


@_guarded
def cmd_export(args: argparse.Namespace) -> int:
    from synkimeter.report import write_csv

    problem = outputs_problem(args.csv)
    if problem:
        return fail(problem)
    with _open(args) as store:
        patient = store.require_patient(args.patient)
        rows = write_csv(store, patient, args.csv)
        store.record_access("export", patient, f"CSV {Path(args.csv).name}")
        print(f"Wrote {rows} result row(s) of '{patient.pseudonym}' to {args.csv}")
    return EXIT_OK


@_guarded
def cmd_patients(args: argparse.Namespace) -> int:
    words = list(args.patient or [])
    if words and words[0] in ("rename", "delete") and len(words) > 1:
        return _patients_change(args, words)
    if len(words) > 1:
        return fail("'patients' takes one patient id, or 'rename OLD NEW', or 'delete ID --yes' "
                    f"(not {' '.join(words)}).")
    args.patient = words[0] if words else None
    with _open(args) as store:
        if args.patient:
            patient = store.require_patient(args.patient)
            store.record_access("read", patient, "`synkimeter patients`")
            print(f"Patient '{patient.pseudonym}', affected side (subject's): {patient.affected_side or 'not stated'}"
                  + (f"; notes: {patient.notes}" if patient.notes else ""))
            sessions = store.sessions(patient)
            numbers = session_numbers(sessions)
            if not sessions:
                print("  no sessions yet")
            for s in sessions:
                clips = store.clips(s)
                tasks = ", ".join(f"{c.task}{'' if c.status == 'complete' else f' ({c.status})'}" for c in clips)
                print(f"  {session_label(numbers[s.id], s):26}  {s.kind:10}  {session_state(s, clips):10}  "
                      f"{tasks or '-'}")
            for line in _headline_changes(store, patient):
                print(line)
            for note in store.notes(patient):
                about = f" (session #{numbers[note['session_id']]})" if note["session_id"] in numbers else ""
                print(f"  note {note['day']}{about}: {note['text']}")
            return EXIT_OK
        patients = store.patients()
        if not patients:
            print(f"No patients yet in the store on {store.location}.")
            return EXIT_OK
        print(f"{'patient':20} {'affected side':14} {'sessions':>8}  last session")
        for p in patients:
            sessions = store.sessions(p)
            last = sessions[-1].started_at[:10] if sessions else "-"
            print(f"{p.pseudonym:20} {p.affected_side or '-':14} {len(sessions):>8}  {last}")
    return EXIT_OK


def _headline_changes(store, patient) -> list[str]:
    """Baseline against latest for the headline measure, per side, with the trend view's verdict."""
    from synkimeter.usecases.trends import patient_trends

    changes = [c for c in patient_trends(store, patient).changes if c.metric.key == "ocular_oral_average_peak"]
    if not changes:
        return []
    first = changes[0]
    lines = [f"  {first.metric.label}, baseline {first.baseline.date} against latest {first.latest.date}:"]
    for c in changes:
        lines.append(f"    {c.side:5}  {c.baseline.value:.2f} -> {c.latest.value:.2f} mm ({signed(c.change, 2)}; "
                     "a change needs "
                     f"more than {c.threshold:.2f})  {c.verdict}")
    return lines


@_guarded
def cmd_check(args: argparse.Namespace) -> int:
    with _open(args, writes=True, notes=False) as store:  # damaged: its one sentence, exit code 2
        problems = store.verify(deep=True)
        for problem in problems:
            print(f"  {problem}")
        counts = f"{len(store.patients())} patient(s), {store.complete_clip_count()} clip(s)"
        if problems:
            return fail(f"The database on {store.location} is sound ({counts}), but {len(problems)} clip file(s) "
                         "are missing or damaged (listed above).")
        print(f"The database on {store.location} is sound ({counts}) and every clip file reads.")
    return EXIT_OK


def _patients_change(args: argparse.Namespace, words: list[str]) -> int:
    """`patients rename OLD NEW` and `patients delete ID --yes`."""
    action = words[0]
    if action == "rename":
        if len(words) != 3:
            return fail("Rename takes the old and the new id: synkimeter patients rename OLD NEW.")
        with _open(args, writes=True) as store:
            patient = store.rename_patient(words[1], words[2])
        print(f"Patient '{words[1]}' is now '{patient.pseudonym}'.")
        return EXIT_OK
    if len(words) != 2:
        return fail("Delete takes one id: synkimeter patients delete ID --yes.")
    with _open(args, writes=True) as store:
        patient = store.require_patient(words[1])
        n = len(store.sessions(patient))
        if not args.yes:
            return fail(f"Deleting '{patient.pseudonym}' removes {n} session(s) and their video files for good; "
                        "add --yes to do it.")
        store.delete_patient(patient.pseudonym)
    print(f"Deleted patient '{words[1]}' with {n} session(s) and their files.")
    return EXIT_OK


def _session_line(store, s, number: int) -> str:
    clips = store.clips(s)
    tasks = ", ".join(f"{c.task}{'' if c.status == 'complete' else f' ({c.status})'}" for c in clips)
    notes = f"  notes: {s.notes}" if s.notes else ""
    return (f"{'#' + str(number):>5}  {session_when(s.started_at):16}  {s.kind:10}  {s.protocol or '-':8}  "
            f"{session_state(s, clips):10}  "
            f"{tasks or '-'}{notes}")


@_guarded
def cmd_sessions(args: argparse.Namespace) -> int:
    """`sessions ID`, `sessions delete ID SESSION --yes`, `sessions edit ID SESSION --kind/--date/--notes`."""
    words = list(args.words)
    action = words[0] if words and words[0] in ("delete", "edit") and len(words) > 1 else "list"
    if action == "list":
        if len(words) != 1:
            return fail("Say whose sessions to list: synkimeter sessions ID (or 'delete ID SESSION --yes', "
                        "'edit ID SESSION --kind/--date/--notes').")
        with _open(args) as store:
            patient = store.require_patient(words[0])
            store.record_access("read", patient, "`synkimeter sessions`")
            sessions = store.sessions(patient)
            if not sessions:
                print(f"Patient '{patient.pseudonym}' has no sessions yet.")
                return EXIT_OK
            print(f"{'no.':>5}  {'started':16}  {'kind':10}  {'protocol':8}  {'status':10}  tasks")
            numbers = session_numbers(sessions)
            for s in sessions:
                print(_session_line(store, s, numbers[s.id]))
        return EXIT_OK
    if len(words) != 3:
        return fail(f"'sessions {action}' takes the patient id and the session number: "
                    f"synkimeter sessions {action} ID SESSION.")
    with _open(args, writes=True) as store:
        patient = store.require_patient(words[1])
        session = store.numbered_session(patient, words[2])
        number = session_numbers(store.sessions(patient))[session.id]
        if action == "delete":
            if not args.yes:
                return fail(f"Deleting session #{number} ({session.kind}, {session_when(session.started_at)}) "
                            "removes its results and video files for good; add --yes to do it.")
            store.delete_session(session)
            print(f"Deleted session #{number} of '{patient.pseudonym}' and its files.")
            return EXIT_OK
        if args.kind is None and args.date is None and args.notes is None:
            return fail("Say what to correct: --kind, --date and/or --notes.")
        session = store.update_session(session, kind=args.kind, started_at=args.date, notes=args.notes)
        print(_session_line(store, session, session_numbers(store.sessions(patient))[session.id]))
    return EXIT_OK


@_guarded
def cmd_note(args: argparse.Namespace) -> int:
    text = " ".join(args.text).strip()
    with _open(args, writes=True) as store:
        patient = store.require_patient(args.patient)
        session = store.numbered_session(patient, args.session) if args.session is not None else None
        store.add_note(patient, text, session, day=args.date)
        number = session_numbers(store.sessions(patient)).get(session.id) if session is not None else None
    where = f" (session #{number})" if number is not None else ""
    print(f"Note kept for '{patient.pseudonym}'{where}.")
    return EXIT_OK


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="FOLDER",
                        help="the store's folder (default: $SYNKIMETER_DATA_DIR, else the per-user data folder)")


def add_commands(subparsers) -> None:
    """Register `import`, `report`, `patients` and `export` on the `synkimeter` subparsers."""
    p = subparsers.add_parser("import", help="analyse a video and add it to a patient's record",
                              description="Analyse an existing video, copy it into the store with its landmarks and "
                                          "result, and record it as a session of the patient (created if new).")
    p.add_argument("video", help="the video file")
    p.add_argument("--patient", required=True, metavar="ID", help="the patient's pseudonymous id (not a name)")
    p.add_argument("--kind", choices=SESSION_KINDS, default="follow-up", help="kind of session (default follow-up)")
    p.add_argument("--task", default="natural_blinking", choices=TASKS, metavar="TASK",
                   help=f"what the clip shows: {', '.join(TASKS)} (default natural_blinking)")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="when it was recorded (default: the file's date)")
    p.add_argument("--affected-side", choices=("left", "right"),
                   help=AFFECTED_SIDE_HELP + " (kept for a new patient; default: the side the patient's record names)")
    p.add_argument("--notes", help="a note kept with the session")
    mirrored_option(p)
    p.add_argument("--session", metavar="N",
                   help="add the clip to the patient's session N (its number in `synkimeter sessions ID`) instead "
                        "of starting a new session, e.g. a visit's rest, smile, pucker and eye-closure clips: "
                        "the smile and pucker are then measured against that session's rest and the visit is "
                        "graded as one (the session keeps its date and kind)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    _data_dir_option(p)
    p.set_defaults(func=cmd_import)

    r = subparsers.add_parser("report", help="write a patient's report (PDF and/or HTML)",
                              description="Write a patient's report: on page one the patient, the dates, a "
                                          "summary of what changed since baseline, the synkinesis grades, the "
                                          "questionnaire and the face at rest and at each task; then trend plots "
                                          "on a date axis, and sessions and scores per side with their "
                                          "uncertainty.")
    r.add_argument("patient", metavar="ID", help="the patient's id")
    r.add_argument("--pdf", metavar="FILE", help="write the report as PDF")
    r.add_argument("--html", metavar="FILE", help="write the report as HTML (one self-contained file)")
    r.add_argument("--no-pictures", dest="pictures", action="store_false",
                   help="leave the face pictures out (e.g. for a letter)")
    _data_dir_option(r)
    r.set_defaults(func=cmd_report)

    s = subparsers.add_parser("patients", help="list, rename or delete patients",
                              usage="synkimeter patients [ID | rename OLD NEW | delete ID --yes] [--data-dir FOLDER]",
                              description="List the patients in the store, or show one (sessions and change since "
                                          "baseline); 'rename OLD NEW' gives a patient another pseudonymous id; "
                                          "'delete ID --yes' removes a patient with every session and video file.")
    s.add_argument("patient", nargs="*", metavar="ID", help="show this patient; or rename OLD NEW; or delete ID")
    s.add_argument("--yes", action="store_true", help="confirm a delete (it cannot be undone)")
    _data_dir_option(s)
    s.set_defaults(func=cmd_patients)

    ss = subparsers.add_parser("sessions", help="list, correct or delete a patient's sessions",
                               usage="synkimeter sessions [ID | delete ID SESSION --yes | edit ID SESSION "
                                     "[--kind KIND] [--date YYYY-MM-DD[THH:MM]] [--notes TEXT]] [--data-dir FOLDER]",
                               description="List a patient's sessions with their numbers; 'delete ID SESSION --yes' "
                                           "removes one with its files; 'edit ID SESSION' corrects its kind, date "
                                           "or notes.")
    ss.add_argument("words", nargs="+", metavar="ID", help="the patient's id; or delete/edit ID SESSION")
    ss.add_argument("--yes", action="store_true", help="confirm a delete (it cannot be undone)")
    ss.add_argument("--kind", choices=SESSION_KINDS, help="edit: the kind of session")
    ss.add_argument("--date", metavar="YYYY-MM-DD[THH:MM]",
                    help="edit: when it was recorded (a date alone keeps the time)")
    ss.add_argument("--notes", metavar="TEXT", help="edit: the session's notes ('' clears them)")
    _data_dir_option(ss)
    ss.set_defaults(func=cmd_sessions)

    n = subparsers.add_parser("note", help="keep a clinician's dated note on a patient",
                              description="Keep a clinician's dated note on a patient (or on one of their sessions); "
                                          "the report lists the notes.")
    n.add_argument("patient", metavar="ID", help="the patient's id")
    n.add_argument("text", nargs="+", metavar="TEXT", help="the note")
    n.add_argument("--session", metavar="SESSION", help="the session the note is about (its number, #1, #2 ...)")
    n.add_argument("--date", metavar="YYYY-MM-DD", help="the clinical date the note is about (default today)")
    _data_dir_option(n)
    n.set_defaults(func=cmd_note)

    e = subparsers.add_parser("export", help="write all of a patient's results as CSV",
                              description="Write every clip of a patient with its results as one CSV table.")
    e.add_argument("patient", metavar="ID", help="the patient's id")
    e.add_argument("--csv", required=True, metavar="FILE", help="the CSV file to write")
    _data_dir_option(e)
    e.set_defaults(func=cmd_export)

    c = subparsers.add_parser("check", help="check the store for damage",
                              description="Check the database (SQLite's quick_check) and that every clip's files "
                                          "are there and read; exit code 2 when something is wrong.")
    _data_dir_option(c)
    c.set_defaults(func=cmd_check)
