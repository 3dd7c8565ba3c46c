"""What every subcommand shares: its exit codes and the one-sentence failure."""

from __future__ import annotations

import argparse
import sys

EXIT_OK = 0
# Bad input of any kind (a missing or damaged file, no face, a damaged store, a clip that failed in a
# batch): one plain sentence on stderr, never a traceback.
EXIT_BAD_INPUT = 2


def fail(message: str) -> int:
    print(f"synkimeter: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def whole_number(low: int, high: int):
    """An argparse type: a whole number from `low` to `high` (a 20-digit one is refused here, with the
    range, before it can overflow anywhere)."""

    def parse(text: str) -> int:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside {low}-{high}")
        return value

    parse.__name__ = "whole number"
    return parse


def real_number(low: float, high: float):
    """An argparse type: a finite number above `low` and at most `high`."""

    def parse(text: str) -> float:
        try:
            value = float(str(text).strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if not low < value <= high:  # NaN fails too
            raise argparse.ArgumentTypeError(f"{text} is outside {low:g}-{high:g} (above {low:g})")
        return value

    parse.__name__ = "number"
    return parse


def outputs_problem(*paths) -> str | None:
    """Why one of the files a command is to write cannot be written, or two are the same file (one
    sentence), or None: asked before the work starts."""
    from pathlib import Path

    from synkimeter.io.files import output_problem

    given = [p for p in paths if p]
    for path in given:
        problem = output_problem(path)
        if problem:
            return problem
    resolved = [Path(p).resolve() for p in given]
    for i, path in enumerate(resolved):
        if path in resolved[:i] and (path.is_file() or not path.exists()):
            return (f"Two outputs name the same file '{given[i]}': the second would overwrite the first; give each "
                    "its own name.")
    return None


def mirrored_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mirrored", action="store_true",
                        help="the video is mirrored (as a phone's front camera often saves it): the subject's sides "
                             "are swapped back before measuring")
