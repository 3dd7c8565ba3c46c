"""One current patient for the whole window, remembered between launches, and the patient manager.

`CurrentPatient` is the one place the window's tabs (Record, My progress, Practice) take the patient
from; it is remembered per data folder in a small private JSON file in the user's config folder
(`window_state_path()`, owner-only, no names: pseudonymous ids only).

`PatientManager` is the dialog a therapist (or a patient at home) manages records with: add, rename,
delete (with confirmation; the clip files go too), the patient's notes and dated clinician notes, and
the patient's sessions with correct (kind, date, notes) and delete.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QDate, QDateTime, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from synkimeter.gui.scrolling import vertical_scroll
from synkimeter.gui.theme import MUTED_COLOR, STYLE
from synkimeter.store.records import session_numbers, session_state, session_when

# Where the window keeps what it remembers between launches (the current patient per store), in the
# user's configuration folder (SYNKIMETER_CONFIG_DIR overrides it: tests, a portable install).
STATE_FILE = "window.json"
KIND_TEXT = {"baseline": "Baseline", "follow-up": "Follow-up", "self-check": "Self-check"}


def window_state_path() -> Path:
    from synkimeter.store.backend import config_dir

    return config_dir() / STATE_FILE


def _store_key() -> str:
    """Which store the remembered patient belongs to: the clinic server's URL, or the data folder."""
    from synkimeter.store.backend import configured_url, data_dir

    with contextlib.suppress(Exception):  # a settings file that cannot be read: the window says so later
        url = configured_url()
        if url:
            return url
    with contextlib.suppress(OSError):
        return str(data_dir().resolve())
    return str(data_dir())


def _read_state(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def read_window_state() -> dict:
    """What the window remembers (its current patients, its text size); {} when nothing or unreadable."""
    return _read_state(window_state_path())


def remembered_patient() -> str:
    """The current patient remembered for this data folder ('' if none)."""
    value = (read_window_state().get("current_patient") or {}).get(_store_key(), "")
    return value if isinstance(value, str) else ""


def remember_patient(pseudonym: str) -> None:
    """Remember (or with '' forget) the current patient for this data folder."""
    per_store = read_window_state().get("current_patient")
    if not isinstance(per_store, dict):
        per_store = {}
    if pseudonym:
        per_store[_store_key()] = pseudonym
    else:
        per_store.pop(_store_key(), None)
    write_window_state({"current_patient": per_store})


def write_window_state(changes: dict) -> None:
    """Remember `changes` beside what the window already remembers: a private file (folder 0700,
    file 0600), written whole and moved in place. A failure is not worth a message."""
    path = window_state_path()
    data = {**_read_state(path), **changes}
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)


OPENED = "opened in the window"  # the audit row's detail when the window shows a patient


def record_access(store, action: str, pseudonym: str, detail: str) -> str:
    """Keep in the store's audit table that the window read or exported `pseudonym`'s data. Returns ''
    or, when the row could not be written, one sentence for the status bar: the audit must never
    stop the therapist's work. A patient not in the store (yet) has nothing to audit."""
    from synkimeter.store import StoreError

    try:
        patient = store.patient(pseudonym)
        if patient is not None:
            store.record_access(action, patient, detail)
    except StoreError as exc:
        return audit_failure(action, pseudonym, str(exc))
    return ""


def record_access_in(store_factory, action: str, pseudonym: str, detail: str) -> str:
    """`record_access` on a store opened for it (`store_factory()`); '' or one sentence."""
    from synkimeter.store import StoreError

    if not pseudonym:
        return ""
    try:
        with store_factory() as store:
            return record_access(store, action, pseudonym, detail)
    except StoreError as exc:
        return audit_failure(action, pseudonym, str(exc))


def audit_failure(action: str, pseudonym: str, reason: str) -> str:
    what = "opening" if action == "read" else "export"
    reason = reason[:1].lower() + reason[1:] if reason[1:2].islower() else reason
    return f"The access log could not note the {what} of {pseudonym}: {reason.rstrip('.')}."


@dataclass(frozen=True)
class StoreLook:
    """What the window's first visit to the store found (`look_at_store`)."""

    location: str  # where the store is (`Store.location`), '' when it could not be opened
    problem: str  # the StoreError's sentence when it could not
    pseudonym: str  # the patient the window opens on ('' for none)
    audit_problem: str  # why opening that patient could not be recorded, or ''
    remembered: str = ""  # the patient the window had when it looked


def look_at_store(remembered: str, store_factory=None, audit: bool = False) -> StoreLook:
    """At start: forget a remembered patient that is no longer in the store; with none, take the
    only patient when there is exactly one (never the alphabetically first of several). With
    `audit`, that patient is recorded as read in the same visit. No Qt here: the window runs it on
    a worker thread, so a slow clinic server never holds the window."""
    from synkimeter.store import Store, StoreError

    pseudonym, audit_problem = remembered, ""
    try:
        with (store_factory or Store)() as store:
            location = store.location
            names = [p.pseudonym for p in store.patients()]
            if pseudonym and pseudonym not in names:
                pseudonym = ""
            if not pseudonym and len(names) == 1:
                pseudonym = names[0]
            if audit and pseudonym:
                audit_problem = record_access(store, "read", pseudonym, OPENED)
    except StoreError as exc:
        return StoreLook("", str(exc), remembered, "", remembered)
    return StoreLook(location, "", pseudonym, audit_problem, remembered)


class CurrentPatient(QObject):
    """The window's one current patient (a pseudonymous id, '' for none). `changed(pseudonym)`."""

    changed = Signal(str)

    def __init__(self, pseudonym: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self._pseudonym = remembered_patient() if pseudonym is None else pseudonym

    @property
    def pseudonym(self) -> str:
        return self._pseudonym

    def set(self, pseudonym: str | None) -> None:
        pseudonym = (pseudonym or "").strip()
        if pseudonym == self._pseudonym:
            return
        self._pseudonym = pseudonym
        remember_patient(pseudonym)
        self.changed.emit(pseudonym)


class NoteDialog(QDialog):
    """A clinician's note: its text and its clinical date (the day it is about; today by default,
    never after today)."""

    def __init__(self, prompt: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Clinician's note")
        form = QFormLayout(self)
        form.addRow(QLabel(prompt))
        self.text = QLineEdit()
        self.text.setMinimumWidth(420)
        self.text.setAccessibleName("Note")
        form.addRow("Note:", self.text)
        self.day = QDateEdit(QDate.currentDate())
        self.day.setDisplayFormat("yyyy-MM-dd")
        self.day.setCalendarPopup(True)
        self.day.setMaximumDate(QDate.currentDate())
        self.day.setAccessibleName("Clinical date")
        form.addRow("Clinical date:", self.day)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, str]:
        return self.text.text().strip(), self.day.date().toString("yyyy-MM-dd")


class SessionEditor(QDialog):
    """Correct one session: kind, date and time, notes."""

    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Correct session")
        form = QFormLayout(self)
        self.kind_box = QComboBox()
        self.kind_box.setAccessibleName("Kind of session")
        for kind, text in KIND_TEXT.items():
            self.kind_box.addItem(text, kind)
        self.kind_box.setCurrentIndex(max(0, self.kind_box.findData(session.kind)))
        form.addRow("Kind of session:", self.kind_box)
        self.when = QDateTimeEdit(QDateTime.fromString(session.started_at[:19], Qt.DateFormat.ISODate))
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setCalendarPopup(True)
        form.addRow("Date and time:", self.when)
        self.notes = QLineEdit(session.notes)
        self.notes.setMinimumWidth(360)
        form.addRow("Notes:", self.notes)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict:
        return {"kind": self.kind_box.currentData(),
                "started_at": self.when.dateTime().toString("yyyy-MM-ddTHH:mm:ss"),
                "notes": self.notes.text().strip()}


class PatientManager(QDialog):
    """Patients and their sessions: add, rename, delete, notes; correct or delete a session.

    `current` is the window's CurrentPatient ("Use this patient" sets it; a rename or delete follows).
    The questions it asks (`ask_text`, `confirm`, `edit_values`) are methods, so tests can answer them.
    """

    def __init__(self, current: CurrentPatient, store_factory=None, parent=None) -> None:
        super().__init__(parent)
        from synkimeter.store import Store

        self.current = current
        self.store_factory = store_factory or Store
        self.setWindowTitle("Patients")
        self.setStyleSheet(STYLE)
        self.resize(1200, 720)
        grid = QGridLayout(self)
        grid.setColumnStretch(1, 1)

        left = QVBoxLayout()
        heading = QLabel("<b>Patients</b> (codes, never names)")
        heading.setWordWrap(True)
        left.addWidget(heading)
        self.patient_list = QListWidget()
        self.patient_list.setAccessibleName("Patients")
        self.patient_list.setMinimumWidth(220)
        # A long line ("PX-0042 · 5 sessions (current)") wraps at large text instead of scrolling sideways.
        self.patient_list.setWordWrap(True)
        self.patient_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.patient_list.currentItemChanged.connect(lambda *_: self._show_selected())
        self.patient_list.itemDoubleClicked.connect(lambda *_: self.use_selected())
        left.addWidget(self.patient_list, 1)
        # Two buttons a row: at the largest text three in a row kept the list ~450 px wide, squeezing
        # the grades table beside it.
        row = QGridLayout()
        self.add_button = QPushButton("Add…")
        self.add_button.clicked.connect(lambda: self.add_patient())
        self.rename_button = QPushButton("Rename…")
        self.rename_button.clicked.connect(lambda: self.rename_patient())
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(lambda: self.delete_patient())
        for i, b in enumerate((self.add_button, self.rename_button, self.delete_button)):
            row.addWidget(b, i // 2, i % 2)
        left.addLayout(row)
        self.take_in_button = QPushButton("Take in a patient's file…")
        self.take_in_button.setToolTip("A file a patient sent you (their \"Send my recordings to my therapist\")")
        self.take_in_button.clicked.connect(lambda: self.take_in_file())
        left.addWidget(self.take_in_button)
        grid.addLayout(left, 0, 0)

        right = QVBoxLayout()
        self.heading = QLabel("")
        self.heading.setObjectName("title")
        self.heading.setWordWrap(True)
        right.addWidget(self.heading)
        right.addWidget(QLabel("Sessions"))
        self.session_table = QTableWidget(0, 6)
        self.session_table.setAccessibleName("Sessions")
        self.session_table.setHorizontalHeaderLabels(["Session", "Date and time", "Kind", "Status", "Tasks", "Notes"])
        self.session_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.session_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.session_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.session_table.verticalHeader().setVisible(False)
        header = self.session_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.session_table.doubleClicked.connect(lambda *_: self.edit_session())
        right.addWidget(self.session_table, 3)
        srow = QHBoxLayout()
        self.edit_session_button = QPushButton("Correct session…")
        self.edit_session_button.clicked.connect(lambda: self.edit_session())
        self.delete_session_button = QPushButton("Delete session…")
        self.delete_session_button.clicked.connect(lambda: self.delete_session())
        srow.addWidget(self.edit_session_button)
        srow.addWidget(self.delete_session_button)
        srow.addStretch(1)
        right.addLayout(srow)
        # The selected session's synkinesis grades, read-only, each beside its measured quantity.
        self.grades_title = QLabel("")
        self.grades_title.setWordWrap(True)
        right.addWidget(self.grades_title)
        self.grades_table = QTableWidget(0, 5)
        # Two-line headings: at the largest text a one-line "Measured quantity" outgrew its column.
        self.grades_table.setHorizontalHeaderLabels(["Movement", "Measured\nquantity", "Value", "95 %\ninterval",
                                                     "Sunnybrook\ngrade"])
        self.grades_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grades_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.grades_table.verticalHeader().setVisible(False)
        self.grades_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.grades_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.grades_table.setWordWrap(True)
        right.addWidget(self.grades_table)
        self.grades_summary = QLabel("")
        self.grades_summary.setWordWrap(True)
        self.grades_summary.setObjectName("caption")
        right.addWidget(self.grades_summary)
        self.session_table.itemSelectionChanged.connect(lambda: self._show_grades())
        right.addWidget(QLabel("About this patient (kept with the record)"))
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setMaximumHeight(70)
        right.addWidget(self.notes_edit)
        nrow = QHBoxLayout()
        self.save_notes_button = QPushButton("Save these notes")
        self.save_notes_button.clicked.connect(lambda: self.save_notes())
        nrow.addWidget(self.save_notes_button)
        self.add_note_button = QPushButton("Add a dated clinician's note…")
        self.add_note_button.clicked.connect(lambda: self.add_note())
        nrow.addWidget(self.add_note_button)
        nrow.addStretch(1)
        right.addLayout(nrow)
        self.clinician_notes = QLabel("")
        self.clinician_notes.setWordWrap(True)
        self.clinician_notes.setTextFormat(Qt.TextFormat.RichText)
        self.clinician_notes.setObjectName("caption")
        right.addWidget(self.clinician_notes, 1)
        # The patient's column scrolls where the dialog is short (large text on a 1366x768 screen): the
        # grades table keeps the height of its five rows, and without the scroll area the lines under
        # it were drawn over it and the sessions squeezed to one row.
        self.session_table.setMinimumHeight(self.session_table.horizontalHeader().sizeHint().height()
                                            + 3 * self.session_table.verticalHeader().defaultSectionSize() + 4)
        right_page = QWidget()
        right_page.setObjectName("patientPage")
        right_page.setLayout(right)
        right.setContentsMargins(0, 0, 6, 0)
        self.detail_area = vertical_scroll(right_page)
        grid.addWidget(self.detail_area, 0, 1)

        self.message = QLabel("")
        self.message.setWordWrap(True)
        grid.addWidget(self.message, 1, 0, 1, 2)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        self.use_button = QPushButton("Use this patient")
        self.use_button.setObjectName("primary")
        self.use_button.clicked.connect(lambda: self.use_selected())
        bottom.addWidget(self.use_button)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        bottom.addWidget(close)
        grid.addLayout(bottom, 2, 0, 1, 2)
        self.refresh(select=current.pseudonym)

    # -- questions (answered by tests) -------------------------------------------------------------
    def ask_text(self, title: str, label: str, text: str = "") -> str | None:
        value, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Normal, text)
        return value.strip() if ok else None

    def confirm(self, title: str, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Yes

    def edit_values(self, session) -> dict | None:
        editor = SessionEditor(session, self)
        return editor.values() if editor.exec() == QDialog.DialogCode.Accepted else None

    # -- state ------------------------------------------------------------------------------------
    @property
    def selected(self) -> str:
        item = self.patient_list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else ""

    @property
    def selected_session_id(self) -> int | None:
        """The store's id of the session chosen in the list (its row shows the patient's #number)."""
        row = self.session_table.currentRow()
        item = self.session_table.item(row, 0) if row >= 0 else None
        return int(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {'#b3261e' if error else MUTED_COLOR};")

    def _run(self, action):
        """Run `action(store)`; a StoreError becomes one sentence on the dialog. Returns its result or None."""
        from synkimeter.store import StoreError

        try:
            with self.store_factory() as store:
                return action(store)
        except StoreError as exc:
            self._say(str(exc), error=True)
            return None

    def refresh(self, select: str | None = None) -> None:
        select = self.selected if select is None else select
        rows = self._run(lambda store: [(p.pseudonym, len(store.sessions(p))) for p in store.patients()]) or []
        self.patient_list.blockSignals(True)
        self.patient_list.clear()
        for name, n in rows:
            mark = "  (current)" if name == self.current.pseudonym else ""
            item = QListWidgetItem(f"{name}  ·  {n} session{'s' if n != 1 else ''}{mark}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.patient_list.addItem(item)
            if name == select:
                self.patient_list.setCurrentItem(item)
        self.patient_list.blockSignals(False)
        self._show_selected()

    def _show_selected(self) -> None:
        name = self.selected
        has = bool(name)
        for b in (self.rename_button, self.delete_button, self.use_button, self.save_notes_button,
                  self.add_note_button, self.edit_session_button, self.delete_session_button):
            b.setEnabled(has)
        self.session_table.setRowCount(0)
        self.notes_edit.setPlainText("")
        self.clinician_notes.setText("")
        if not has:
            self.heading.setText("No patient chosen: add one, or choose one on the left.")
            return

        def load(store):
            p = store.require_patient(name)
            return p, [(s, store.clips(s)) for s in store.sessions(p)], store.notes(p)

        found = self._run(load)
        if found is None:
            return
        patient, sessions, notes = found
        side = f" · affected side: {patient.affected_side}" if patient.affected_side else ""
        self.heading.setText(f"{patient.pseudonym}{side}")
        self.notes_edit.setPlainText(patient.notes)
        self.session_table.setRowCount(len(sessions))
        numbers = session_numbers([s for s, _clips in sessions])
        for r, (s, clips) in enumerate(sessions):
            tasks = ", ".join(c.task.replace("_", " ") for c in clips if c.status == "complete") or "–"
            for c, text in enumerate((f"#{numbers[s.id]}", session_when(s.started_at), KIND_TEXT.get(s.kind, s.kind),
                                      session_state(s, clips), tasks, s.notes)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, s.id)
                self.session_table.setItem(r, c, item)
        if notes:
            self.clinician_notes.setText("<b>Clinician's notes</b><br>" + "<br>".join(
                f"{n['day']}"
                + (f" (session #{numbers[n['session_id']]})" if n["session_id"] in numbers else "")
                + f": {_html(n['text'])}" for n in notes))

    def _show_grades(self) -> None:
        """The selected session's grades (usecases/grades.py): "not seen" where a task was not seen."""
        from synkimeter.usecases.grades import eface_words, grade_rows, session_grades, sum_words

        self.grades_table.setRowCount(0)
        self.grades_title.setText("")
        self.grades_summary.setText("")
        sid = self.selected_session_id
        if sid is None:
            return
        grades = self._run(lambda store: session_grades(store, sid))
        if grades is None:
            return
        self.grades_title.setText(f"<b>Synkinesis grades of session {sid}</b>: {grades.label}")
        rows = grade_rows(grades)
        self.grades_table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.grades_table.setItem(r, c, QTableWidgetItem(text))
        table = self.grades_table
        table.resizeRowsToContents()  # all five rows in sight, the quantity's words wrapped
        table.setMinimumHeight(table.horizontalHeader().height() + sum(table.rowHeight(r) for r in range(len(rows)))
                               + 2 * table.frameWidth())
        self.grades_summary.setText(f"{sum_words(grades)}. {eface_words(grades)}.")

    # -- actions ----------------------------------------------------------------------------------
    def add_patient(self, pseudonym: str | None = None) -> str | None:
        if pseudonym is None:
            pseudonym = self.ask_text("Add a patient", "The new patient's code (e.g. PX-0042; never a name):")
        if not pseudonym:
            return None
        patient = self._run(lambda store: store.add_patient(pseudonym))
        if patient is None:
            return None
        self._say(f"Patient '{patient.pseudonym}' added.")
        self.refresh(select=patient.pseudonym)
        return patient.pseudonym

    def rename_patient(self, new: str | None = None) -> bool:
        old = self.selected
        if not old:
            return False
        if new is None:
            new = self.ask_text("Rename a patient", f"A new code for '{old}' (never a name):", old)
        if not new or new == old:
            return False
        patient = self._run(lambda store: store.rename_patient(old, new))
        if patient is None:
            return False
        if self.current.pseudonym == old:
            self.current.set(patient.pseudonym)
        self._say(f"'{old}' is now '{patient.pseudonym}'.")
        self.refresh(select=patient.pseudonym)
        return True

    def delete_patient(self) -> bool:
        name = self.selected
        if not name:
            return False
        n = self._run(lambda store: len(store.sessions(store.require_patient(name))))
        if n is None or not self.confirm(
                "Delete a patient", f"Delete '{name}' with {n} session{'s' if n != 1 else ''}, their results, practice "
                                    "sets, notes and video files? This cannot be undone."):
            return False
        if self._run(lambda store: store.delete_patient(name)) is None:
            return False
        if self.current.pseudonym == name:
            self.current.set("")
        self._say(f"Patient '{name}' and their files were deleted.")
        self.refresh(select="")
        return True

    def save_notes(self) -> None:
        name = self.selected
        text = self.notes_edit.toPlainText().strip()
        if name and self._run(lambda store: store.update_patient(name, notes=text)) is not None:
            self._say("Notes saved.")

    def ask_note(self, prompt: str) -> tuple[str, str] | None:
        """The note's text and its clinical date (today unless changed), or None."""
        dialog = NoteDialog(prompt, self)
        return dialog.values() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def add_note(self, text: str | None = None, day: str | None = None) -> bool:
        """A clinician's note on the selected patient (on the session chosen in the list, if one is),
        with its clinical date `day` (YYYY-MM-DD; default today)."""
        name = self.selected
        if not name:
            return False
        sid = self.selected_session_id
        if text is None:
            item = self.session_table.item(self.session_table.currentRow(), 0)
            about = f" about session {item.text()}" if sid is not None and item is not None else ""
            answer = self.ask_note(f"A note on '{name}'{about} (shown in the report):")
            if answer is None:
                return False
            text, day = answer
        if not text:
            return False

        def add(store):
            patient = store.require_patient(name)
            session = store.patient_session(patient, sid) if sid is not None else None
            return store.add_note(patient, text, session, day=day)

        if self._run(add) is None:
            return False
        self._say("Note kept.")
        self._show_selected()
        return True

    def _session(self, store):
        return store.patient_session(store.require_patient(self.selected), self.selected_session_id)

    def edit_session(self, values: dict | None = None) -> bool:
        if not self.selected or self.selected_session_id is None:
            self._say("Choose a session in the list first.", error=True)
            return False
        session = self._run(self._session)
        if session is None:
            return False
        values = values if values is not None else self.edit_values(session)
        if not values:
            return False
        if self._run(lambda store: store.update_session(self._session(store), **values)) is None:
            return False
        self._say(f"Session {session.id} corrected.")
        self._show_selected()
        return True

    def delete_session(self) -> bool:
        if not self.selected or self.selected_session_id is None:
            self._say("Choose a session in the list first.", error=True)
            return False
        session = self._run(self._session)
        if session is None or not self.confirm(
                "Delete a session",
                f"Delete session {session.id} ({KIND_TEXT.get(session.kind, session.kind).lower()}, "
                f"{session.started_at[:16].replace('T', ' ')}) with its results and video files? "
                "This cannot be undone."):
            return False
        if self._run(lambda store: store.delete_session(session) or True) is None:
            return False
        self._say(f"Session {session.id} deleted.")
        self.refresh()
        return True

    def receive_dialog(self):
        from synkimeter.gui.share import ReceiveDialog

        dialog = ReceiveDialog(self.store_factory, parent=self)
        dialog.received.connect(lambda name: self.refresh(select=name))
        return dialog

    def take_in_file(self) -> None:
        """"Take in a patient's file..." (modal); the list shows the patient it went to."""
        self.receive_dialog().exec()

    def use_selected(self) -> None:
        if self.selected:
            self.current.set(self.selected)
            self.accept()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
