"""`synkimeter programme set|list|end|delete`: the home programme a therapist sets a patient, per practice
kind (blink, pucker, smile): sets a day, repetitions per set, the goal, until when; `list` shows them
with the adherence per week (synkimeter.usecases.programme).

`add_commands(subparsers)` registers it on the `synkimeter` parser (like `synkimeter.cli.events`). Every
number and date is checked before the store is opened, so bad input writes nothing.
"""

from __future__ import annotations

import argparse
from datetime import date

from synkimeter.cli.common import EXIT_OK, fail
from synkimeter.cli.events import delete_numbered
from synkimeter.cli.store import _data_dir_option, _guarded, _open

# A copy of store.choices.PRACTICE_KINDS for the help (tests/test_startup.py keeps the window's import light).
KINDS = ("blink", "pucker", "smile")


def _line(p) -> str:
    from synkimeter.usecases.programme import repetitions_text

    goal = "the practice's own goal" if p.goal is None else f"goal {p.goal:g} {p.unit}"
    until = p.until_date or "until ended"
    return (f"{p.id:>4}  {p.kind:6}  {p.start_date}  {until:10}  {p.sets_per_day} a day x "
            f"{repetitions_text(p.kind, p.repetitions)}, {goal}")


def _whole(text, option: str) -> int | str:
    """A positive whole number, or the sentence saying why not."""
    try:
        value = int(str(text).strip())
    except ValueError:
        return f"{option} takes a whole number above 0, not '{text}'."
    return value if value > 0 else f"{option} takes a whole number above 0, not '{text}'."


def _set(args: argparse.Namespace) -> int:
    kind = (args.kind or "").strip()
    if kind not in KINDS:
        return fail(f"--kind is one of {', '.join(KINDS)}, not '{kind}'." if kind else
                    "Say which practice: synkimeter programme set ID --kind blink|pucker|smile ...")
    if args.blinks is not None and kind != "blink":
        return fail(f"--blinks is for the blink programme; say how many {kind}s a set holds with --repetitions.")
    if args.goal_mm is not None and kind != "blink":
        return fail(f"A {kind} goal is how much the eye may narrow: give it with --goal-pct, not --goal-mm.")
    if args.goal_pct is not None and kind == "blink":
        return fail("A blink goal is how far the mouth corner may move: give it with --goal-mm, not --goal-pct.")
    if args.blinks is not None and args.repetitions is not None:
        return fail("Give the blinks in a set once: --blinks or --repetitions.")
    if args.sets_per_day is None:
        return fail("Say how many sets a day with --sets-per-day N.")
    reps_text = args.blinks if args.blinks is not None else args.repetitions
    if reps_text is None:
        return fail("Say how many " + ("blinks a set holds with --blinks N." if kind == "blink" else
                                       f"{kind}s a set holds with --repetitions N."))
    sets = _whole(args.sets_per_day, "--sets-per-day")
    reps = _whole(reps_text, "--blinks" if args.blinks is not None else "--repetitions")
    for value in (sets, reps):
        if isinstance(value, str):
            return fail(value)
    goal_text = args.goal_mm if kind == "blink" else args.goal_pct
    goal = None
    if goal_text is not None:
        try:
            goal = float(goal_text)
        except ValueError:
            return fail(f"The goal is a number ({'mm' if kind == 'blink' else '%'}), not '{goal_text}'.")
    from synkimeter.store.records import StoreError, parse_day

    try:
        start = parse_day(args.start) if args.start else date.today()
        until = parse_day(args.until) if args.until else None
    except StoreError as exc:
        return fail(str(exc))
    if until is not None and until < date.today():
        return fail(f"--until {until.isoformat()} is in the past: a programme runs from today or later.")
    with _open(args, writes=True) as store:
        patient = store.require_patient(args.patient)
        programme = store.set_programme(patient, kind, sets_per_day=int(sets), repetitions=int(reps), goal=goal,
                                        start=start.isoformat(), until=until.isoformat() if until else None)
    print(f"Kept for '{patient.pseudonym}': {_line(programme).strip()}")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from synkimeter.usecases.programme import adherence_for_patient

    with _open(args) as store:
        patient = store.require_patient(args.patient)
        programmes = store.programmes(patient)
        weeks = adherence_for_patient(store, patient)
        store.record_access("read", patient, "`synkimeter programme list`")
    if not programmes:
        print(f"Patient '{patient.pseudonym}' has no home programme yet (set one with `synkimeter programme set "
              f"{patient.pseudonym} --kind blink --sets-per-day 2 --blinks 20`).")
        return EXIT_OK
    print(f"{'no.':>4}  {'kind':6}  {'from':10}  {'until':10}  programme")
    for p in programmes:
        print(_line(p))
    if weeks:
        print("\nSets done against prescribed, per week (counted sets, each day up to its prescription):")
        for week in weeks:
            print(f"  week of {week.start.isoformat()}  {week.text}")
    return EXIT_OK


@_guarded
def cmd_programme(args: argparse.Namespace) -> int:
    action = args.action
    if action == "set":
        if args.number is not None:
            return fail("'programme set' takes the patient id only; say the rest with --kind, --sets-per-day, "
                        "--blinks or --repetitions.")
        return _set(args)
    if action == "list":
        if args.number is not None:
            return fail("'programme list' takes the patient id only: synkimeter programme list ID.")
        return _list(args)
    if action == "end":
        kind = (args.number or "").strip()
        if kind not in KINDS:
            return fail(f"Say which programme to end: synkimeter programme end ID {'|'.join(KINDS)}.")
        with _open(args, writes=True) as store:
            patient = store.require_patient(args.patient)
            programme = store.end_programme(patient, kind)
        print(f"Ended for '{patient.pseudonym}' (today is its last day): {_line(programme).strip()}")
        return EXIT_OK
    if args.number is None:
        return fail("Say which programme to delete: synkimeter programme delete ID N --yes (N as in `programme list`).")
    return delete_numbered(args, "home programme",
                           lambda store, patient: [(p.id, f"{p.kind} from {p.start_date}")
                                                   for p in store.programmes(patient)],
                           lambda store, patient, number: store.delete_programme(patient, number))


def add_commands(subparsers) -> None:
    p = subparsers.add_parser(
        "programme", help="set, list, end or delete a patient's home programme",
        usage="synkimeter programme set ID --kind blink --sets-per-day N --blinks N [--goal-mm MM] "
              "[--start YYYY-MM-DD] [--until YYYY-MM-DD]\n"
              "       synkimeter programme set ID --kind pucker|smile --sets-per-day N --repetitions N "
              "[--goal-pct PCT] [--start ...] [--until ...]\n"
              "       synkimeter programme list ID\n       synkimeter programme end ID KIND\n"
              "       synkimeter programme delete ID N --yes",
        description="The therapist's home programme: how many practice sets a day, how many blinks (puckers, "
                    "smiles) in each and the goal. The patient's Practice page shows today's programme and what "
                    "is done; My progress, the report and `programme list` show the sets done against "
                    "prescribed per week. A new programme of a kind replaces the running one from its start.")
    p.add_argument("action", choices=("set", "list", "end", "delete"), help="set, list, end or delete")
    p.add_argument("patient", metavar="ID", help="the patient's pseudonymous id")
    p.add_argument("number", nargs="?", metavar="KIND|N",
                   help="end: the kind (blink, pucker, smile); delete: the programme's number (as `list` shows it)")
    p.add_argument("--kind", metavar="KIND", help=f"set: {', '.join(KINDS)}")
    p.add_argument("--sets-per-day", metavar="N", help="set: practice sets a day")
    p.add_argument("--blinks", metavar="N", help="set, blink: blinks in a set")
    p.add_argument("--repetitions", metavar="N", help="set: blinks, puckers or smiles in a set")
    p.add_argument("--goal-mm", metavar="MM", help="set, blink: the affected mouth corner moves less than this "
                                                   "(default: the practice's own goal from the baseline)")
    p.add_argument("--goal-pct", metavar="PCT", help="set, pucker/smile: the affected eye narrows less than this "
                                                     "% of its rest height (default: the practice's own goal)")
    p.add_argument("--start", metavar="YYYY-MM-DD", help="set: the first day (default today)")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="set: the last day (default: until ended or replaced)")
    p.add_argument("--yes", action="store_true", help="delete: confirm (it cannot be undone)")
    _data_dir_option(p)
    p.set_defaults(func=cmd_programme)
