"""Work around a reference-counting defect of some PySide6 builds on Python < 3.12.

PySide6 6.12.0 (abi3 wheels) returns `None` from every C++ `void` method without taking a new
reference; from Python 3.12 on, None/True/False are immortal and nothing happens, but on 3.11 each
such call drops one reference to None. A window repainting 30 times a second makes thousands of
these calls a second, and the process dies with "Fatal Python error: none_dealloc" within seconds
to minutes (or at exit). The cure is a fixed PySide6 or Python >= 3.12; until then this gives the
singletons a reference count so large that it cannot run out (what 3.12 does by design).

`apply()` is idempotent, checks the defect first (100 calls of a void method) and does nothing
where it is absent.
"""

from __future__ import annotations

import ctypes
import sys

_IMMORTAL = 1 << 40  # ~1e12 leaked references before it could matter
_applied = False


def defect_present() -> bool:
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(100):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before - 50


def apply() -> bool:
    """Make None/True/False effectively immortal if this PySide6 leaks references to them."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return _applied
    if not defect_present():
        return False
    for singleton in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(singleton))  # ob_refcnt is the first field
        if refcount.value < _IMMORTAL:
            refcount.value += _IMMORTAL
    _applied = True
    return True


def drop_opencv_qt_paths() -> None:
    """opencv-python (the GUI build mediapipe brings) points QT_QPA_PLATFORM_PLUGIN_PATH and
    QT_QPA_FONTDIR at its own Qt 5 plugins when cv2 is imported; PySide6 then fails to load "xcb"
    and the window cannot open on a real desktop. cv2 is imported here first, then its paths go."""
    import os

    import synkimeter.capture._cv  # noqa: F401 - imports cv2, which sets the variables

    for name in ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR"):
        value = os.environ.get(name, "")
        if f"{os.sep}cv2{os.sep}" in value:
            del os.environ[name]
