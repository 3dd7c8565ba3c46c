"""`synkimeter grades ID [--session N] [--json]`: a session's synkinesis grades from measurement, each
beside the quantity it comes from (usecases/grades.py; the bands: docs/grades.md)."""

from __future__ import annotations

import argparse
import json

from synkimeter.cli.common import EXIT_OK, fail
from synkimeter.cli.store import _data_dir_option, _guarded, _open


@_guarded
def cmd_grades(args: argparse.Namespace) -> int:
    from synkimeter.store.records import session_numbers
    from synkimeter.usecases.grades import (
        eface_words,
        grade_rows,
        graded_session,
        grades_json,
        session_grades,
        sum_words,
    )

    with _open(args) as store:
        patient = store.require_patient(args.patient)
        if args.session is not None:
            session = store.numbered_session(patient, args.session)
        else:
            session = graded_session(store, patient)
            if session is None:
                return fail(f"Patient '{patient.pseudonym}' has no sessions yet.")
        grades = session_grades(store, session.id)
        number = session_numbers(store.sessions(patient))[session.id]  # the patient's #N, as `sessions` lists it
        store.record_access("read", patient, f"`synkimeter grades` session {session.id}")
    if args.json:
        print(json.dumps({"patient": patient.pseudonym, "session": number, "date": session.date,
                          **grades_json(grades)}, indent=2, allow_nan=False))
        return EXIT_OK
    print(f"Synkinesis grades of '{patient.pseudonym}', session #{number} ({session.date}, {session.kind}): "
          f"{grades.label}.")
    header = ("movement", "measured quantity", "value", "95 % interval", "Sunnybrook grade")
    rows = [header, *grade_rows(grades)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    print(sum_words(grades))
    print(eface_words(grades))
    return EXIT_OK


def add_commands(subparsers) -> None:
    g = subparsers.add_parser(
        "grades", help="a session's synkinesis grades from measurement (Sunnybrook, eFACE-style)",
        description="Print a session's Sunnybrook synkinesis grade (0-3) for brow lift, gentle eye closure, smile, "
                    "snarl and pucker, each beside the measured quantity it comes from, their sum when all five "
                    "were seen, and eFACE-style synkinesis items: from measurement, to support a clinician's grading.")
    g.add_argument("patient", metavar="ID", help="the patient's id")
    g.add_argument("--session", metavar="N", help="the session's number (default: the latest with a graded task)")
    g.add_argument("--json", action="store_true", help="print the grades as JSON")
    _data_dir_option(g)
    g.set_defaults(func=cmd_grades)
