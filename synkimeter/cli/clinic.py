"""A clinic's shared store: `clinic init`, `clinic add-user`, `audit ID` and `store copy --to URL`.

The URL names the server and database (postgresql://role@host/database?sslmode=require), never a
password: libpq reads that from the user's password file (~/.pgpass).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from synkimeter.cli.common import EXIT_OK, fail
from synkimeter.cli.progress import progress_bar, progress_callback
from synkimeter.cli.store import _data_dir_option, _guarded, _open
from synkimeter.store.choices import READ_ONLY_ROLE, READ_WRITE_ROLE


def _server(url: str | None):
    from synkimeter.store.backend import configured_url
    from synkimeter.store.database import Store, StoreError

    url = url or configured_url()
    if not url:
        raise StoreError("Give the clinic server's URL (postgresql://role@host/database) or set "
                         "SYNKIMETER_DATABASE_URL.")
    return Store(url=url, recover=False)


@_guarded
def cmd_clinic(args: argparse.Namespace) -> int:
    from synkimeter.store.clinic import add_user, init_clinic

    if args.action == "init":
        with _server(args.url) as store:
            for line in init_clinic(store, read_write_role=args.read_write_role, read_only_role=args.read_only_role):
                print(line)
        return EXIT_OK
    if not args.name:
        return fail("Say who: synkimeter clinic add-user NAME [--read-only].")
    password = None
    if not args.no_password:
        if not sys.stdin.isatty():
            return fail("add-user asks for the new password at the keyboard; run it in a terminal "
                        "(or give --no-password for a role that logs in another way).")
        password = getpass.getpass(f"Password for {args.name}: ")
        if password != getpass.getpass("Again: "):
            return fail("The two passwords differ; nothing was changed.")
        if len(password) < 12:
            return fail("A password of at least 12 characters, please; nothing was changed.")
    with _server(args.url) as store:
        print(add_user(store, args.name, read_only=args.read_only, password=password,
                       read_write_role=args.read_write_role, read_only_role=args.read_only_role))
        print(f"On their computer: SYNKIMETER_DATABASE_URL=postgresql://{args.name}@<server>/<database>, and "
              "their password in ~/.pgpass (mode 600), one line: <server>:5432:<database>:"
              f"{args.name}:<password>.")
    return EXIT_OK


@_guarded
def cmd_audit(args: argparse.Namespace) -> int:
    with _open(args) as store:
        rows = store.audit_log(args.patient)
        if not rows:
            if store.patient(args.patient) is None:
                return fail(f"There is no patient '{args.patient}' in the store at {store.location}, and the audit "
                            "table holds nothing about that id.")
            print(f"Nobody has read, exported or deleted the data of '{args.patient}' yet.")
            return EXIT_OK
        print(f"Who read, exported or deleted the data of '{args.patient}' ({store.location}):")
        print(f"{'when':19}  {'who':16}  {'computer':16}  {'what':7}  detail")
        for row in rows:
            print(f"{row['at'].replace('T', ' '):19}  {row['actor'][:16]:16}  {row['host'][:16]:16}  "
                  f"{row['action']:7}  {row['detail']}")
    return EXIT_OK


@_guarded
def cmd_store(args: argparse.Namespace) -> int:
    from synkimeter.store.clinic import copy_store
    from synkimeter.store.database import Store, data_dir

    with Store(args.data_dir or data_dir()) as source, _server(args.to) as target:
        with progress_bar("Copying patients", quiet=False, unit=" patients") as bar:
            report = copy_store(source, target, progress=progress_callback(bar))
        print(f"Copied into {target.location}: " + ", ".join(report.lines) + f"; {report.files} clip file(s), "
              "every count and checksum checked.")
        print(f"This computer's store in {source.folder} is left as it was: remove it once you have checked the "
              "clinic store.")
    return EXIT_OK


def add_commands(subparsers) -> None:
    c = subparsers.add_parser(
        "clinic", help="set up a clinic's shared store on PostgreSQL",
        description="'init' creates the schema (or brings it up to date after an update), a read-write and a "
                    "read-only role and the audit table; run it as the database's owner. 'add-user NAME' gives a "
                    "therapist their own login (asks for the password; only its SCRAM verifier is sent).")
    c.add_argument("action", choices=("init", "add-user"))
    c.add_argument("name", nargs="?", help="add-user: the therapist's database role name")
    c.add_argument("--url", metavar="URL", help="the clinic database as its owner (default $SYNKIMETER_DATABASE_URL)")
    c.add_argument("--read-only", action="store_true", help="add-user: may only read patients' records")
    c.add_argument("--no-password", action="store_true", help="add-user: set no password (e.g. certificate login)")
    c.add_argument("--read-write-role", default=READ_WRITE_ROLE, help=argparse.SUPPRESS)
    c.add_argument("--read-only-role", default=READ_ONLY_ROLE, help=argparse.SUPPRESS)
    c.set_defaults(func=cmd_clinic)

    a = subparsers.add_parser("audit", help="who read, exported or deleted a patient's data, and when",
                              description="List the audit table's entries about one patient id (also after the "
                                          "patient was deleted).")
    a.add_argument("patient", metavar="ID", help="the patient's id")
    _data_dir_option(a)
    a.set_defaults(func=cmd_audit)

    s = subparsers.add_parser("store", help="copy this computer's store into a clinic server",
                              description="'copy --to URL' copies every patient, session, clip (with its video and "
                                          "landmarks), result, practice set, note, treatment event and "
                                          "questionnaire into the clinic's PostgreSQL store in one transaction, and "
                                          "checks counts and checksums.")
    s.add_argument("action", choices=("copy",))
    s.add_argument("--to", required=True, metavar="URL", help="the clinic database (postgresql://role@host/db)")
    _data_dir_option(s)
    s.set_defaults(func=cmd_store)
