"""The first-run screen: what synkimeter does, whether a camera was found, where the data is kept.

Shown once, over the window, the first time the window opens for a person (`run_app`); a small
owner-only marker file in the user's config folder remembers that it was shown. It is never shown
while pytest runs, unless asked for:

    SYNKIMETER_FIRST_RUN=0    never show it
    SYNKIMETER_FIRST_RUN=1    show it every time, even under pytest (screenshots, checks)
    (unset)                   show it once; not under pytest

The screen does not block the window: it is window-modal (`QDialog.open`), so timers, the camera
and `gui --quit-after` keep running behind it.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QFrame, QHBoxLayout, QLabel, QLayout, QPushButton, QVBoxLayout

from synkimeter.gui.theme import MUTED_COLOR, NOTICE_COLOR, STYLE

ENV_FIRST_RUN = "SYNKIMETER_FIRST_RUN"
MARKER_NAME = "first-run-shown"

WHAT_IT_DOES = (
    "synkimeter watches your face through the webcam and measures, in millimetres, how far each "
    "corner of your mouth moves when your eyes blink (synkinesis, after a facial palsy). "
    "You and your therapist can follow these numbers from week to week; no picture or result ever "
    "leaves this computer."
)
# What to do next, in a patient's words.
NEXT_STEPS = (  # numbered by hand: a QLabel's height for an HTML list comes out short (cut off)
    "1. Ask your therapist for your <b>patient code</b> (such as PX-0042; never your name).<br>"
    "2. Press <b>Patients…</b> at the top right of the window and add that code.<br>"
    "3. Open <b>Record a session</b> and record your first session (about one minute): follow the big "
    "words on the screen."
)


def marker_path(folder: Path | None = None) -> Path:
    """In `folder`, else the user's configuration folder (~/.config/synkimeter on Linux;
    SYNKIMETER_CONFIG_DIR overrides it, as for everything else the window remembers)."""
    from synkimeter.store.backend import config_dir

    return (folder if folder is not None else config_dir()) / MARKER_NAME


def should_show(folder: Path | None = None) -> bool:
    """Whether the first-run screen is due: see the module's docstring."""
    wanted = os.environ.get(ENV_FIRST_RUN, "").strip().lower()
    if wanted in ("0", "no", "never", "false"):
        return False
    if wanted in ("1", "yes", "always", "true"):
        return True
    if "PYTEST_CURRENT_TEST" in os.environ:
        return False
    try:
        return not marker_path(folder).exists()
    except OSError:
        return False


def remember_shown(folder: Path | None = None) -> Path | None:
    """Write the marker (folder 0700, file 0600: only its owner can read either). A folder that
    cannot be written only means the screen comes again next time: None then."""
    path = marker_path(folder)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("The first-run screen was shown; delete this file to see it again.\n")
        if os.name == "posix":
            os.chmod(path, 0o600)
    except OSError:
        return None
    return path


def _section(title: str, body: QLabel) -> QFrame:
    frame = QFrame()
    frame.setObjectName("panel")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(14, 10, 14, 12)
    heading = QLabel(title)
    heading.setObjectName("title")
    layout.addWidget(heading)
    body.setWordWrap(True)
    layout.addWidget(body)
    return frame


class FirstRunDialog(QDialog):
    """What the tool does, the camera check, where the data is kept. `choice` after it closes:
    "camera", "sample" or "skip"."""

    def __init__(self, cameras: list[str], data_folder: Path, sample_available: bool, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to synkimeter")
        self.setStyleSheet(STYLE + "QDialog { background: #f6f5f2; }")
        self.choice = "skip"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        layout.setSpacing(12)

        welcome = QLabel("Welcome to synkimeter")
        welcome.setStyleSheet("font-size: 20pt; font-weight: 600;")
        layout.addWidget(welcome)
        self.what_label = QLabel(WHAT_IT_DOES)
        self.what_label.setWordWrap(True)
        layout.addWidget(self.what_label)

        if cameras:
            found = "Found " + ("1 camera" if len(cameras) == 1 else f"{len(cameras)} cameras") + ":"
            items = "".join(f"<li>{_escape(c)}</li>" for c in cameras)
            text = f'<span style="color:{NOTICE_COLOR["ok"]}; font-weight:600">{found}</span><ul>{items}</ul>'
            text += "You can change the camera at any time with <b>Picture from</b> at the top of the window."
        else:
            text = (f'<span style="color:{NOTICE_COLOR["error"]}; font-weight:600">No camera was found.</span> '
                    "Plug in a webcam (or close other programs using it) and start synkimeter again.")
            if sample_available:
                text += " Meanwhile you can try everything with the sample video."
        self.camera_label = QLabel(text)
        self.camera_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(_section("Camera check", self.camera_label))

        self.next_label = QLabel(NEXT_STEPS)
        self.next_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(_section("What to do next", self.next_label))

        self.kept_label = QLabel("Your recordings and results stay on this computer.")
        layout.addWidget(self.kept_label)
        # The folder and how to move it: for the therapist or whoever set the computer up, shown on asking.
        self.details_button = QPushButton("Details for your therapist")
        self.details_button.setCheckable(True)
        self.details_button.setToolTip("Where the data folder is, and how to keep it somewhere else.")
        self.data_label = QLabel(
            f"Data folder: <b>{_escape(str(data_folder))}</b><br>"
            f'<span style="color:{MUTED_COLOR}">To keep the data somewhere else, set SYNKIMETER_DATA_DIR '
            "before starting synkimeter.</span>")
        self.data_label.setTextFormat(Qt.TextFormat.RichText)
        self.data_label.setWordWrap(True)
        self.data_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_label.setVisible(False)
        self.details_button.toggled.connect(self.data_label.setVisible)
        details = QHBoxLayout()
        details.addWidget(self.details_button)
        details.addStretch(1)
        layout.addLayout(details)
        layout.addWidget(self.data_label)

        buttons = QHBoxLayout()
        self.skip_button = QPushButton("Skip")
        self.skip_button.setToolTip("Close this screen; it will not come again.")
        self.skip_button.clicked.connect(lambda: self._finish("skip"))
        buttons.addWidget(self.skip_button)
        buttons.addStretch(1)
        self.sample_button = QPushButton("Continue with the sample video")
        self.sample_button.setVisible(sample_available)
        self.sample_button.clicked.connect(lambda: self._finish("sample"))
        buttons.addWidget(self.sample_button)
        self.camera_button = QPushButton("Start with my camera")
        self.camera_button.setVisible(bool(cameras))
        self.camera_button.clicked.connect(lambda: self._finish("camera"))
        buttons.addWidget(self.camera_button)
        primary = self.camera_button if cameras else (self.sample_button if sample_available else self.skip_button)
        primary.setObjectName("primary")
        primary.setDefault(True)
        layout.addLayout(buttons)
        self.setMinimumWidth(640)
        # wrapped labels: the dialog takes the height their text needs at its width (never cut off)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        from synkimeter.gui.access import name_controls

        name_controls(self)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        # A dialog does not ask its wrapped labels for their height at its width: once the labels
        # have their new widths, ask them, so no line is cut off (whatever the text size).
        super().resizeEvent(event)
        QTimer.singleShot(0, self._fit_labels)

    def _fit_labels(self) -> None:
        for label in (self.what_label, self.camera_label, self.next_label, self.data_label):
            need = label.heightForWidth(label.width())
            if need > 0 and label.minimumHeight() != need:
                label.setMinimumHeight(need)

    def _finish(self, choice: str) -> None:
        self.choice = choice
        self.accept()


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=False)


def maybe_show_first_run(window, cameras, folder: Path | None = None) -> FirstRunDialog | None:
    """Show the first-run screen over `window` (a MainWindow) if it is due; returns it, or None.
    `cameras`: the cameras found (CameraInfo: `index`, and its label as str). The marker is written
    as soon as the screen shows, so a crash or a closed window does not bring it back every time."""
    if not should_show(folder):
        return None
    from synkimeter.gui.session import sample_clip_path
    from synkimeter.store.backend import data_dir

    cameras = list(cameras)
    sample = sample_clip_path()
    dialog = FirstRunDialog([str(c) for c in cameras], data_dir(), sample is not None, parent=window)
    remember_shown(folder)

    def act(_result: int) -> None:
        if not window.current.pseudonym:
            window.guide_to_patient()  # next: the patient's code (never a red "No patient chosen")
        if dialog.choice == "sample":
            window.play_sample()
        elif dialog.choice == "camera" and cameras and not window.session.running:
            window.open_source(cameras[0].index)

    dialog.finished.connect(act)
    dialog.open()
    return dialog
