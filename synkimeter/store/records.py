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


def session_numbers(sessions) -> dict[int, int]:
    """The one numbering of a patient's sessions everywhere (patient manager, CLI, report): #1, #2 ...
    in the order they were recorded (date and time, then the order they were kept). {session id: number}"""
    ordered = sorted(sessions, key=lambda s: (s.started_at, s.id))
    return {s.id: n for n, s in enumerate(ordered, 1)}


def session_when(started_at: str) -> str:
    """'2026-02-10 17:30'; a session with no time of day (imported with a date alone: 00:00:00) shows
    its date alone, never a made-up '00:00'."""
    day, _, time = str(started_at).partition("T")
    return day if not time or time.startswith("00:00:00") else f"{day} {time[:5]}"


def session_label(number: int, session: Session) -> str:
    """'#3 · 2026-02-10 17:30'."""
    return f"#{number} · {session_when(session.started_at)}"


def missing_tasks(clips: "list[Clip] | tuple[Clip, ...]") -> tuple[str, ...]:
    """The tasks of a session that were tried but kept no complete clip (a task redone later into the
    same session and kept is not missing), in the order they were first tried."""
    kept = {c.task for c in clips if c.status == "complete"}
    missing: list[str] = []
    for c in clips:
        if c.status != "complete" and c.task not in kept and c.task not in missing:
            missing.append(c.task)
    return tuple(missing)


def session_state(session: Session, clips: "list[Clip] | tuple[Clip, ...]") -> str:
    """The one word for a session everywhere (window, patient manager, CLI, report): its stored
    status, except that a session that ended with a task not recorded is 'partial'."""
    if session.status == "complete" and missing_tasks(clips):
        return "partial"
    return session.status


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


# A record's number (session, event, note) as the database keeps it: a signed 64-bit integer.
MAX_RECORD_NUMBER = 2**63 - 1


def record_number(text, what: str, hint: str) -> int:
    """The number of a session, event or note as typed: a whole number from 1 up (a 20-digit one is
    refused here, before the database would overflow); StoreError (one sentence) otherwise."""
    raw = str(text).strip()
    try:
        number = int(raw)
    except ValueError as exc:
        raise StoreError(f"'{raw}' is not {what} number ({hint}).") from exc
    if not 1 <= number <= MAX_RECORD_NUMBER:
        raise StoreError(f"'{raw}' is not {what} number: those are whole numbers from 1 up ({hint}).")
    return number


# Every free text a person types (a patient's, a session's or a clinician's note) has one limit.
NOTE_MAX_CHARS = 4000
# A treatment's detail, muscles and product: one short line each.
DETAIL_MAX_CHARS = 500


def free_text(text, what: str, *, limit: int = NOTE_MAX_CHARS, lines: bool = True) -> str:
    """Text typed by a person as the store keeps it: trimmed, at most `limit` characters, and free of
    control characters (a terminal escape in a note would clear or retitle the terminal that prints
    it); line breaks and tabs only where `lines`. StoreError (one sentence) otherwise."""
    text = str(text or "").strip().replace("\r\n", "\n")
    allowed = "\n\t" if lines else ""
    controls = [ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in allowed]
    if controls:
        codes = ", ".join(f"U+{ord(ch):04X}" for ch in dict.fromkeys(controls))
        kind = "text" if lines else "a single line of text"
        raise StoreError(f"{what} must be {kind} without control characters (it holds {codes}).")
    if len(text) > limit:
        raise StoreError(f"{what} is at most {limit} characters (this one has {len(text)}); split it into two.")
    return text


def shown_name(name) -> str:
    """A file name as the store keeps and shows it: any control character replaced by U+FFFD."""
    return "".join("\ufffd" if unicodedata.category(ch) == "Cc" else ch for ch in str(name or ""))[:255]


def check_side(side) -> None:
    if side not in (None, "right", "left"):
        raise StoreError(f"The affected side must be 'right' or 'left' (the subject's), not '{side}'.")


# Letters of other alphabets that look like Latin ones (Unicode's confusables, the ones a keyboard
# layout puts within reach): 'РХ-1' in Cyrillic reads as 'PX-1'.
_LOOK_ALIKES = str.maketrans("авсеһіјklмнорԛѕтuvwхуzαβεηικμνορτυχϲ", "abcehijklmhopqstuvwxyzabehikmvoptuxc")
# Scripts that one writing system mixes by design count as one.
_SCRIPT_GROUPS = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK"}


def _script(ch: str) -> str:
    word = unicodedata.name(ch, "UNKNOWN").split()[0]
    return _SCRIPT_GROUPS.get(word, word)


def pseudonym_key(pseudonym) -> str:
    """What a patient id looks like on screen: NFKC, case folded, look-alike letters read as Latin. Two
    ids with one key are one patient (the same case aside) or a look-alike that is refused."""
    text = unicodedata.normalize("NFKC", str(pseudonym or "")).strip().casefold()
    return text.translate(_LOOK_ALIKES)


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
    text = unicodedata.normalize("NFKC", text)  # fullwidth 'ＰＸ' is 'PX', a ligature its letters
    scripts = {_script(ch): ch for ch in text if ch.isalpha()}
    if len(scripts) > 1:
        mixed = " and ".join(f"{name.title()} ('{ch}', U+{ord(ch):04X})" for name, ch in scripts.items())
        raise StoreError(f"A patient id must be written in one alphabet; this one mixes {mixed}, letters that can "
                         "look alike.")
    return text


# The earliest date a recording or treatment may carry: 1900 and before are placeholder dates
# (spreadsheets' day zero, a forgotten default), not the day a video was made.
EARLIEST_YEAR = 1901


def _plausible(day: date, what: str) -> None:
    if day.year < EARLIEST_YEAR:
        raise StoreError(f"{day.isoformat()} is before {EARLIEST_YEAR}, a placeholder rather than the day {what}: "
                         "give the real date.")
    if day > date.today():
        raise StoreError(f"{day.isoformat()} is in the future: give the day {what}, not a plan.")


def parse_date(text: str) -> str:
    """A session's date and time as the store keeps it (local time, to the second): YYYY-MM-DD or
    YYYY-MM-DDTHH:MM[:SS], not in the future and not before 1901. A time zone given with it
    (`+05:00`) is kept in the meaning: the time becomes this computer's local time of that moment."""
    raw = str(text).strip()
    try:
        when = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise StoreError(f"'{raw}' is not a date: use YYYY-MM-DD (or YYYY-MM-DDTHH:MM).") from exc
    if when.tzinfo is not None:
        try:
            when = when.astimezone().replace(tzinfo=None)
        except (OverflowError, ValueError) as exc:
            raise StoreError(f"'{raw}' is not a date this computer can keep.") from exc
    _plausible(when.date(), "it was recorded")
    return when.replace(microsecond=0).isoformat()


def parse_day(text) -> date:
    """A calendar day given as YYYY-MM-DD; StoreError (one sentence) otherwise."""
    raw = str(text or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise StoreError(f"'{raw}' is not a date: use YYYY-MM-DD.") from exc


def check_day(text, future: str = "keep a treatment once it has been given") -> str:
    """A calendar day as YYYY-MM-DD, not after today and not before 1901; StoreError (one sentence,
    ending with `future` for a day to come) otherwise."""
    day = parse_day(text)
    if day > date.today():
        raise StoreError(f"{day.isoformat()} is in the future: {future}.")
    _plausible(day, "it was given")
    return day.isoformat()


