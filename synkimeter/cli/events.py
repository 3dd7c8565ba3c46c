"""`synkimeter event add|list|delete`: a patient's treatment events (botulinum toxin, therapy, surgery).

`add_commands(subparsers)` registers it on the `synkimeter` parser (like `synkimeter.cli.store`). The
store and the timeline use case are imported when the command runs, so `synkimeter --help` stays quick.
"""

from __future__ import annotations

import argparse

from synkimeter.cli.common import EXIT_OK, fail
from synkimeter.cli.store import _data_dir_option, _guarded, _open

# A copy of store.schema.EVENT_KINDS for the help (tests/test_startup.py checks that they agree). The
# kind is checked by the store, so a wrong one gets the store's one sentence, not argparse's usage.
EVENT_KINDS = ("botox", "therapy-start", "therapy-stop", "therapy-change", "surgery", "other")


def delete_numbered(args: argparse.Namespace, what: str, listed, delete) -> int:
    """`synkimeter COMMAND delete ID N --yes`: the patient's row number N (`listed(store, patient)` gives
    (number, a few words) per row) is deleted by `delete(store, patient, number)` once --yes confirms it;
    a number the patient does not have is the store's one sentence."""
    with _open(args, writes=True) as store:
        patient = store.require_patient(args.patient)
        wanted = str(args.number).strip()
        found = next(((number, words) for number, words in listed(store, patient) if str(number) == wanted), None)
        if found is None:
            delete(store, patient, args.number)  # its one sentence: no such row
            return EXIT_OK
        if not args.yes:
            return fail(f"Deleting {what} {found[0]} ({found[1]}) cannot be undone; add --yes to do it.")
        delete(store, patient, found[0])
    print(f"Deleted {what} {found[0]} of '{patient.pseudonym}'.")
    return EXIT_OK


def _event_line(event) -> str:
    return f"{event.id:>4}  {event.date}  {event.description}"


@_guarded
def cmd_event(args: argparse.Namespace) -> int:
    action = args.action
    if action == "list":
        if args.number is not None:
            return fail("'event list' takes the patient id only: synkimeter event list ID.")
        from synkimeter.usecases.timeline import event_from_row

        with _open(args) as store:
            patient = store.require_patient(args.patient)
            events = [event_from_row(r) for r in store.events(patient)]
        if not events:
            print(f"Patient '{patient.pseudonym}' has no treatment events yet (add one with "
                  f"`synkimeter event add {patient.pseudonym} --kind botox --date YYYY-MM-DD`).")
            return EXIT_OK
        print(f"{'no.':>4}  {'date':10}  treatment")
        for event in events:
            print(_event_line(event))
        return EXIT_OK
    if action == "delete":
        if args.number is None:
            return fail("Say which event to delete: synkimeter event delete ID N --yes (N as in `event list`).")
        return delete_numbered(args, "treatment event",
                               lambda store, patient: [(r["id"], f"{r['kind']}, {r['date']}")
                                                       for r in store.events(patient)],
                               lambda store, patient, number: store.delete_event(patient, number))
    # add
    if args.number is not None:
        return fail("'event add' takes the patient id only; say the rest with --kind, --date, --side, --detail.")
    if not args.kind or not args.date:
        return fail("Say what and when: synkimeter event add ID --kind KIND --date YYYY-MM-DD.")
    units = None
    if args.units is not None:
        try:
            units = float(args.units)
        except ValueError:
            return fail(f"--units takes a number (of botulinum toxin units), not '{args.units}'.")
    from synkimeter.usecases.timeline import add_event

    with _open(args, writes=True) as store:
        patient = store.require_patient(args.patient)
        event = add_event(store, patient, args.kind.strip(), args.date, side=args.side, detail=args.detail or "",
                          units=units, muscles=args.muscles or "", product=args.product or "")
    print(f"Kept for '{patient.pseudonym}': {_event_line(event).strip()}")
    return EXIT_OK


def add_commands(subparsers) -> None:
    p = subparsers.add_parser(
        "event", help="add, list or delete a patient's treatment events (botulinum toxin, therapy, surgery)",
        usage="synkimeter event add ID --kind KIND --date YYYY-MM-DD [--side right|left|both] [--detail TEXT] "
              "[--units N] [--muscles TEXT] [--product TEXT]\n       synkimeter event list ID\n"
              "       synkimeter event delete ID N --yes",
        description="Keep a patient's treatments on their timeline: the trends and the report mark them, shade "
                    "each botulinum toxin cycle and set the scores after each injection against those before it.")
    p.add_argument("action", choices=("add", "list", "delete"), help="add, list or delete")
    p.add_argument("patient", metavar="ID", help="the patient's pseudonymous id")
    p.add_argument("number", nargs="?", metavar="N", help="delete: the event's number (as `event list` shows it)")
    p.add_argument("--kind", metavar="KIND", help=f"add: {', '.join(EVENT_KINDS)} (botox = botulinum toxin)")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="add: the day it was given or began (not in the future)")
    p.add_argument("--side", choices=("right", "left", "both"), help="add: the side treated (the subject's)")
    p.add_argument("--detail", metavar="TEXT", help="add: what it was, e.g. 'mime therapy' or 'selective neurectomy'")
    p.add_argument("--units", metavar="N", help="add, botox: the total units injected")
    p.add_argument("--muscles", metavar="TEXT", help="add, botox: the muscles injected, e.g. 'orbicularis oculi, "
                                                     "platysma'")
    p.add_argument("--product", metavar="TEXT", help="add, botox: the product, e.g. 'Botox' or 'Xeomin'")
    p.add_argument("--yes", action="store_true", help="delete: confirm (it cannot be undone)")
    _data_dir_option(p)
    p.set_defaults(func=cmd_event)
