"""The local store: patients, sessions, task clips and their results in SQLite, clip files beside it.

Layout of the data folder (`data_dir()`; `SYNKIMETER_DATA_DIR` overrides the per-user default,
e.g. for tests, or a store colleagues share on one computer: see Access below)::

    synkimeter.sqlite3            the database (WAL mode: also -wal and -shm files while open)
    synkimeter.sqlite3.auto.bak   the automatic copy, refreshed daily after a clean quick_check
    group-shared                  only in a store shared with the folder's group (see Access)
    clips/p<patient>/s<session>/  one folder per session
        0007-pucker.mp4           the video as recorded
        0007-pucker.npz           the face-mesh landmarks (LandmarkSeries.save_npz, no pickle)
        0007-pucker.json          the result summary

Access: private by default, whatever the umask: the folder and every folder in it 0700, every file
0600 (SQLite gives its -wal and -shm files the database's mode). A clinic whose colleagues share one
store on one computer says so once with SYNKIMETER_GROUP_SHARED=1 (or Store(group_shared=True)): the
folder is then marked (`GROUP_MARK`), folders become 2770 (new files take the folder's group) and
files 0660, so a colleague's -wal/-shm files stay writable for the owner. Not for a network folder:
SQLite's locking is not reliable there.

Safety rules:
- every clip file is written atomically (temporary file, fsync, rename), and the database learns of a
  clip's files only in the transaction that marks it complete, so a crash loses at most the clip
  being written;
- a session left 'recording' by a process that no longer runs is marked 'incomplete' on the next
  open, together with its unfinished clips, and their leftover temporary files are removed;
- a damaged clip file is reported (`verify`, `load_series`) and the rest of the store still opens;
- every failure reaches the caller as a `StoreError` whose str() is one plain sentence.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import socket
import sqlite3
import stat
import time
import unicodedata
from dataclasses import dataclass, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator, TypeVar

from synkimeter.core.results import finite
from synkimeter.io.files import atomic_writer
from synkimeter.landmarks.series import LandmarkSeries
from synkimeter.store.schema import (
    CLIP_STATUSES,
    EVENT_KINDS,
    EVENT_SIDES,
    MIGRATIONS,
    PRACTICE_KINDS,
    SCHEMA_VERSION,
    SESSION_KINDS,
    SIDES,
    TASKS,
)

ENV_DATA_DIR = "SYNKIMETER_DATA_DIR"
ENV_GROUP_SHARED = "SYNKIMETER_GROUP_SHARED"
GROUP_MARK = "group-shared"  # a file in the data folder: the store is shared with the folder's group
DB_NAME = "synkimeter.sqlite3"
CLIPS_DIR = "clips"
DEFAULT_BUSY_TIMEOUT_S = 5.0
# After a clean quick_check the database is copied here when the copy is older than a day: the
# copy to restore when the database is found damaged.
BACKUP_NAME = f"{DB_NAME}.auto.bak"
BACKUP_EVERY_S = 24 * 3600.0
# A 'recording' session started on another computer (shared folder) cannot be checked for a live
# process; after this long it is taken as abandoned.
OTHER_HOST_STALE_S = 24 * 3600.0
ORAL_OCULAR_TASKS = ("rest", "smile", "pucker")
_TEMP_SUFFIXES = (".tmp", ".part")
# An import copies the video into the store: a webcam clip of the protocol is a few MB, an hour of
# phone video several GB. Larger files are refused rather than silently filling the disk.
MAX_IMPORT_MB = 1024


class StoreError(Exception):
    """The store cannot do what was asked; str() is one plain sentence for the user."""


def data_dir() -> Path:
    """The data folder: $SYNKIMETER_DATA_DIR if set, else the per-user data folder."""
    env = os.environ.get(ENV_DATA_DIR, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("synkimeter", appauthor=False))


def now_iso() -> str:
    return datetime.now().replace(microsecond=0).isoformat()


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


def _record(cls, row: sqlite3.Row | None):
    if row is None:
        return None
    keys = row.keys()
    return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in keys})


# --- processes -----------------------------------------------------------------------------------
def _process_start_token(pid: int) -> str:
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
        token = _process_start_token(pid)
        if token and token != start_token:
            return False  # the pid now belongs to another process
    return True


# --- errors --------------------------------------------------------------------------------------
def _sqlite_message(exc: sqlite3.Error, folder: Path, busy_timeout_s: float) -> str:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return (f"The synkimeter database in '{folder}' is in use by another program (another synkimeter "
                f"window or command?) and stayed locked for {busy_timeout_s:g} s; close it or try again.")
    if "disk is full" in text or "database or disk is full" in text:
        return f"The disk holding '{folder}' is full: free some space, then try again (nothing was changed)."
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (f"The synkimeter database '{folder / DB_NAME}' is damaged ({exc}); keep a copy of the folder "
                "and restore it from a backup.")
    if "readonly" in text or "read-only" in text:
        return f"The synkimeter database in '{folder}' is read-only: synkimeter needs permission to write there."
    if "unable to open" in text:
        return f"The synkimeter database in '{folder}' cannot be opened (check the folder exists and can be written)."
    return f"The synkimeter database in '{folder}' reported an error: {exc}."


def _os_message(exc: OSError, what: str) -> str:
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return (f"The disk is full: {what} could not be saved, and nothing of it was kept. "
                "Free some space and try again.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"No permission to write {what} ({exc.filename or 'the data folder'})."
    return f"{what[:1].upper()}{what[1:]} could not be saved ({exc.strerror or exc})."


# --- the store -----------------------------------------------------------------------------------
class Store:
    """One open store. Use as a context manager, or call close().

    `problems` lists what opening found and repaired or could not read (plain sentences).
    """

    def __init__(self, folder: str | os.PathLike | None = None, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
                 recover: bool = True, group_shared: bool | None = None) -> None:
        self.folder = Path(folder) if folder is not None else data_dir()
        self.db_path = self.folder / DB_NAME
        self.busy_timeout_s = float(busy_timeout_s)
        self.problems: list[str] = []
        self.host = socket.gethostname()
        if group_shared is None:
            group_shared = os.environ.get(ENV_GROUP_SHARED, "").strip().lower() in ("1", "yes", "true", "on")
        # Once shared, always shared: a private open must not chmod the colleagues out of the store.
        self.group_shared = bool(group_shared) or (self.folder / GROUP_MARK).is_file()
        self.dir_mode = 0o2770 if self.group_shared else 0o700
        self.file_mode = 0o660 if self.group_shared else 0o600
        try:
            self.make_dirs(self.folder)
            self._restrict(self.folder, self.dir_mode)
            if self.group_shared:
                self._create_file(self.folder / GROUP_MARK)
            older = self.db_path.is_file() and stat.S_IMODE(self.db_path.stat().st_mode) != self.file_mode
            # Created before SQLite opens it: SQLite would use 0644 less the umask, and copies the
            # database's mode to the -wal and -shm files it makes.
            self._create_file(self.db_path)
            if older:  # a store from before modes were kept: its backups and clips too
                for root, dirs, files in os.walk(self.folder):
                    for name in dirs:
                        self._restrict(Path(root, name), self.dir_mode)
                    for name in files:
                        self._restrict(Path(root, name), self.file_mode)
            for suffix in ("-wal", "-shm"):
                self._restrict(Path(f"{self.db_path}{suffix}"), self.file_mode)
        except OSError as exc:
            raise StoreError(f"The data folder '{self.folder}' cannot be created ({exc.strerror or exc}).") from exc
        # SQLite removes the -wal file when the last connection closes: one left behind means a
        # crash or power cut (or another synkimeter still open), after which the database is checked.
        unclean = Path(f"{self.db_path}-wal").is_file() and Path(f"{self.db_path}-wal").stat().st_size > 0
        self.damaged: str | None = None  # set by check(): the store then refuses every write
        self._conn: sqlite3.Connection | None = None
        try:
            self._conn = sqlite3.connect(self.db_path, timeout=self.busy_timeout_s, isolation_level=None)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            self._conn.execute("PRAGMA foreign_keys = ON")
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                self.problems.append(f"The database could not switch to WAL mode (it uses {mode}).")
            self._conn.execute("PRAGMA synchronous = FULL")
            if unclean:
                self.check()
            self._migrate()
            self._daily_backup()
            if recover and not self.damaged:
                self.recover()
        except sqlite3.Error as exc:
            self.close()
            raise StoreError(_sqlite_message(exc, self.folder, self.busy_timeout_s)) from exc
        except BaseException:
            self.close()
            raise

    # -- plumbing ---------------------------------------------------------------------------------
    def make_dirs(self, path: Path) -> None:
        """`path` and its missing parents, with the store's folder mode (mkdir's is cut by the umask)."""
        missing = []
        while not path.is_dir():
            missing.append(path)
            path = path.parent
        for folder in reversed(missing):
            with contextlib.suppress(FileExistsError):  # another process made it meanwhile
                folder.mkdir(self.dir_mode)
            self._restrict(folder, self.dir_mode)

    def _restrict(self, path: Path, mode: int) -> None:
        """chmod what exists; a colleague's file (shared store) or a read-only copy is left as it is."""
        with contextlib.suppress(OSError):
            if stat.S_IMODE(path.stat().st_mode) != mode:
                os.chmod(path, mode)

    def _create_file(self, path: Path) -> None:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, self.file_mode))
        self._restrict(path, self.file_mode)

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError("The store is closed.")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: waits up to busy_timeout for other writers)."""
        conn = self.conn
        if self.damaged:
            raise StoreError(self.damaged)
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(_sqlite_message(exc, self.folder, self.busy_timeout_s)) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise StoreError(_sqlite_message(exc, self.folder, self.busy_timeout_s)) from exc
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise

    def _query(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        try:
            return self.conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(_sqlite_message(exc, self.folder, self.busy_timeout_s)) from exc

    @property
    def schema_version(self) -> int:
        return int(self._query("PRAGMA user_version")[0][0])

    def _migrate(self) -> None:
        version = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(f"The store in '{self.folder}' was written by a newer synkimeter (schema "
                             f"{version}, this one knows {SCHEMA_VERSION}); please update synkimeter.")
        pending = [(v, step) for v, step in MIGRATIONS if v > version]
        if not pending:
            return
        if version > 0 and self.check():
            raise StoreError(self.damaged)
        if version > 0:
            self._backup(f"{DB_NAME}.v{version}.bak")
        for target, step in pending:
            with self._tx() as conn:
                if int(conn.execute("PRAGMA user_version").fetchone()[0]) >= target:
                    continue  # another process migrated meanwhile
                step(conn)
                conn.execute(f"PRAGMA user_version = {int(target)}")

    def _backup(self, name: str) -> None:
        """A copy of the database before a migration changes it (kept once per old version)."""
        target = self.folder / name
        if target.exists():
            return
        failed = self._copy_database(target)
        if failed is not None:
            self.problems.append(f"No backup could be made before updating the database ({failed}).")

    def _copy_database(self, target: Path) -> Exception | None:
        """A consistent copy of the database at `target`, written beside it and moved in place (a
        half-written copy never stands as a backup); the error, or None."""
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            self._create_file(tmp)
            with contextlib.closing(sqlite3.connect(tmp)) as dst:
                self.conn.backup(dst)
            os.replace(tmp, target)
        except (sqlite3.Error, OSError) as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            return exc
        return None

    def check(self) -> str | None:
        """PRAGMA quick_check. On damage the store stops writing and `damaged` (returned) says so in
        one sentence, with the automatic backup to restore."""
        try:
            findings = [str(row[0]) for row in self.conn.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.DatabaseError as exc:
            findings = [str(exc)]
        if findings == ["ok"]:
            return None
        backup = self.folder / BACKUP_NAME
        if backup.is_file():
            when = datetime.fromtimestamp(backup.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
            restore = (f"the automatic backup '{backup}' from {when} was sound: close synkimeter, keep a copy of "
                       f"the folder, then put that backup in place of '{DB_NAME}' and delete its -wal and -shm files")
        else:
            restore = "there is no automatic backup yet: keep a copy of the folder and restore it from your own backup"
        detail = findings[0].strip().splitlines()[-1].rstrip(".")
        self.damaged = (f"The synkimeter database '{self.db_path}' is damaged ({detail}), so nothing more is "
                        f"written to it; {restore}.")
        return self.damaged

    def _daily_backup(self) -> None:
        """Copy the database, once it is found sound, when the last automatic copy is a day old."""
        target = self.folder / BACKUP_NAME
        with contextlib.suppress(FileNotFoundError):
            if time.time() - target.stat().st_mtime < BACKUP_EVERY_S:
                return
        if self.damaged or not self.conn.execute("SELECT 1 FROM patients LIMIT 1").fetchone() or self.check():
            return  # nothing worth a copy yet, or the good copy must not be overwritten by a bad one
        failed = self._copy_database(target)
        if failed is not None:
            self.problems.append(f"The daily automatic backup of the database could not be made ({failed}).")

    def integrity_check(self) -> str:
        return str(self._query("PRAGMA integrity_check")[0][0])

    # -- recovery ---------------------------------------------------------------------------------
    def recover(self) -> list[int]:
        """Mark sessions left 'recording' by a process that is gone as 'incomplete' (with their
        unfinished clips), remove their temporary files, and report missing clip files.
        Returns the ids of the sessions marked incomplete."""
        stale = []
        for row in self._query("SELECT id, host, pid, pid_start, started_at FROM sessions WHERE status = 'recording'"):
            if row["host"] == self.host or not row["host"]:
                alive = process_alive(row["pid"], row["pid_start"])
            else:
                try:
                    age = time.time() - datetime.fromisoformat(row["started_at"]).timestamp()
                except ValueError:
                    age = float("inf")
                alive = age < OTHER_HOST_STALE_S
            if not alive:
                stale.append(int(row["id"]))
        if stale:
            marks = ",".join("?" * len(stale))
            with self._tx() as conn:
                conn.execute(f"UPDATE sessions SET status = 'incomplete' WHERE id IN ({marks}) "
                             "AND status = 'recording'", stale)
                conn.execute(f"UPDATE clips SET status = 'incomplete', error = COALESCE(error, "
                             f"'The recording was interrupted.') WHERE session_id IN ({marks}) "
                             "AND status = 'recording'", stale)
            for sid in stale:
                self._remove_temp_files(sid)
            self.problems.append(f"{len(stale)} interrupted session(s) were kept and marked incomplete.")
        for row in self._query("SELECT c.id, c.task, c.video_path, c.landmarks_path, c.summary_path, s.started_at "
                               "FROM clips c JOIN sessions s ON s.id = c.session_id WHERE c.status = 'complete'"):
            for key in ("video_path", "landmarks_path", "summary_path"):
                if row[key] and not (self.folder / row[key]).is_file():
                    self.problems.append(f"The {key.split('_')[0]} file of clip {row['id']} ({row['task']}, "
                                         f"{row['started_at'][:10]}) is missing: {row[key]}.")
        return stale

    def _remove_temp_files(self, session_id: int) -> None:
        row = self._query("SELECT patient_id FROM sessions WHERE id = ?", (session_id,))
        if not row:
            return
        folder = self.session_dir(row[0][0], session_id)
        if folder.is_dir():
            for path in folder.iterdir():
                if path.name.startswith(".") and (path.name.endswith(_TEMP_SUFFIXES) or ".part." in path.name):
                    with contextlib.suppress(OSError):
                        path.unlink()

    # -- patients ---------------------------------------------------------------------------------
    def add_patient(self, pseudonym: str, affected_side: str | None = None, notes: str = "") -> Patient:
        pseudonym = check_pseudonym(pseudonym)
        check_side(affected_side)
        try:
            with self._tx() as conn:
                cur = conn.execute("INSERT INTO patients (pseudonym, affected_side, notes, created) "
                                   "VALUES (?, ?, ?, ?)",
                                   (pseudonym, affected_side, notes or "", now_iso()))
                pid = cur.lastrowid
        except StoreError as exc:
            if isinstance(exc.__cause__, sqlite3.IntegrityError):
                raise StoreError(f"A patient '{pseudonym}' already exists.") from exc
            raise
        return _written(self.patient_by_id(_written(pid)))

    def patient(self, pseudonym: str) -> Patient | None:
        rows = self._query("SELECT * FROM patients WHERE pseudonym = ?", (str(pseudonym).strip(),))
        return _record(Patient, rows[0]) if rows else None

    def patient_by_id(self, patient_id: int) -> Patient | None:
        rows = self._query("SELECT * FROM patients WHERE id = ?", (patient_id,))
        return _record(Patient, rows[0]) if rows else None

    def require_patient(self, pseudonym: str) -> Patient:
        patient = self.patient(pseudonym)
        if patient is None:
            raise StoreError(f"There is no patient '{pseudonym}' in the store at '{self.folder}'.")
        return patient

    def get_or_create_patient(self, pseudonym: str, affected_side: str | None = None) -> tuple[Patient, bool]:
        """The patient, created if new; (patient, created). One transaction, so two processes
        creating the same new patient at once both get it (one of them creates it)."""
        pseudonym = check_pseudonym(pseudonym)
        check_side(affected_side)
        with self._tx() as conn:
            created = conn.execute("INSERT OR IGNORE INTO patients (pseudonym, affected_side, notes, created) "
                                   "VALUES (?, ?, '', ?)", (pseudonym, affected_side, now_iso())).rowcount == 1
            row = conn.execute("SELECT id, affected_side FROM patients WHERE pseudonym = ?", (pseudonym,)).fetchone()
            if affected_side and not row["affected_side"]:
                conn.execute("UPDATE patients SET affected_side = ? WHERE id = ?", (affected_side, row["id"]))
        return _written(self.patient_by_id(row["id"])), created

    def update_patient(self, pseudonym: str, *, affected_side: Any = ..., notes: str | None = None) -> Patient:
        patient = self.require_patient(pseudonym)
        with self._tx() as conn:
            if affected_side is not ...:
                check_side(affected_side)
                conn.execute("UPDATE patients SET affected_side = ? WHERE id = ?", (affected_side, patient.id))
            if notes is not None:
                conn.execute("UPDATE patients SET notes = ? WHERE id = ?", (notes, patient.id))
        return _written(self.patient_by_id(patient.id))

    def patients(self) -> list[Patient]:
        return [_record(Patient, r) for r in self._query("SELECT * FROM patients ORDER BY pseudonym")]

    # -- sessions ---------------------------------------------------------------------------------
    def start_session(self, patient: Patient, kind: str = "follow-up", protocol: str = "", notes: str = "",
                      started_at: str | None = None) -> Session:
        """A new session in 'recording' state, owned by this process until finish_session()."""
        if kind not in SESSION_KINDS:
            raise StoreError(f"The session kind must be one of {', '.join(SESSION_KINDS)}, not '{kind}'.")
        started_at = started_at or now_iso()
        try:
            datetime.fromisoformat(started_at)
        except ValueError as exc:
            raise StoreError(f"'{started_at}' is not a date (use YYYY-MM-DD).") from exc
        pid = os.getpid()
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO sessions (patient_id, started_at, kind, protocol, notes, status, host, pid, pid_start) "
                "VALUES (?, ?, ?, ?, ?, 'recording', ?, ?, ?)",
                (patient.id, started_at, kind, protocol or "", notes or "", self.host, pid, _process_start_token(pid)))
            sid = cur.lastrowid
        return _written(self.session(_written(sid)))

    def finish_session(self, session: Session, status: str = "complete") -> Session:
        if status not in ("complete", "incomplete"):
            raise StoreError(f"A session ends 'complete' or 'incomplete', not '{status}'.")
        with self._tx() as conn:
            conn.execute("UPDATE sessions SET status = ?, pid = NULL WHERE id = ?", (status, session.id))
            conn.execute("UPDATE clips SET status = 'incomplete', error = COALESCE(error, 'Not finished.') "
                         "WHERE session_id = ? AND status = 'recording'", (session.id,))
        self._remove_temp_files(session.id)
        return _written(self.session(session.id))

    def session(self, session_id: int) -> Session | None:
        rows = self._query("SELECT * FROM sessions WHERE id = ?", (session_id,))
        return _record(Session, rows[0]) if rows else None

    def sessions(self, patient: Patient) -> list[Session]:
        return [_record(Session, r) for r in
                self._query("SELECT * FROM sessions WHERE patient_id = ? ORDER BY started_at, id", (patient.id,))]

    def delete_session(self, session: Session) -> None:
        """Remove a session, its clips, results and files."""
        with self._tx() as conn:
            conn.execute("DELETE FROM sessions WHERE id = ?", (session.id,))
        shutil.rmtree(self.session_dir(session.patient_id, session.id), ignore_errors=True)

    def session_dir(self, patient_id: int, session_id: int) -> Path:
        return self.folder / CLIPS_DIR / f"p{int(patient_id):04d}" / f"s{int(session_id):05d}"

    # -- clips ------------------------------------------------------------------------------------
    def begin_clip(self, session: Session, task: str, source_name: str = "") -> Clip:
        """A clip row in 'recording' state; its files are saved by save_clip()."""
        task = str(task).strip()
        if not task or not all(ch.isalnum() or ch in "_-" for ch in task):
            raise StoreError(f"'{task}' is not a task name (letters, digits, '_' or '-').")
        with self._tx() as conn:
            cur = conn.execute("INSERT INTO clips (session_id, task, status, source_name, created) "
                               "VALUES (?, ?, 'recording', ?, ?)", (session.id, task, source_name, now_iso()))
            cid = cur.lastrowid
        return _written(self.clip(_written(cid)))

    def complete_clip_count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM clips WHERE status = 'complete'")[0][0])

    def clip(self, clip_id: int) -> Clip | None:
        rows = self._query("SELECT * FROM clips WHERE id = ?", (clip_id,))
        return _record(Clip, rows[0]) if rows else None

    def clips(self, session: Session) -> list[Clip]:
        rows = self._query("SELECT * FROM clips WHERE session_id = ? ORDER BY id", (session.id,))
        return [_record(Clip, r) for r in rows]

    def _clip_stem(self, clip: Clip) -> Path:
        session = _written(self.session(clip.session_id))
        return self.session_dir(session.patient_id, session.id) / f"{clip.id:04d}-{clip.task}"

    def recording_path(self, clip: Clip, suffix: str = ".mp4") -> Path:
        """Where a live recorder writes the video while recording: a hidden temporary name in the
        clip's folder (`.0007-pucker.part.mp4`: it keeps its extension, which OpenCV's VideoWriter needs
        to choose the container), removed if the session is abandoned; save_clip(video=this path)
        moves it in place."""
        stem = self._clip_stem(clip)
        self.make_dirs(stem.parent)
        return stem.with_name(f".{stem.name}.part{suffix}")

    def save_clip(self, clip: Clip, *, document: dict, levels: dict | None = None, series=None,
                  video: str | os.PathLike | None = None, scores: "SessionScores | None" = None) -> Clip:
        """Write the clip's files atomically, then record it complete with its result in one transaction.

        `document` is the clip's result document (JSON-ready), `levels` its eye-fissure levels per
        side and `scores` the session's oral-ocular numbers with this clip in it (all computed by
        `usecases.saving`). On any failure nothing of the clip is kept (its files are removed), the
        clip is marked 'failed', and a StoreError says why.
        """
        summary = document
        stem = self._clip_stem(clip)
        written: list[Path] = []
        paths: dict[str, Path | None] = {"video_path": None, "landmarks_path": None, "summary_path": None}
        try:
            self.make_dirs(stem.parent)
            if video is not None:
                src = Path(video)
                if not src.is_file():
                    raise StoreError(f"The video '{src}' does not exist.")
                ext = src.suffix.lower() if src.suffix and src.suffix.lower() != ".part" else ""
                if src.name.endswith(".part"):
                    ext = Path(src.name[: -len(".part")]).suffix.lower()
                target = stem.with_name(stem.name + (ext or ".mp4"))
                if src.parent.resolve() == target.parent.resolve() and src.name.startswith("."):
                    with open(src, "rb+") as fh:
                        os.fsync(fh.fileno())
                    os.replace(src, target)
                else:
                    with open(src, "rb") as fin, atomic_writer(target, "wb") as fout:
                        shutil.copyfileobj(fin, fout, 1 << 20)
                written.append(target)
                paths["video_path"] = target
            if series is not None:
                target = stem.with_name(stem.name + ".npz")
                series.save_npz(target)
                written.append(target)
                paths["landmarks_path"] = target
            target = stem.with_name(stem.name + ".json")
            with atomic_writer(target, "w") as fh:
                json.dump(summary, fh, indent=2, allow_nan=False)
                fh.write("\n")
            written.append(target)
            paths["summary_path"] = target
            for path in written:
                self._restrict(path, self.file_mode)
            rel = {k: (v.relative_to(self.folder).as_posix() if v is not None else None) for k, v in paths.items()}
            with self._tx() as conn:
                conn.execute("UPDATE clips SET status = 'complete', video_path = ?, landmarks_path = ?, "
                             "summary_path = ?, error = NULL WHERE id = ?",
                             (rel["video_path"], rel["landmarks_path"], rel["summary_path"], clip.id))
                conn.execute("DELETE FROM results WHERE clip_id = ?", (clip.id,))
                _insert_result(conn, clip.id, summary, levels)
                if scores is not None:
                    _write_scores(conn, clip.session_id, scores)
        except BaseException as exc:
            for path in written:
                with contextlib.suppress(OSError):
                    path.unlink()
            if isinstance(exc, OSError):
                message = _os_message(exc, f"the {clip.task} clip")
            elif isinstance(exc, StoreError):
                message = str(exc)
            elif isinstance(exc, Exception):
                message = f"The {clip.task} clip could not be saved ({type(exc).__name__}: {exc})."
            else:
                raise
            with contextlib.suppress(StoreError, sqlite3.Error):
                with self._tx() as conn:
                    conn.execute("UPDATE clips SET status = 'failed', error = ? WHERE id = ?", (message, clip.id))
            raise StoreError(message) from exc
        return _written(self.clip(clip.id))

    def fail_clip(self, clip: Clip, message: str) -> None:
        with self._tx() as conn:
            conn.execute("UPDATE clips SET status = 'failed', error = ? WHERE id = ?", (message, clip.id))

    # -- reading back -----------------------------------------------------------------------------
    def result_row(self, clip: Clip) -> dict | None:
        rows = self._query("SELECT * FROM results WHERE clip_id = ?", (clip.id,))
        return dict(rows[0]) if rows else None

    def fissure_levels(self, clip: Clip) -> dict | None:
        """The clip's stored eye-fissure levels: {side: {"open"|"active": {"mm", "se_mm", "frames"}}}."""
        row = self.result_row(clip)
        if row is None:
            return None
        return {side: {kind: {"mm": row[f"{side}_fissure_{kind}_mm"], "se_mm": row[f"{side}_fissure_{kind}_se_mm"],
                              "frames": 0} for kind in ("open", "active")} for side in SIDES}

    def summary(self, clip: Clip) -> dict | None:
        """The clip's result summary (from the database; the .json file is a copy for other tools)."""
        row = self.result_row(clip)
        if row is None:
            return None
        try:
            return json.loads(row["summary_json"])
        except ValueError as exc:
            raise StoreError(f"The stored result of clip {clip.id} ({clip.task}) is damaged.") from exc

    def load_series(self, clip: Clip):
        """The clip's landmarks (LandmarkSeries); StoreError if the file is missing or damaged."""

        if not clip.landmarks_path:
            raise StoreError(f"Clip {clip.id} ({clip.task}) has no landmarks file.")
        path = self.folder / clip.landmarks_path
        if not path.is_file():
            raise StoreError(f"The landmarks file of clip {clip.id} ({clip.task}) is missing: {clip.landmarks_path}.")
        try:
            return LandmarkSeries.load_npz(path)
        except Exception as exc:  # zip, numpy, json or shape errors: whatever the damage, one sentence
            raise StoreError(f"The landmarks file of clip {clip.id} ({clip.task}) is damaged and cannot be read "
                             f"({type(exc).__name__}).") from exc

    def verify(self, deep: bool = True, patient: Patient | None = None) -> list[str]:
        """Check every complete clip's files (of one patient, if given), and if deep that they can be
        read. Returns problems."""
        problems = []
        if patient is None:
            rows = self._query("SELECT * FROM clips WHERE status = 'complete' ORDER BY id")
        else:
            rows = self._query("SELECT c.* FROM clips c JOIN sessions s ON s.id = c.session_id "
                               "WHERE c.status = 'complete' AND s.patient_id = ? ORDER BY c.id", (patient.id,))
        for row in rows:
            clip = _record(Clip, row)
            for key in ("video_path", "landmarks_path", "summary_path"):
                rel = getattr(clip, key)
                if rel and not (self.folder / rel).is_file():
                    problems.append(f"The {key.split('_')[0]} file of clip {clip.id} ({clip.task}) is missing: {rel}.")
            if not deep:
                continue
            if clip.landmarks_path and (self.folder / clip.landmarks_path).is_file():
                try:
                    self.load_series(clip)
                except StoreError as exc:
                    problems.append(str(exc))
            if clip.summary_path and (self.folder / clip.summary_path).is_file():
                try:
                    json.loads((self.folder / clip.summary_path).read_text(encoding="utf-8"))
                except (ValueError, OSError, UnicodeDecodeError):
                    problems.append(f"The summary file of clip {clip.id} ({clip.task}) is damaged: {clip.summary_path} "
                                    "(the result in the database is intact).")
        return problems

    def results(self, patient: Patient) -> list[dict]:
        """Every clip of the patient with its session and result columns, oldest first (one dict per clip)."""
        rows = self._query(
            "SELECT s.id AS session_id, s.started_at, s.kind, s.protocol, s.status AS session_status, "
            "s.notes AS session_notes, s.ocular_score, s.ocular_ci_low, s.ocular_ci_high, s.ocular_affected_side, "
            "c.id AS clip_id, c.task, c.status AS clip_status, c.video_path, c.landmarks_path, c.summary_path, "
            "c.source_name, c.error, r.* FROM sessions s JOIN clips c ON c.session_id = s.id "
            "LEFT JOIN results r ON r.clip_id = c.id WHERE s.patient_id = ? ORDER BY s.started_at, s.id, c.id",
            (patient.id,))
        out = []
        for row in rows:
            d = dict(row)
            d.pop("id", None)
            d.pop("summary_json", None)
            out.append(d)
        return out

    # -- practice sets (synkimeter.usecases.practice) -------------------------------------------------------
    def add_practice_set(self, patient: Patient, record: dict) -> int:
        """Keep one finished practice set (`PracticeSetResult.record()`); returns its id."""
        try:
            datetime.fromisoformat(str(record["started_at"]))
        except ValueError as exc:
            raise StoreError(f"'{record['started_at']}' is not a date and time.") from exc
        if record.get("kind") not in PRACTICE_KINDS:
            raise StoreError(f"A practice set is one of {', '.join(PRACTICE_KINDS)}, not '{record.get('kind')}'.")
        check_side(record.get("affected_side"))
        if record.get("affected_side") is None:
            raise StoreError("A practice set needs the affected side.")
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO practice_sets (patient_id, started_at, kind, affected_side, target, unit, attempts, "
                "judged, clean, median_value, duration_s, source_name, attempts_json, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (patient.id, str(record["started_at"]), record["kind"], record["affected_side"],
                 float(record["target"]), record["unit"], int(record["attempts"]), int(record["judged"]),
                 int(record["clean"]), finite(record.get("median_value")), finite(record.get("duration_s")),
                 str(record.get("source_name") or ""), json.dumps(record.get("attempts_json") or [], allow_nan=False),
                 now_iso()))
            return int(_written(cur.lastrowid))

    def practice_sets(self, patient: Patient, kind: str | None = None) -> list[dict]:
        """The patient's practice sets (of one kind, if given), oldest first; `attempts_json` parsed."""
        sql = "SELECT * FROM practice_sets WHERE patient_id = ?"
        args: tuple = (patient.id,)
        if kind is not None:
            sql += " AND kind = ?"
            args += (kind,)
        out = []
        for row in self._query(sql + " ORDER BY started_at, id", args):
            d = dict(row)
            try:
                d["attempts_json"] = json.loads(d["attempts_json"] or "[]")
            except ValueError:
                d["attempts_json"] = []
            out.append(d)
        return out

    def delete_patient_row(self, patient: Patient) -> None:
        """Remove a patient who has no sessions (an import that failed after creating them)."""
        with self._tx() as conn:
            conn.execute("DELETE FROM patients WHERE id = ?", (patient.id,))

    # -- managing records: rename, delete, correct, clinicians' notes (issue 16) --------------------
    def rename_patient(self, old: str, new: str) -> Patient:
        """Give a patient another pseudonymous id; sessions, sets and files stay with the patient."""
        patient = self.require_patient(old)
        new = check_pseudonym(new)
        if new == patient.pseudonym:
            return patient
        if self.patient(new) is not None:
            raise StoreError(f"A patient '{new}' already exists; choose another id.")
        with self._tx() as conn:
            conn.execute("UPDATE patients SET pseudonym = ? WHERE id = ?", (new, patient.id))
        return _written(self.patient_by_id(patient.id))

    def delete_patient(self, pseudonym: str) -> int:
        """Remove a patient with every session, clip, result, practice set, note, treatment event and clip file.
        Returns how many sessions went with it."""
        patient = self.require_patient(pseudonym)
        n = len(self.sessions(patient))
        with self._tx() as conn:
            conn.execute("DELETE FROM patients WHERE id = ?", (patient.id,))
        shutil.rmtree(self.folder / CLIPS_DIR / f"p{int(patient.id):04d}", ignore_errors=True)
        return n

    def patient_session(self, patient: Patient, session_id) -> Session:
        """One of the patient's sessions by its number; StoreError (one sentence) if it is not theirs."""
        try:
            sid = int(str(session_id).strip())
        except ValueError as exc:
            raise StoreError(f"'{session_id}' is not a session number (see `synkimeter sessions "
                             f"{patient.pseudonym}`).") from exc
        session = self.session(sid)
        if session is None or session.patient_id != patient.id:
            raise StoreError(f"Patient '{patient.pseudonym}' has no session {sid} (see `synkimeter sessions "
                             f"{patient.pseudonym}`).")
        return session

    def update_session(self, session: Session, *, kind: str | None = None, started_at: str | None = None,
                       notes: str | None = None) -> Session:
        """Correct a session's kind, date (and time) or notes; a session being recorded is left alone."""
        if session.status == "recording":
            raise StoreError(f"Session {session.id} is still being recorded; correct it once it has ended.")
        if kind is not None and kind not in SESSION_KINDS:
            raise StoreError(f"The session kind must be one of {', '.join(SESSION_KINDS)}, not '{kind}'.")
        if started_at is not None:
            text = str(started_at).strip()
            if len(text) == 10:  # a date alone keeps the session's time of day
                text += session.started_at[10:]
            try:
                started_at = parse_date(text)
            except StoreError as exc:
                raise StoreError(f"'{str(started_at).strip()}' is not a date: "
                                 "use YYYY-MM-DD (or YYYY-MM-DDTHH:MM).") from exc
        with self._tx() as conn:
            if kind is not None:
                conn.execute("UPDATE sessions SET kind = ? WHERE id = ?", (kind, session.id))
            if started_at is not None:
                conn.execute("UPDATE sessions SET started_at = ? WHERE id = ?", (started_at, session.id))
            if notes is not None:
                conn.execute("UPDATE sessions SET notes = ? WHERE id = ?", (str(notes).strip(), session.id))
        return _written(self.session(session.id))

    def discard_if_empty(self, session: Session) -> bool:
        """Remove a session that kept no complete clip (e.g. stopped before the first task ended), so
        it leaves no empty entry in the history. True when it was removed."""
        if self._query("SELECT 1 FROM clips WHERE session_id = ? AND status = 'complete' LIMIT 1", (session.id,)):
            return False
        self.delete_session(session)
        return True

    def add_note(self, patient: Patient, text: str, session: Session | None = None) -> int:
        """Keep a clinician's dated note on the patient (on one session, if given); returns its id."""
        text = str(text or "").strip()
        if not text:
            raise StoreError("A note needs some text.")
        if len(text) > 4000:
            raise StoreError("A note is at most 4000 characters; split it into two.")
        if session is not None and session.patient_id != patient.id:
            raise StoreError(f"Session {session.id} is not one of patient '{patient.pseudonym}'.")
        with self._tx() as conn:
            cur = conn.execute("INSERT INTO notes (patient_id, session_id, created, text) VALUES (?, ?, ?, ?)",
                               (patient.id, session.id if session is not None else None, now_iso(), text))
            return int(_written(cur.lastrowid))

    def notes(self, patient: Patient) -> list[dict]:
        """The patient's clinician notes, oldest first: dicts with id, session_id, created, text."""
        return [dict(r) for r in self._query("SELECT id, session_id, created, text FROM notes WHERE patient_id = ? "
                                             "ORDER BY created, id", (patient.id,))]

    def delete_note(self, patient: Patient, note_id: int) -> None:
        with self._tx() as conn:
            deleted = conn.execute("DELETE FROM notes WHERE id = ? AND patient_id = ?", (int(note_id), patient.id))
            if deleted.rowcount != 1:
                raise StoreError(f"Patient '{patient.pseudonym}' has no note {note_id}.")

    # -- treatment events (issue 18; what they did to the scores: synkimeter.usecases.timeline) ----------
    def add_event(self, patient: Patient, kind: str, day: str, *, side: str | None = None, detail: str = "",
                  units: float | None = None, muscles: str = "", product: str = "") -> int:
        """Keep one treatment event on the patient's timeline; returns its number. A date in the future
        is refused (a plan is not a treatment); one before the first session is fine (history)."""
        if kind not in EVENT_KINDS:
            raise StoreError(f"A treatment event is one of {', '.join(EVENT_KINDS)}, not '{kind}'.")
        day = check_day(day)
        if side not in (None, *EVENT_SIDES):
            raise StoreError(f"The side of a treatment is right, left or both (the subject's), not '{side}'.")
        detail, muscles, product = (str(x or "").strip() for x in (detail, muscles, product))
        if any(len(x) > 500 for x in (detail, muscles, product)):
            raise StoreError("A treatment's detail, muscles and product are at most 500 characters each.")
        if any(ord(ch) < 32 for x in (detail, muscles, product) for ch in x):
            raise StoreError("A treatment's detail, muscles and product are single lines of printable text.")
        if units is not None:
            units = finite(units)
            if units is None or not 0 < units <= 1000:
                raise StoreError("The units of botulinum toxin are a number above 0 and at most 1000.")
            if kind != "botox":
                raise StoreError("Units are given for a botulinum toxin injection (kind botox) only.")
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO treatment_events (patient_id, date, kind, side, detail, units, muscles, product, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (patient.id, day, kind, side, detail, units, muscles, product, now_iso()))
            return int(_written(cur.lastrowid))

    def events(self, patient: Patient) -> list[dict]:
        """The patient's treatment events, oldest first: dicts with id, date, kind, side, detail, units,
        muscles, product, created."""
        return [dict(r) for r in self._query(
            "SELECT id, date, kind, side, detail, units, muscles, product, created FROM treatment_events "
            "WHERE patient_id = ? ORDER BY date, id", (patient.id,))]

    def delete_event(self, patient: Patient, event_id) -> None:
        try:
            number = int(str(event_id).strip())
        except ValueError as exc:
            raise StoreError(f"'{event_id}' is not an event number (see `synkimeter event list "
                             f"{patient.pseudonym}`).") from exc
        with self._tx() as conn:
            if conn.execute("DELETE FROM treatment_events WHERE id = ? AND patient_id = ?",
                            (number, patient.id)).rowcount != 1:
                raise StoreError(f"Patient '{patient.pseudonym}' has no treatment event {number} (see "
                                 f"`synkimeter event list {patient.pseudonym}`).")


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


# --- helpers -------------------------------------------------------------------------------------
T = TypeVar("T")


def _written(value: T | None) -> T:
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


def check_day(text) -> str:
    """A calendar day as YYYY-MM-DD, not after today; StoreError (one sentence) otherwise."""
    raw = str(text or "").strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise StoreError(f"'{raw}' is not a date: use YYYY-MM-DD.") from exc
    if day > date.today():
        raise StoreError(f"{day.isoformat()} is in the future: keep a treatment once it has been given.")
    return day.isoformat()


def _write_scores(conn: sqlite3.Connection, session_id: int, scores: SessionScores) -> None:
    for clip_id, values in scores.narrowing.items():
        conn.execute("UPDATE results SET right_narrowing_pct = ?, right_narrowing_ci_low_pct = ?, "
                     "right_narrowing_ci_high_pct = ?, left_narrowing_pct = ?, left_narrowing_ci_low_pct = ?, "
                     "left_narrowing_ci_high_pct = ? WHERE clip_id = ?", (*values, clip_id))
    conn.execute("UPDATE sessions SET ocular_score = ?, ocular_ci_low = ?, ocular_ci_high = ?, "
                 "ocular_affected_side = ? WHERE id = ?", (*scores.score, session_id))


def _insert_result(conn: sqlite3.Connection, clip_id: int, summary: dict, levels) -> None:
    oo = summary.get("ocular_oral") or {}
    cols: dict[str, Any] = {
        "clip_id": clip_id,
        "summary_json": json.dumps(summary, allow_nan=False),
        "created": now_iso(),
        "fps": finite(summary.get("fps")),
        "duration_s": finite(summary.get("duration_s")),
        "frames": summary.get("frames"),
        "face_frames": summary.get("face_frames"),
        "mm_per_px": finite(summary.get("mm_per_px")),
        "affected_side": oo.get("affected_side"),
        "severity": oo.get("severity"),
        "asymmetry_mm": finite(oo.get("asymmetry_mm")),
    }
    for side in SIDES:
        s = oo.get(side) or {}
        ci = s.get("ci95_mm") or [None, None]
        avg_ci = s.get("average_ci95_mm") or [None, None]
        cols.update({
            f"{side}_median_mm": finite(s.get("median_mm")),
            f"{side}_ci_low_mm": finite(ci[0]),
            f"{side}_ci_high_mm": finite(ci[1]),
            f"{side}_coupled_fraction": finite(s.get("coupled_fraction")),
            f"{side}_n": s.get("n"),
            f"{side}_correlation": finite(s.get("correlation")),
            f"{side}_average_peak_mm": finite(s.get("average_peak_mm")),
            f"{side}_average_ci_low_mm": finite(avg_ci[0]),
            f"{side}_average_ci_high_mm": finite(avg_ci[1]),
        })
        if levels:
            lv = levels.get(side) or {}

            def get(kind, key, lv=lv):
                item = lv.get(kind)
                if item is None:
                    return None
                if isinstance(item, dict):
                    return finite(item.get("mm" if key == "mm" else "se_mm"))
                return finite(item.mm if key == "mm" else item.se_mm)

            cols.update({
                f"{side}_fissure_open_mm": get("open", "mm"), f"{side}_fissure_open_se_mm": get("open", "se"),
                f"{side}_fissure_active_mm": get("active", "mm"), f"{side}_fissure_active_se_mm": get("active", "se"),
            })
    names = ", ".join(cols)
    conn.execute(f"INSERT INTO results ({names}) VALUES ({', '.join('?' * len(cols))})", tuple(cols.values()))


__all__ = ["Store", "StoreError", "Patient", "Session", "Clip", "ImportResult", "SessionScores", "check_pseudonym",
           "check_side", "parse_date", "data_dir", "TASKS",
           "ENV_DATA_DIR", "DB_NAME", "CLIP_STATUSES", "SCHEMA_VERSION", "process_alive"]
