"""The progress bar every long command shows on a terminal (analyze, import, batch, report).

The bar is drawn on stderr only when stderr is a terminal and the command was not given `-q`; it is
gone when the command ends (`leave=False`), so stderr keeps only sentences.

It writes to its own copy of stderr's file descriptor, made before the work starts: while the face
mesh opens, `landmarks.facemesh` points fd 2 at /dev/null to hide MediaPipe's C++ log lines, and a
bar writing through fd 2 would be hidden with them (that is, for the first seconds of every clip and
of every part of a long one). And a terminal that reports no width (a pseudo-terminal whose size was
never set: `script`, an editor's shell, a CI console) gets 80 columns: left to itself tqdm reads the
width 0 and draws nothing at all.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, TextIO

ProgressCallback = Callable[[int, "int | None"], None]

FALLBACK_COLUMNS = 80


def _terminal_columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or FALLBACK_COLUMNS
    except (AttributeError, OSError, ValueError):
        return FALLBACK_COLUMNS


def wants_bar(quiet: bool) -> bool:
    """A bar only on a terminal, and never with -q."""
    stream = sys.stderr
    return not quiet and stream is not None and hasattr(stream, "isatty") and stream.isatty()


@contextlib.contextmanager
def _own_stderr() -> Iterator[TextIO]:
    """A text stream on a duplicate of fd 2 as it is now (the terminal), closed on leaving."""
    sys.stderr.flush()
    stream = os.fdopen(os.dup(sys.stderr.fileno()), "w", encoding=getattr(sys.stderr, "encoding", None) or "utf-8",
                       errors="replace", buffering=1)
    try:
        yield stream
    finally:
        stream.close()


@contextlib.contextmanager
def progress_bar(desc: str, *, quiet: bool, unit: str = " frames", total: int | None = None) -> Iterator[Any]:
    """A tqdm bar on the terminal, or None (not a terminal, or -q). Use `progress_callback(bar)` for
    the `progress(done, total)` callback the use cases take, or `bar.update()`."""
    if not wants_bar(quiet):
        yield None
        return
    from tqdm import tqdm

    with _own_stderr() as stream:
        bar = tqdm(desc=desc, unit=unit, total=total, leave=False, file=stream, ncols=_terminal_columns(stream),
                   dynamic_ncols=False)
        try:
            yield bar
        finally:
            bar.close()


def progress_callback(bar: Any) -> ProgressCallback | None:
    """The `progress(done, expected_or_None)` callback the use cases take (frames of a clip, patients
    of a store), moving `bar` (None: no bar)."""
    if bar is None:
        return None

    def progress(done: int, total: int | None) -> None:
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    return progress


def print_above(bar: Any, text: str, file: TextIO | None = None) -> None:
    """Print a line (stdout by default) while `bar` (or None) stays drawn below it."""
    if bar is not None:
        bar.clear()
    print(text, file=file or sys.stdout, flush=True)
    if bar is not None:
        bar.refresh()
