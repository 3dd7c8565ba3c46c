"""Shared test set-up: Qt offscreen, and the real healthy-face clips beside the checkout."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# ../shared/realclips exists beside the checkout in CI, not on a user's machine.
REALCLIPS = Path(__file__).resolve().parents[2] / "shared" / "realclips"


@pytest.fixture(autouse=True)
def _private_window_state(tmp_path_factory, monkeypatch):
    """The window remembers its current patient in a config folder: a fresh one per test, never the user's."""
    monkeypatch.setenv("SYNKIMETER_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))


@pytest.fixture(scope="session")
def realclips_dir() -> Path:
    if not (REALCLIPS / "talking_glasses_man.mp4").exists():
        pytest.skip("../shared/realclips is not beside this checkout")
    return REALCLIPS
