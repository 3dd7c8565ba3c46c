"""The window's two halves of issue 31: "Send my recordings to my therapist..." (the patient, at home)
and, in the patient manager, "Take in a patient's file..." (the therapist, at the clinic).

Both are small dialogs: a file, a passphrase (twice to send), and a button; the work
(synkimeter.usecases.share) runs on a worker thread and its outcome comes back by a queued signal, so
the window stays live while a month of videos is sealed or checked. Every failure is one sentence
on the dialog, and nothing is written then.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from synkimeter.gui.theme import MUTED_COLOR, STYLE
from synkimeter.io.sealed import SCRYPT_LOG_N

FILE_FILTER = "synkimeter patient's file (*.synk)"


class _ProtectedFileDialog(QDialog):
    """What both dialogs share: the file row, the passphrase, the button, the worker and its answer."""

    _done = Signal(object, str)  # from the worker thread: (what it gave back, or None; one sentence on failure)
    action_text = ""

    def __init__(self, store_factory, title: str, intro: str, parent=None) -> None:
        super().__init__(parent)
        self.store_factory = store_factory
        self.setWindowTitle(title)
        self.setStyleSheet(STYLE)
        self.setMinimumWidth(560)
        self.worker: threading.Thread | None = None
        self.outcome: object = None
        layout = QVBoxLayout(self)
        text = QLabel(intro)
        text.setWordWrap(True)
        layout.addWidget(text)
        self.form = QFormLayout()
        file_row = QWidget()
        row = QHBoxLayout(file_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.path_edit = QLineEdit()
        row.addWidget(self.path_edit, 1)
        choose = QPushButton("Choose…")
        choose.clicked.connect(lambda: self._choose())
        row.addWidget(choose)
        self.form.addRow("File", file_row)
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.addRow("Passphrase", self.passphrase_edit)
        layout.addLayout(self.form)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.go_button = QPushButton(self.action_text)
        self.go_button.setObjectName("primary")
        self.go_button.clicked.connect(lambda: self.start())
        buttons.addWidget(self.go_button)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self._done.connect(self._on_done)

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {'#b3261e' if error else MUTED_COLOR};")

    def ask_path(self) -> str:  # answered by the tests
        raise NotImplementedError

    def _choose(self) -> None:
        path = self.ask_path()
        if path:
            self.path_edit.setText(path)

    @property
    def busy(self) -> bool:
        return self.worker is not None and self.worker.is_alive()

    def _job(self, path: Path, passphrase: str):
        """The work, on the worker thread: returns what `_finished` shows."""
        raise NotImplementedError

    def _check(self) -> str:
        """One sentence on what is missing before the work can start, or ''."""
        return ""

    def start(self) -> bool:
        """Start the work on a worker thread; False (and one sentence) when something is missing."""
        path = self.path_edit.text().strip()
        problem = "Choose the file first." if not path else self._check()
        if problem or self.busy:
            self._say(problem, error=True)
            return False
        self.go_button.setEnabled(False)
        self._say("Working… (a month of videos takes a little while)")
        self.worker = threading.Thread(target=self._work, name="share-file", daemon=True,
                                       args=(Path(path), self.passphrase_edit.text()))
        self.worker.start()
        return True

    def _work(self, path: Path, passphrase: str) -> None:
        outcome, problem = None, ""
        try:
            outcome = self._job(path, passphrase)
        except Exception as exc:  # the use case's and the store's errors are one plain sentence  # noqa: BLE001
            problem = str(exc) or "It could not be done."
        with contextlib.suppress(RuntimeError):  # the dialog was closed meanwhile: nobody to tell
            self._done.emit(outcome, problem)

    def _on_done(self, outcome, problem: str) -> None:
        self.go_button.setEnabled(True)
        self.outcome = outcome
        if outcome is None:
            self._say(f"Nothing was written: {problem}", error=True)
        else:
            self._say(self._finished(outcome))

    def _finished(self, outcome) -> str:
        raise NotImplementedError


class SendDialog(_ProtectedFileDialog):
    """"Send my recordings to my therapist...": the current patient's record to one protected file."""

    action_text = "Write the file"

    def __init__(self, pseudonym: str, store_factory, parent=None, *, scrypt_log_n: int = SCRYPT_LOG_N) -> None:
        self.pseudonym = pseudonym
        self.scrypt_log_n = scrypt_log_n
        super().__init__(store_factory, "Send my recordings to my therapist",
                         f"One file with everything of <b>{pseudonym}</b>: sessions, results, practice sets, "
                         "questionnaire answers and videos, locked with a passphrase you choose. Send the file "
                         "(e-mail, USB stick) and tell your therapist the passphrase another way (by phone, in "
                         "person).", parent)
        self.again_edit = QLineEdit()
        self.again_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.addRow("The same again", self.again_edit)
        self.no_video = QCheckBox("Leave the videos out (a much smaller file; the measurements still go)")
        self.form.addRow("", self.no_video)

    def ask_path(self) -> str:
        path, _ = QFileDialog.getSaveFileName(self, "Save the file for your therapist", f"{self.pseudonym}.synk",
                                              FILE_FILTER)
        return path

    def _check(self) -> str:
        from synkimeter.usecases.share import ShareError, check_passphrase

        if self.passphrase_edit.text() != self.again_edit.text():
            return "The two passphrases differ; type the same one twice."
        try:
            check_passphrase(self.passphrase_edit.text())
        except ShareError as exc:
            return str(exc)
        return ""

    def _job(self, path: Path, passphrase: str):
        from synkimeter.usecases.share import Lock, share_patient

        with self.store_factory() as store:
            return share_patient(store, self.pseudonym, path, Lock(passphrase=passphrase,
                                                                   scrypt_log_n=self.scrypt_log_n),
                                 with_video=not self.no_video.isChecked())

    def _finished(self, outcome) -> str:
        return (f"<b>Written</b>: '{outcome.path}' ({outcome.bytes / 1e6:.1f} MB, "
                f"{outcome.counts.get('sessions', 0)} session(s)). Send it to your therapist.")


class ReceiveDialog(_ProtectedFileDialog):
    """"Take in a patient's file...": a file from `share` (or the window's Send) into this store."""

    received = Signal(str)  # the patient's code here
    action_text = "Take it in"

    def __init__(self, store_factory, parent=None) -> None:
        super().__init__(store_factory, "Take in a patient's file",
                         "A file a patient sent you (synkimeter's \"Send my recordings to my therapist\"). Every "
                         "part of it is checked before anything is kept; taking the same file twice adds nothing, "
                         "a newer one adds only what is new.", parent)
        self.as_edit = QLineEdit()
        self.as_edit.setPlaceholderText("only if the file's patient code is taken by another patient here")
        self.form.addRow("Keep as code", self.as_edit)

    def ask_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self, "A patient's file", "", f"{FILE_FILTER};;All files (*)")
        return path

    def _check(self) -> str:
        return "" if self.passphrase_edit.text() else "Type the passphrase the patient told you."

    def _job(self, path: Path, passphrase: str):
        from synkimeter.usecases.share import Lock, receive_file

        with self.store_factory() as store:
            return receive_file(store, path, Lock(passphrase=passphrase), as_code=self.as_edit.text().strip() or None)

    def _finished(self, outcome) -> str:
        from synkimeter.usecases.share import added_words

        self.received.emit(outcome.pseudonym)
        return f"<b>Taken in</b> for {'new ' if outcome.new_patient else ''}patient {outcome.pseudonym}: " \
               f"{added_words(outcome)}."


__all__ = ["ReceiveDialog", "SendDialog"]
