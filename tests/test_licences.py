"""`synkimeter --licences` (issue 31): the third-party licences synkimeter runs with, gathered live from
the installed distributions' metadata when run by Python, read from the file the app's build collected
when frozen."""

from __future__ import annotations

import re
import sys

import pytest

from synkimeter.cli import licences, main


@pytest.fixture(scope="module")
def printed() -> str:
    return licences.gather()


def test_licences_exits_0_and_names_what_the_app_ships(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--licences"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    listing = out.split("\n\n", 2)[1]  # the list before the texts
    for name, licence in (("PySide6_Essentials", "LGPL-3.0"), ("shiboken6", "LGPL-3.0"),
                          ("opencv-contrib-python", "Apache"), ("mediapipe", "Apache"), ("numpy", "BSD"),
                          ("scipy", "BSD")):
        assert re.search(rf"^  {re.escape(name)} [\d.]+: .*{licence}", listing, re.M | re.I), name
    assert "Qt 6 libraries" in listing and "FFmpeg (LGPL-2.1)" in listing
    # the texts themselves: Qt's LGPL-3.0 (PySide6 ships none), FFmpeg's notice inside OpenCV's wheel,
    # MediaPipe's Apache-2.0, numpy's and scipy's BSD
    assert "GNU LESSER GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007" in out
    assert "FFmpeg is redistributed within all opencv-python packages." in out
    assert "--- cv2/LICENSE-3RD-PARTY.txt ---" in out
    assert re.search(r"^--- mediapipe-[\d.]+\.dist-info/LICENSE ---\n\s+Apache License", out, re.M)
    assert re.search(r"^--- numpy-[\d.]+\.dist-info/LICENSE\.txt ---", out, re.M)
    assert re.search(r"^--- scipy-[\d.]+\.dist-info/LICENSE\.txt ---", out, re.M)
    # Qt's LGPL text for PySide6 and shiboken6 (neither wheel ships one), printed once
    assert out.count("--- LGPL-3.0.txt (the licence its metadata names) ---") == 1
    assert "--- LGPL-3.0.txt (the licence its metadata names): the same text as under PySide6_Essentials" in out


def test_the_window_options_do_not_swallow_it(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--licenses"])  # the American spelling too
    assert done.value.code == 0 and "PySide6_Essentials" in capsys.readouterr().out


def test_the_build_and_the_frozen_app(tmp_path, monkeypatch, capsys):
    """The build gathers the distributions of the modules it bundles (nothing else); the frozen command
    prints that file rather than gathering again."""
    bundled = licences.distributions_of_modules({"cv2", "PySide6", "numpy", "synkimeter", "not_a_module"})
    assert bundled == ["numpy", "opencv-contrib-python", "PySide6_Essentials"]
    text = licences.gather(bundled)
    assert "  numpy " in text and "  scipy " not in text and "  Python " in text
    collected = tmp_path / licences.COLLECTED_NAME
    collected.write_text("the collected licences\n", encoding="utf-8")
    monkeypatch.setattr(licences, "collected_path", lambda: collected)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    with pytest.raises(SystemExit):
        main(["--licences"])
    assert capsys.readouterr().out == "the collected licences\n"
