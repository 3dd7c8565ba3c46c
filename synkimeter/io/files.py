"""Writing files so that a crash or a full disk never leaves a half-written one behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Write to a temporary file beside `path`, flush it to disk, then rename it into place.

    The rename is atomic on one file system, so readers see the old file or the new one, never a
    torn one; on any error the temporary file is removed and `path` is untouched. A device or pipe
    (/dev/stdout, /dev/full) is written straight, as a shell would. An error names `path`, never the
    temporary file.
    """
    path = Path(path)
    text = {} if "b" in mode else {"encoding": encoding, "newline": ""}
    with user_path(path):
        if path.exists() and not path.is_file() and not path.is_dir():
            with open(path, mode, **text) as fh:  # type: ignore[call-overload]
                yield fh
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, mode, **text) as fh:  # type: ignore[call-overload]
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


@contextlib.contextmanager
def user_path(path: str | os.PathLike) -> Iterator[None]:
    """An OSError raised inside names `path`, the file the user gave, not a temporary file beside it."""
    try:
        yield
    except OSError as exc:
        if exc.filename is not None and Path(exc.filename).parent == Path(path).parent \
                and Path(exc.filename).name.endswith(".tmp"):
            exc.filename = str(path)
        raise


def output_problem(path: str | os.PathLike) -> str | None:
    """Why `path` cannot be written (one sentence), or None: asked before the work that makes it."""
    path = Path(path)
    if path.is_dir():
        return f"Could not write '{path}': it is a folder; give a file name."
    if path.exists():
        if not os.access(path, os.W_OK):
            return f"Could not write '{path}': no permission to write it."
        if not path.is_file():
            return None  # a device or pipe, written straight
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"Could not write '{path}': '{folder}' is a file, not a folder."
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"Could not write '{path}': no permission to write in the folder '{folder}'."
    return None


def not_a_file(path: str | os.PathLike) -> str | None:
    """Why `path` is not a file to read a clip from (one sentence), or None if it is one."""
    path = Path(path)
    if path.is_file():
        return None
    if not path.exists():
        return f"The file '{path}' does not exist."
    if path.is_dir():
        return f"'{path}' is a folder, not a video file."
    return f"'{path}' is not a file but a pipe, socket or device: save the video to a file first."


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_writer(path, "w") as fh:
        fh.write(text)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_writer(path, "wb") as fh:
        fh.write(data)
