"""The first-run screen (synkimeter/gui/first_run.py): shown once, skippable, says what the tool
does, which cameras were found (or that none was) and where the data is kept; never in tests
unless asked."""

from __future__ import annotations

import os
import stat

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any Qt import

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from synkimeter.gui import first_run  # noqa: E402
from synkimeter.gui.first_run import FirstRunDialog, maybe_show_first_run, remember_shown, should_show  # noqa: E402


def test_never_under_pytest_unless_asked(monkeypatch, tmp_path):
    monkeypatch.delenv(first_run.ENV_FIRST_RUN, raising=False)
    assert "PYTEST_CURRENT_TEST" in os.environ
    assert not should_show(tmp_path)  # no marker, but a test is running
    monkeypatch.setenv(first_run.ENV_FIRST_RUN, "1")
    assert should_show(tmp_path)
    remember_shown(tmp_path)
    assert should_show(tmp_path)  # asked for: every time
    monkeypatch.setenv(first_run.ENV_FIRST_RUN, "0")
    assert not should_show(tmp_path)


def test_shown_once_outside_tests(monkeypatch, tmp_path):
    monkeypatch.delenv(first_run.ENV_FIRST_RUN, raising=False)
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    folder = tmp_path / "config" / "synkimeter"
    assert should_show(folder)
    path = remember_shown(folder)
    assert path is not None and path.exists()
    assert not should_show(folder)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_marker_is_private(tmp_path):
    folder = tmp_path / "synkimeter"
    path = remember_shown(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_unwritable_config_folder_is_no_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert remember_shown(blocker / "synkimeter") is None


def test_no_camera_offers_the_sample(qtbot, tmp_path):
    dialog = FirstRunDialog([], tmp_path / "data", sample_available=True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "synkimeter watches your face" in dialog.what_label.text()
    assert "No camera was found" in dialog.camera_label.text()
    assert str(tmp_path / "data") in dialog.data_label.text()
    assert dialog.sample_button.isVisible() and not dialog.camera_button.isVisible()
    dialog.sample_button.click()
    assert dialog.choice == "sample" and not dialog.isVisible()


def test_cameras_found_are_listed(qtbot, tmp_path):
    dialog = FirstRunDialog(["Camera 0 (640x480)", "USB <HD> Cam (1280x720)"], tmp_path, sample_available=False)
    qtbot.addWidget(dialog)
    dialog.show()
    text = dialog.camera_label.text()
    assert "Found 2 cameras" in text and "Camera 0 (640x480)" in text
    assert "USB &lt;HD&gt; Cam" in text  # a device name is shown as text, not markup
    assert dialog.camera_button.isVisible() and not dialog.sample_button.isVisible()
    dialog.skip_button.click()
    assert dialog.choice == "skip"


def test_in_the_window_skip(qtbot, monkeypatch, tmp_path):
    from synkimeter.gui.app import create_window

    monkeypatch.setenv(first_run.ENV_FIRST_RUN, "1")
    monkeypatch.setenv("SYNKIMETER_DATA_DIR", str(tmp_path / "data"))
    window = create_window(None, cameras=[])
    qtbot.addWidget(window)
    window.show()
    dialog = maybe_show_first_run(window, [], tmp_path / "config")
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    assert str(tmp_path / "data") in dialog.data_label.text()
    assert "No camera was found" in dialog.camera_label.text()
    assert (tmp_path / "config" / first_run.MARKER_NAME).exists()  # remembered once it showed
    dialog.skip_button.click()
    assert not dialog.isVisible()
    assert window.session.spec is None  # skipping starts nothing
    window.close()


def test_in_the_window_continue_with_the_sample(qtbot, monkeypatch, tmp_path):
    from synkimeter.gui.app import create_window
    from synkimeter.gui.session import sample_clip_path

    if sample_clip_path() is None:
        pytest.skip("no sample clip beside this checkout")
    monkeypatch.setenv(first_run.ENV_FIRST_RUN, "1")
    window = create_window(None, cameras=[])
    qtbot.addWidget(window)
    window.show()
    dialog = maybe_show_first_run(window, [], tmp_path)
    dialog.sample_button.click()
    assert str(window.session.spec) == str(sample_clip_path())
    window.close()


def test_not_shown_by_default_in_tests(qtbot, monkeypatch, tmp_path):
    from synkimeter.gui.app import create_window

    monkeypatch.delenv(first_run.ENV_FIRST_RUN, raising=False)
    window = create_window(None, cameras=[])
    qtbot.addWidget(window)
    assert maybe_show_first_run(window, [], tmp_path) is None
    assert not (tmp_path / first_run.MARKER_NAME).exists()
    window.close()


def test_in_the_window_start_with_the_camera_found(qtbot, monkeypatch, tmp_path):
    """The cameras listed are those found, not the window's default choice "Camera 0"."""
    from synkimeter.capture.sources import CameraInfo
    from synkimeter.gui.app import create_window

    monkeypatch.setenv(first_run.ENV_FIRST_RUN, "1")
    window = create_window("0", cameras=[])  # the default camera, absent here
    qtbot.addWidget(window)
    window.show()
    dialog = maybe_show_first_run(window, [], tmp_path)
    assert "No camera was found" in dialog.camera_label.text()
    dialog.close()
    found = [CameraInfo(2, 640, 480, "Desk camera")]
    dialog = maybe_show_first_run(window, found, tmp_path)
    assert "Desk camera (640x480)" in dialog.camera_label.text()
    opened = []
    monkeypatch.setattr(window, "open_source", opened.append)
    window.session.stop()  # whatever camera 0 did (absent: failed; present: running)
    assert not window.session.running
    dialog.camera_button.click()
    assert opened == [2]
    window.close()
