"""The layers import one way: gui/cli -> use cases and reports -> store, io, capture, landmarks -> core.

Every import of the project's own modules is read from the source (top-level and inside functions
alike), so the rule holds for the whole dependency graph, not only what is imported at start-up.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "synkimeter"

# Which layers each layer may import (itself included). `params` modules live inside their layer.
ALLOWED = {
    "core": {"core"},
    "data": {"data"},
    "io": {"io", "core"},
    "capture": {"capture", "core"},
    "landmarks": {"landmarks", "capture", "core"},
    "store": {"store", "io", "landmarks", "core"},
    "usecases": {"usecases", "store", "io", "capture", "landmarks", "core", "data"},
    "report": {"report", "usecases", "store", "io", "core"},
    "gui": {"gui", "report", "usecases", "store", "io", "capture", "landmarks", "core", "data"},
    # The CLI opens the window for `synkimeter gui` and `practice`; the window never runs the CLI.
    "cli": {"cli", "gui", "report", "usecases", "store", "io", "capture", "landmarks", "core", "data"},
}
TOP = {"__init__", "__main__"}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"  # the package itself: its __init__


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in the file, relative ones resolved."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from synkimeter import x` names a subpackage or module x (or the package's __version__)
            if target == "synkimeter":
                found += [(node.lineno, "synkimeter" if alias.name.startswith("__") else f"synkimeter.{alias.name}")
                          for alias in node.names]
            else:
                found.append((node.lineno, target))
    return found


def _project_imports():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, [(line, name) for line, name in _imports(path)
                     if name == "synkimeter" or name.startswith(("synkimeter.", "synkimeter_dev"))]


def test_every_module_belongs_to_a_known_layer():
    layers = {_layer(_module_name(path)) for path in PACKAGE.rglob("*.py")}
    assert layers - set(ALLOWED) - TOP == set()


def test_imports_run_one_way():
    broken = []
    for path, imports in _project_imports():
        source = _layer(_module_name(path))
        if source in TOP:
            continue
        for line, name in imports:
            if name.startswith("synkimeter_dev"):
                broken.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports development-only {name}")
                continue
            target = _layer(name)
            if target in TOP:
                if name != "synkimeter" or source == "core":  # the version string is everyone's but the core's
                    broken.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
                continue
            if target not in ALLOWED[source]:
                broken.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {source} imports {name} ({target})")
    assert not broken, "\n".join(broken)


def test_the_core_imports_no_qt_opencv_or_mediapipe():
    heavy = ("PySide6", "pyqtgraph", "cv2", "mediapipe", "sqlite3")
    for path in sorted((PACKAGE / "core").rglob("*.py")):
        names = [name for _, name in _imports(path)]
        assert not [n for n in names if n.split(".")[0] in heavy], path


def test_the_rule_sees_a_wrong_way_import(tmp_path, monkeypatch):
    """The checker itself: a core module importing the store is caught."""
    fake = tmp_path / "synkimeter"
    (fake / "core").mkdir(parents=True)
    (fake / "core" / "bad.py").write_text("def f():\n    from synkimeter.store import Store\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", fake)
    [(path, imports)] = list(_project_imports())
    assert imports == [(2, "synkimeter.store")]
    assert "store" not in ALLOWED[_layer(_module_name(path))]
