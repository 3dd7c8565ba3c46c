"""The `synkimeter` command: the window by default, and headless subcommands.

Each subcommand lives in its own module here and registers itself with `add_commands`; the use
cases a command needs are imported when it runs, so `synkimeter --help` stays quick.
"""

from __future__ import annotations

import argparse
import os
import sys

from synkimeter import __version__
from synkimeter.cli import (
    analyze,
    batch,
    clinic,
    events,
    grades,
    licences,
    practice,
    programme,
    questionnaire,
    share,
    store,
)
from synkimeter.cli.common import EXIT_BAD_INPUT, EXIT_OK, fail

EXAMPLES = """examples:
  synkimeter analyze sample_videos/right_3mm.mp4
      measure a shipped sample clip (in sample_videos/ of the source folder, or beside the
      standalone app's executable) and print its summary
  synkimeter import my_clip.mp4 --patient P001 && synkimeter report P001 --pdf P001.pdf
      keep a recording in a patient's record and write the patient's report

`synkimeter COMMAND --help` tells more about each command."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synkimeter",
        description="Measure facial synkinesis through a webcam. With no command, opens the window.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXAMPLES,
    )
    parser.add_argument("--version", action="version", version=f"synkimeter {__version__}")
    licences.add_option(parser)
    # Named COMMAND in the usage line, so the list of commands is shown once (argparse otherwise
    # spells every name out in the usage line and again above their descriptions).
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    for module in (analyze, batch, store, grades, events, questionnaire, programme, practice, clinic, share):
        module.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    # No command opens the window, and the window's own options work without the word `gui`
    # (`synkimeter --source 1`).
    if words and words[0].startswith("-") and words[0] not in ("-h", "--help", "--version", "--licences", "--licenses"):
        words = ["gui", *words]
    args = parser.parse_args(words)
    if args.command is None:
        args = parser.parse_args(["gui", *words])
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return fail("Stopped.")


__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "build_parser", "main"]
