"""`synkimeter questionnaire add|list|delete`: a patient's Synkinesis Assessment Questionnaire (SAQ), nine
answers 1-5 per day (the items and the total: synkimeter.core.questionnaire).

`add_commands(subparsers)` registers it on the `synkimeter` parser (like `synkimeter.cli.events`). The
answers and the date are checked before the store is opened, so bad input writes nothing.
"""

from __future__ import annotations

import argparse
from datetime import date

from synkimeter.cli.common import EXIT_OK, fail
from synkimeter.cli.events import delete_numbered
from synkimeter.cli.store import _data_dir_option, _guarded, _open


def _line(record) -> str:
    from synkimeter.core.questionnaire import saq_meaning

    answers = " ".join(str(v) for v in record.items)
    return f"{record.id:>4}  {record.date}  {answers}  {record.total:5.1f}  {saq_meaning(record.total)}"


@_guarded
def cmd_questionnaire(args: argparse.Namespace) -> int:
    from synkimeter.core.questionnaire import SAQ_ITEMS, SaqChange, SaqError, parse_saq
    from synkimeter.store.records import check_day

    action = args.action
    if action == "list":
        if args.number is not None:
            return fail("'questionnaire list' takes the patient id only: synkimeter questionnaire list ID.")
        with _open(args) as store:
            patient = store.require_patient(args.patient)
            records = store.questionnaires(patient)
            store.record_access("read", patient, "`synkimeter questionnaire list`")
        if not records:
            print(f"Patient '{patient.pseudonym}' has no questionnaire answers yet (add them with "
                  f"`synkimeter questionnaire add {patient.pseudonym} --saq 1,2,3,4,5,1,2,3,4`).")
            return EXIT_OK
        print(f"Synkinesis Assessment Questionnaire of '{patient.pseudonym}': answers 1 (seldom or not at all) to "
              "5 (all the time); total 20-100 (20 = none of the nine, 100 = all nine all the time), higher is more "
              "synkinesis.")
        print(f"{'no.':>4}  {'date':10}  {'answers 1-9':17}  {'total':>5}  meaning")
        for record in records:
            print(_line(record))
        change = SaqChange.of(records)
        if change is not None:
            print(change.sentence)
        print("The nine items:")
        for i, text in enumerate(SAQ_ITEMS, 1):
            print(f"{i:>4}  {text}")
        return EXIT_OK
    if action == "delete":
        if args.number is None:
            return fail("Say which answers to delete: synkimeter questionnaire delete ID N --yes "
                        "(N as in `questionnaire list`).")
        return delete_numbered(args, "questionnaire",
                               lambda store, patient: [(r.id, f"{r.date}, total {r.total:.0f}")
                                                       for r in store.questionnaires(patient)],
                               lambda store, patient, number: store.delete_questionnaire(patient, number))
    # add: everything is checked before the store is opened
    if args.number is not None:
        return fail("'questionnaire add' takes the patient id only; give the answers with --saq.")
    if not args.saq:
        return fail("Give the nine answers: synkimeter questionnaire add ID --saq 3,2,4,1,5,2,3,1,2.")
    try:
        answers = parse_saq(args.saq)
    except SaqError as exc:
        return fail(str(exc))
    day = check_day(args.date if args.date else date.today().isoformat(), "keep the answers once they have been given")
    with _open(args, writes=True) as store:
        patient = store.require_patient(args.patient)
        record = store.add_questionnaire(patient, day, answers)
    print(f"Kept for '{patient.pseudonym}': {_line(record).strip()}")
    return EXIT_OK


def add_commands(subparsers) -> None:
    p = subparsers.add_parser(
        "questionnaire", help="add, list or delete a patient's Synkinesis Assessment Questionnaire (SAQ) answers",
        usage="synkimeter questionnaire add ID --saq A1,A2,...,A9 [--date YYYY-MM-DD]\n"
              "       synkimeter questionnaire list ID\n       synkimeter questionnaire delete ID N --yes",
        description="Keep the patient's own account of their synkinesis: the nine SAQ answers (Mehta et al. 2007), "
                    "each 1 = seldom or not at all to 5 = all the time, in the order the window asks them. The "
                    "total (20-100) is trended on My progress and in the report beside the measurements.")
    p.add_argument("action", choices=("add", "list", "delete"), help="add, list or delete")
    p.add_argument("patient", metavar="ID", help="the patient's pseudonymous id")
    p.add_argument("number", nargs="?", metavar="N", help="delete: the answers' number (as `questionnaire list` "
                                                          "shows it)")
    p.add_argument("--saq", metavar="A1,...,A9", help="add: the nine answers, each 1-5, separated by commas")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="add: the day they were given (default today; not in "
                                                        "the future)")
    p.add_argument("--yes", action="store_true", help="delete: confirm (it cannot be undone)")
    _data_dir_option(p)
    p.set_defaults(func=cmd_questionnaire)
