"""`synkimeter share`, `synkimeter receive` and `synkimeter keygen`: a patient's record as one protected
file, from home to the clinic (synkimeter.usecases.share).

The passphrase is read from --passphrase-file (its first line) or asked at the keyboard (twice to
send); without a terminal and without the file the command stops with one sentence before anything
is read or written.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from synkimeter.cli.common import EXIT_OK, fail
from synkimeter.cli.store import _data_dir_option, _guarded, _open


class _Refused(Exception):
    """Bad input found before the store is opened: one sentence."""


def _passphrase(args: argparse.Namespace, *, twice: bool) -> str:
    if args.passphrase_file:
        try:
            lines = Path(args.passphrase_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise _Refused(f"The passphrase file '{args.passphrase_file}' cannot be read.") from exc
        if not lines or not lines[0]:
            raise _Refused(f"The passphrase file '{args.passphrase_file}' is empty: its first line is the passphrase.")
        return lines[0]
    if not sys.stdin.isatty():
        raise _Refused("Give the passphrase with --passphrase-file F (or run the command at a terminal to type it).")
    first = getpass.getpass("Passphrase: ")
    if twice and getpass.getpass("The same passphrase again: ") != first:
        raise _Refused("The two passphrases differ; nothing was written.")
    return first


def _lock(args: argparse.Namespace, key_file: str | None, *, sending: bool):
    """The Lock: the key file given, else the passphrase (asked twice, and checked, to send)."""
    from synkimeter.usecases.share import Lock, check_passphrase

    if key_file and args.passphrase_file:
        raise _Refused("Give a passphrase or a key, not both.")
    if key_file:
        return Lock(key_file=Path(key_file))
    passphrase = _passphrase(args, twice=sending)
    return Lock(passphrase=check_passphrase(passphrase) if sending else passphrase)


@_guarded
def cmd_share(args: argparse.Namespace) -> int:
    from synkimeter.usecases.share import ShareError, share_patient

    try:
        lock = _lock(args, args.recipient, sending=True)
        with _open(args) as store:
            report = share_patient(store, args.patient, args.to, lock, since=args.since, with_video=not args.no_video)
    except (_Refused, ShareError) as exc:
        return fail(str(exc))
    counts = report.counts
    how = ("give them the passphrase another way (by phone, in person)" if lock.passphrase
           else "only the holder of the private key can open it")
    print(f"Wrote '{report.path}' ({report.bytes / 1e6:.1f} MB): {counts.get('sessions', 0)} session(s), "
          f"{counts.get('clips', 0)} clip(s) with {report.files} file(s), {counts.get('practice_sets', 0)} practice "
          f"set(s), {counts.get('saq_answers', 0)} questionnaire(s), {counts.get('programmes', 0)} home programme(s). "
          f"Send it on (home to the clinic, or the clinic's programme back home); {how}.")
    return EXIT_OK


@_guarded
def cmd_receive(args: argparse.Namespace) -> int:
    from synkimeter.usecases.share import ShareError, added_words, receive_file

    try:
        if not Path(args.file).is_file():
            raise _Refused(f"The file '{args.file}' does not exist.")
        lock = _lock(args, args.identity, sending=False)
        with _open(args, writes=True) as store:
            taken = receive_file(store, args.file, lock, as_code=args.as_code)
    except (_Refused, ShareError) as exc:
        return fail(str(exc))
    print(f"Took in for {'new ' if taken.new_patient else ''}patient '{taken.pseudonym}': {added_words(taken)}.")
    return EXIT_OK


def cmd_keygen(args: argparse.Namespace) -> int:
    from synkimeter.io.sealed import SealedError, write_key_pair

    try:
        public = write_key_pair(args.keyfile)
    except SealedError as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"The key could not be written ({exc.strerror or exc}): {args.keyfile}.")
    print(f"Your private key is '{args.keyfile}' (keep it; only you can read it). Give '{public}' to whoever "
          "sends you files: `synkimeter share ID --to FILE --recipient " + str(public) + "`.")
    return EXIT_OK


def _lock_options(parser: argparse.ArgumentParser, key_flag: str, key_metavar: str, key_help: str) -> None:
    parser.add_argument("--passphrase-file", metavar="F", help="read the passphrase from this file's first line")
    parser.add_argument(key_flag, metavar=key_metavar, help=key_help)
    _data_dir_option(parser)


def add_commands(subparsers) -> None:
    p = subparsers.add_parser(
        "share", help="write a patient's recordings and answers to one protected file for the therapist",
        usage="synkimeter share ID --to FILE [--since YYYY-MM-DD] [--no-video] "
              "[--passphrase-file F | --recipient PUBKEYFILE]",
        description="Write the patient's record (sessions, results, landmarks, practice sets, notes, treatment "
                    "events, questionnaire answers and, unless --no-video, the videos) to one file, encrypted with a "
                    "passphrase you choose (asked twice) or the therapist's public key. The therapist takes it in "
                    "with `synkimeter receive FILE`.")
    p.add_argument("patient", metavar="ID", help="the patient's pseudonymous id")
    p.add_argument("--to", required=True, metavar="FILE", help="the file to write")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="only what is dated this day or later")
    p.add_argument("--no-video", action="store_true", help="leave the videos out (landmarks and results go)")
    _lock_options(p, "--recipient", "PUBKEYFILE", "lock it for this public key (from `synkimeter keygen`)")
    p.set_defaults(func=cmd_share)

    p = subparsers.add_parser(
        "receive", help="take a patient's file (from `synkimeter share`) into this store",
        usage="synkimeter receive FILE [--as CODE] [--passphrase-file F | --identity KEYFILE]",
        description="Open a patient's file, check every part of it, and add what this store does not hold yet, "
                    "all at once (taking the same file twice adds nothing). A damaged, changed or cut-short file, or "
                    "a wrong passphrase, is refused and nothing is written.")
    p.add_argument("file", metavar="FILE", help="the patient's file")
    p.add_argument("--as", dest="as_code", metavar="CODE",
                   help="the patient's id here (when the file's id already belongs to another patient)")
    _lock_options(p, "--identity", "KEYFILE", "your private key (from `synkimeter keygen`)")
    p.set_defaults(func=cmd_receive)

    p = subparsers.add_parser(
        "keygen", help="make a key pair so patients can send files only you can open",
        usage="synkimeter keygen KEYFILE",
        description="Write a new private key to KEYFILE (owner-only) and its public key to KEYFILE.pub.")
    p.add_argument("keyfile", metavar="KEYFILE", help="where to keep the private key")
    p.set_defaults(func=cmd_keygen)
