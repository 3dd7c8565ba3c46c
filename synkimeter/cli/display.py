"""Before a window opens: is there a display, and are Qt's system libraries there?

Without them Qt prints its own message and aborts the process (exit 134); this says in one sentence
what is missing instead, and the command exits with code 2. Linux only: Qt's Windows and macOS
builds carry what they need.
"""

from __future__ import annotations

import ctypes
import os
import sys

# Qt's xcb platform plugin (X11, and XWayland) loads these at start; the Debian/Ubuntu package that
# brings each. libxcb-cursor0, libxcb-icccm4 and libxcb-keysyms1 are the ones a fresh desktop lacks.
XCB_LIBRARIES = (
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-image.so.0", "libxcb-image0"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxcb-randr.so.0", "libxcb-randr0"),
    ("libxcb-shape.so.0", "libxcb-shape0"),
    ("libxcb-xkb.so.1", "libxcb-xkb1"),
    ("libxcb-xfixes.so.0", "libxcb-xfixes0"),
    ("libxcb-sync.so.1", "libxcb-sync1"),
    ("libxcb-shm.so.0", "libxcb-shm0"),
    ("libxcb-render.so.0", "libxcb-render0"),
    ("libxcb-util.so.1", "libxcb-util1"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libxkbcommon.so.0", "libxkbcommon0"),
    ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libxcb.so.1", "libxcb1"),
    ("libEGL.so.1", "libegl1"),
    ("libfontconfig.so.1", "libfontconfig1"),
)
# Platforms that need no display and no X libraries.
HEADLESS = ("offscreen", "minimal", "minimalegl", "vnc", "linuxfb", "eglfs", "vkkhrdisplay")


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def qt_platform(env=None) -> str:
    """The platform plugin Qt will use: 'xcb', 'wayland', a headless one, or '' when there is no display."""
    env = os.environ if env is None else env
    wanted = env.get("QT_QPA_PLATFORM", "").strip()
    if wanted:
        return wanted.split(";")[0].split(":")[0].strip().lower()
    if env.get("WAYLAND_DISPLAY", "").strip() and env.get("XDG_SESSION_TYPE", "").strip().lower() == "wayland":
        return "wayland"
    if env.get("DISPLAY", "").strip():
        return "xcb"
    if env.get("WAYLAND_DISPLAY", "").strip():
        return "wayland"
    return ""


def display_problem(env=None, loads=_loads, platform: str | None = None) -> str | None:
    """One sentence saying why no window can open here, or None."""
    env = os.environ if env is None else env
    if (platform or sys.platform) != "linux":
        return None
    which = qt_platform(env)
    if which in HEADLESS:
        return None
    if not which or (which == "xcb" and not env.get("DISPLAY", "").strip()) or \
            (which == "wayland" and not env.get("WAYLAND_DISPLAY", "").strip()):
        return ("There is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set): start "
                "synkimeter from the computer's desktop, or use its commands that need no window (synkimeter --help).")
    if which != "xcb":
        return None
    missing = [package for soname, package in XCB_LIBRARIES if not loads(soname)]
    if not missing:
        return None
    return (f"The window needs system libraries that are missing here ({', '.join(missing)}): install them, "
            f"e.g. with 'sudo apt install {' '.join(missing)}', then start synkimeter again.")


def window_problem() -> str | None:
    """One sentence saying why no window can open here (no display, a missing system library, Qt
    not importable), or None: checked before Qt could abort the process (exit 134)."""
    problem = display_problem()
    if problem:
        return problem
    try:
        import PySide6.QtWidgets  # noqa: F401

        import synkimeter.gui  # noqa: F401 - the Qt workarounds (synkimeter.gui._compat)
    except ImportError as exc:
        return f"The window cannot start here ({exc})."
    return None
