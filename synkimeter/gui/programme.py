"""The therapist's home programme in the window: today's sets and what is done (the Practice page),
and the sets done against prescribed per week (My progress). What is shown is computed by
`synkimeter.usecases.programme`; these are two small labels the pages add with a few lines."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from synkimeter.gui.theme import MUTED_COLOR
from synkimeter.store.records import Programme


class ProgrammeToday(QLabel):
    """"Today: 2 sets of 20 blinks, 1 done" for each kind the patient's programme runs today; hidden
    when none runs."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("programme_today")
        self.setWordWrap(True)
        self.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.setToolTip("Your home programme, as your therapist set it.")
        self.setVisible(False)

    def load(self, store, pseudonym: str, kind: str) -> Programme | None:
        """Show the patient's programme today from `store`; returns the running programme of `kind`."""
        from synkimeter.usecases.programme import today_for_patient

        days = today_for_patient(store, pseudonym) if pseudonym else []
        lines = [f"{t.text} ({t.goal_text})" if t.goal_text else t.text for t in days]
        self.setText("\n".join(lines))
        self.setVisible(bool(lines))
        return next((t.programme for t in days if t.programme.kind == kind), None)

    def clear(self) -> None:
        self.setText("")
        self.setVisible(False)


class AdherenceRows(QLabel):
    """The home programme's sets done against prescribed, one row per week (newest last); hidden when
    the patient has no programme."""

    WEEKS = 8

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("adherence")
        self.setWordWrap(True)
        self.setVisible(False)

    def load(self, store, pseudonym: str) -> None:
        from synkimeter.usecases.programme import adherence_for_patient

        patient = store.patient(pseudonym) if pseudonym else None
        weeks = adherence_for_patient(store, patient, weeks=self.WEEKS) if patient is not None else []
        rows: dict = {}
        for week in weeks:
            rows.setdefault(week.start, []).append(week.text)
        lines = [f"<b>Home programme</b> <span style='color:{MUTED_COLOR}'>(sets done against prescribed, "
                 "per week)</span>"]
        lines += [f"Week of {start.day} {start.strftime('%b')}: {'; '.join(texts)}" for start, texts in rows.items()]
        self.setText("<br>".join(lines))
        self.setVisible(bool(rows))

    def clear(self) -> None:
        self.setText("")
        self.setVisible(False)
