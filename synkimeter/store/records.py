"""The store's records (typed, frozen), the checks on what a user types, and whether a recording
process still runs: nothing here speaks to a database."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Mapping, TypeVar


class StoreError(Exception):
    """The store cannot do what was asked; str() is one plain sentence for the user."""


def now_iso() -> str:
    return datetime.now().replace(microsecond=0).isoformat()


R = TypeVar("R")

# An import copies the video into the store: a webcam clip of the protocol is a few MB, an hour of
# phone video several GB. Larger files are refused rather than silently filling the disk.
MAX_IMPORT_MB = 1024


# --- records -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Patient:
    id: int
    pseudonym: str
    affected_side: str | None
    notes: str
    created: str


@dataclass(frozen=True)
class Session:
    id: int
    patient_id: int
    started_at: str
    kind: str
    protocol: str
    notes: str
    status: str
    ocular_score: float | None = None
    ocular_ci_low: float | None = None
    ocular_ci_high: float | None = None
    ocular_affected_side: str | None = None

    @property
    def date(self) -> str:
        return self.started_at[:10]


@dataclass(frozen=True)
class Clip:
    id: int
    session_id: int
    task: str
    status: str
    video_path: str | None
    landmarks_path: str | None
    summary_path: str | None
    source_name: str
    error: str | None
    created: str


@dataclass(frozen=True)
class SaqRecord:
    """One day's Synkinesis Assessment Questionnaire: the nine answers (1-5) and their total (20-100,
    synkimeter.core.questionnaire.saq_total); `id` is its number for `questionnaire delete`."""

    id: int
    patient_id: int
    date: str  # YYYY-MM-DD
    items: tuple[int, ...]
    total: float
    created: str


@dataclass(frozen=True)
class Programme:
    """The home programme a therapist set for one practice kind: `sets_per_day` sets of `repetitions`
    blinks (puckers, smiles) each, each set judged against `goal` in `unit` (mm for blink, % of the eye's
    rest height for pucker and smile; None: the practice's own planned goal), from `start_date` until
    `until_date` (both YYYY-MM-DD and included; None: until ended or replaced). `id` is its number for
    `programme delete`."""

    id: int
    patient_id: int
    kind: str  # blink, pucker or smile (store.choices.PRACTICE_KINDS)
    sets_per_day: int
    repetitions: int
    goal: float | None
    unit: str
    start_date: str
    until_date: str | None
    created: str

    def active_on(self, day: date) -> bool:
        """Whether the programme runs on `day`."""
        text = day.isoformat()
        return self.start_date <= text and (self.until_date is None or text <= self.until_date)


def record(cls: type[R], row: Mapping[str, Any] | None) -> R | None:
    """A record from a row's mapping (columns it does not name are ignored)."""
    if row is None:
        return None
    return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in row})  # type: ignore[arg-type]


# --- processes -----------------------------------------------------------------------------------
def process_start_token(pid: int) -> str:
    """Something that changes when a pid is reused (Linux: the start time in /proc); '' elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read().decode("ascii", "replace")
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def process_alive(pid: int | None, start_token: str = "") -> bool:
    if not pid or pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]  # Windows only
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        try:
            code = ctypes.c_ulong()
            ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return bool(ok) and code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().decode("ascii", "replace").rsplit(")", 1)[1].split()[0]
        if state in ("Z", "X"):
            return False
    except (OSError, IndexError):
        pass
    if start_token:
        token = process_start_token(pid)
        if token and token != start_token:
            return False  # the pid now belongs to another process
    return True



@dataclass(frozen=True)
class SessionScores:
    """A session's oral-ocular numbers, computed by the use case that saves a clip: per smile or pucker
    clip id its narrowing (right %, low, high, left %, low, high; None where not measurable), and the
    session's ocular score (score, low, high, affected side), all None where there is none."""

    narrowing: dict[int, tuple[float | None, ...]]
    score: tuple[float | None, float | None, float | None, str | None]


@dataclass
class ImportResult:
    patient: Patient
    patient_created: bool
    session: Session
    clip: Clip
    summary: dict


T = TypeVar("T")


def written(value: T | None) -> T:
    """A row just written and read back (within the store's own lock) is there."""
    if value is None:
        raise StoreError("The store lost a row it had just written: run `synkimeter check`.")
    return value


def check_side(side) -> None:
    if side not in (None, "right", "left"):
        raise StoreError(f"The affected side must be 'right' or 'left' (the subject's), not '{side}'.")


def check_pseudonym(pseudonym) -> str:
    text = str(pseudonym or "").strip()
    if not text or len(text) > 64 or any(ord(ch) < 32 for ch in text):
        raise StoreError("A patient id must be 1-64 printable characters (use a pseudonym, not a name).")
    # Invisible characters (zero-width, direction marks and overrides, odd spaces) would make two
    # ids that look the same on screen and in reports belong to two patients.
    hidden = [ch for ch in text if unicodedata.category(ch)[0] in "CZ" and ch != " "]
    if hidden:
        codes = ", ".join(f"U+{ord(ch):04X}" for ch in dict.fromkeys(hidden))
        raise StoreError(f"A patient id must be made of visible characters; this one holds invisible or "
                         f"direction-changing ones ({codes}).")
    return text


def parse_date(text: str) -> str:
    try:
        return datetime.fromisoformat(str(text).strip()).replace(microsecond=0).isoformat()
    except ValueError as exc:
        raise StoreError(f"'{text}' is not a date: use YYYY-MM-DD.") from exc


def parse_day(text) -> date:
    """A calendar day given as YYYY-MM-DD; StoreError (one sentence) otherwise."""
    raw = str(text or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise StoreError(f"'{raw}' is not a date: use YYYY-MM-DD.") from exc


def check_day(text, what: str = "a treatment once it has been given") -> str:
    """A calendar day as YYYY-MM-DD, not after today; StoreError (one sentence) otherwise (`what`: what
    to keep once the day has come, for that sentence)."""
    day = parse_day(text)
    if day > date.today():
        raise StoreError(f"{day.isoformat()} is in the future: keep {what}.")
    return day.isoformat()


