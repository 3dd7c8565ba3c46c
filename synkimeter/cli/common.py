"""What every subcommand shares: its exit codes and the one-sentence failure."""

from __future__ import annotations

import sys

EXIT_OK = 0
# Bad input of any kind (a missing or damaged file, no face, a damaged store, a clip that failed in a
# batch): one plain sentence on stderr, never a traceback.
EXIT_BAD_INPUT = 2


def fail(message: str) -> int:
    print(f"synkimeter: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT
