"""The live window (PySide6 + pyqtgraph). Qt is imported only when this package is."""

from synkimeter.gui import _compat

_compat.drop_opencv_qt_paths()
_compat.apply()
