# PyInstaller runtime hook: runs in the frozen app before synkimeter.
# mediapipe's drawing helpers (mediapipe/python/solutions/drawing_utils.py) import
# matplotlib.pyplot when mediapipe is imported, only to plot landmarks, which synkimeter never
# does. The app leaves matplotlib and what it brings (Pillow, fontTools, kiwisolver: ~37 MB) out
# and gives that import this stand-in; using it says why instead of failing obscurely.
import sys
import types


def _stand_in(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__path__ = []  # a package, so "matplotlib.pyplot" resolves

    def __getattr__(attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise ImportError(f"{name}.{attr}: matplotlib is not part of the standalone synkimeter app")

    module.__getattr__ = __getattr__
    return module


if "matplotlib" not in sys.modules:
    _mpl = _stand_in("matplotlib")
    _mpl.pyplot = _stand_in("matplotlib.pyplot")
    sys.modules["matplotlib"] = _mpl
    sys.modules["matplotlib.pyplot"] = _mpl.pyplot
