"""Shared test set-up: Qt offscreen, and the real healthy-face clips beside the checkout."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# ../shared/realclips exists beside the checkout in CI, not on a user's machine.
REALCLIPS = Path(__file__).resolve().parents[2] / "shared" / "realclips"


@pytest.fixture(scope="session")
def realclips_dir() -> Path:
    if not (REALCLIPS / "talking_glasses_man.mp4").exists():
        pytest.skip("../shared/realclips is not beside this checkout")
    return REALCLIPS
