# PyInstaller runtime hook: runs in the frozen app before synkimeter.
# mediapipe's drawing helpers (mediapipe/python/solutions/drawing_utils.py) import
# matplotlib.pyplot when mediapipe is imported, only to plot landmarks, which synkimeter never
# does. The report draws its figures with matplotlib's Figure and its SVG and Agg backends, never
# pyplot, so the app ships matplotlib without pyplot and its GUI backends, and gives mediapipe's
# import this stand-in (it does not load matplotlib itself, so start-up stays as fast); using it
# says why instead of failing obscurely.
import sys
import types

if "matplotlib.pyplot" not in sys.modules:
    _pyplot = types.ModuleType("matplotlib.pyplot")

    def __getattr__(attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise ImportError(f"matplotlib.pyplot.{attr}: pyplot is not part of the standalone synkimeter app")

    _pyplot.__getattr__ = __getattr__
    sys.modules["matplotlib.pyplot"] = _pyplot
