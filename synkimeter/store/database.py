"""The store: patients, sessions, task clips and their results, through one data-access layer
(SQLAlchemy Core) on SQLite, the single-user default, or a clinic's PostgreSQL server.

Which one: `Store(folder)` is the SQLite store in that folder; `Store()` is the clinic server when
one is configured (`SYNKIMETER_DATABASE_URL`, see `store.backend`), else the SQLite store in the data
folder (`data_dir()`; `SYNKIMETER_DATA_DIR` overrides the per-user default). Schema changes are
Alembic migrations (`store.migrate`).

SQLite layout of the data folder::

    synkimeter.sqlite3            the database (WAL mode: also -wal and -shm files while open)
    synkimeter.sqlite3.auto.bak   the automatic copy, refreshed daily after a clean quick_check
    group-shared                  only in a store shared with the folder's group (see Access)
    clips/p<patient>/s<session>/  one folder per session
        0007-pucker.mp4           the video as recorded
        0007-pucker.npz           the face-mesh landmarks (LandmarkSeries.save_npz, no pickle)
        0007-pucker.json          the result summary

On a clinic server the clip files live in the database (table clip_files, written in the
transaction that records the clip complete), so one server backup holds everything; the local
folder then only holds a recording while it is being made and, if the server went away before it
could be saved, the clip kept for a later import (`unsent/`).

Access: private by default, whatever the umask: the folder and every folder in it 0700, every file
0600 (SQLite gives its -wal and -shm files the database's mode). A store colleagues share on one
computer says so once with SYNKIMETER_GROUP_SHARED=1 (or Store(group_shared=True)): the folder is then
marked (`GROUP_MARK`), folders become 2770 and files 0660. Not for a network folder: SQLite's locking
is not reliable there; a clinic uses a PostgreSQL server, where each therapist connects as their own
role and reads, exports and deletions of a patient's data land in the audit table.

Safety rules:
- every clip is written in one transaction with its result (and, on a server, its files); on SQLite
  its files are written atomically first and the database learns of them only in that transaction,
  so a crash loses at most the clip being written;
- a session left 'recording' by a process that no longer runs is marked 'incomplete' on the next
  open, together with its unfinished clips, and their leftover temporary files are removed;
- a damaged clip file is reported (`verify`, `load_series`) and the rest of the store still opens;
- every failure reaches the caller as a `StoreError` whose str() is one plain sentence.
"""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import hashlib
import json
import os
import shutil
import socket
import stat
import tempfile
import time
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterator, Mapping

from sqlalchemy import delete, func, insert, literal_column, select, update
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from synkimeter.core.questionnaire import SaqError, check_saq, saq_total
from synkimeter.core.results import finite
from synkimeter.io.files import atomic_writer
from synkimeter.landmarks.series import LandmarkSeries
from synkimeter.store import migrate
from synkimeter.store.backend import (  # noqa: F401  (ENV_DATA_DIR: re-exported)
    ENV_DATA_DIR,
    Server,
    configured_url,
    data_dir,
    parse_server_url,
    server_engine,
    sqlite_engine,
)
from synkimeter.store.errors import is_unreachable, os_message, server_message, sqlite_message
from synkimeter.store.records import (  # noqa: F401  (MAX_IMPORT_MB: re-exported)
    DETAIL_MAX_CHARS,
    MAX_IMPORT_MB,
    Clip,
    ImportResult,
    Patient,
    Programme,
    SaqRecord,
    Session,
    SessionScores,
    StoreError,
    check_day,
    check_pseudonym,
    check_side,
    free_text,
    now_iso,
    parse_date,
    parse_day,
    process_alive,
    process_start_token,
    pseudonym_key,
    record,
    record_number,
    session_numbers,
    shown_name,
    written,
)
from synkimeter.store.schema import (
    AUDIT_ACTIONS,
    CLIP_STATUSES,
    EVENT_KINDS,
    EVENT_SIDES,
    PRACTICE_KINDS,
    PRACTICE_UNITS,
    SAQ_ITEM_COLUMNS,
    SCHEMA_REVISION,
    SCHEMA_VERSION,
    SESSION_KINDS,
    SIDES,
    TASKS,
    audit,
    clip_files,
    clips,
    notes,
    patients,
    practice_sets,
    programmes,
    results,
    saq_answers,
    sessions,
    treatment_events,
)

ENV_GROUP_SHARED = "SYNKIMETER_GROUP_SHARED"
GROUP_MARK = "group-shared"  # a file in the data folder: the store is shared with the folder's group
DB_NAME = "synkimeter.sqlite3"
CLIPS_DIR = "clips"
UNSENT_DIR = "unsent"  # clips recorded while the clinic server could not be reached
DEFAULT_BUSY_TIMEOUT_S = 5.0
# After a clean quick_check the database is copied here when the copy is older than a day: the
# copy to restore when the database is found damaged.
BACKUP_NAME = f"{DB_NAME}.auto.bak"
BACKUP_EVERY_S = 24 * 3600.0
# A 'recording' session started on another computer cannot be checked for a live process; after
# this long it is taken as abandoned.
OTHER_HOST_STALE_S = 24 * 3600.0
ORAL_OCULAR_TASKS = ("rest", "smile", "pucker")
_TEMP_SUFFIXES = (".tmp", ".part")
# A clinic server keeps the video in one bytea value, which PostgreSQL caps at 1 GB and which
# travels in memory: longer videos are kept as landmarks and result only.
MAX_SERVER_VIDEO_MB = 512
_FILE_COLUMNS = {"video": "video_path", "landmarks": "landmarks_path", "summary": "summary_path"}


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- the store -----------------------------------------------------------------------------------
class Store:
    """One open store. Use as a context manager, or call close().

    `problems` lists what opening found and repaired or could not read (plain sentences);
    `location` says in a few words where the store is (for the window and the command line).
    """

    def __init__(self, folder: str | os.PathLike | None = None, *, url: str | None = None,
                 busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S, recover: bool = True,
                 group_shared: bool | None = None) -> None:
        if url is None and folder is None:
            url = configured_url()
        self.server: Server | None = parse_server_url(url) if url else None
        if self.server is not None:
            # The local folder of a clinic store: recordings in progress and clips kept for later.
            local = Path(folder) if folder is not None else data_dir() / "clinic"
            tag = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in self.server.where)
            self.folder = local / tag
        else:
            self.folder = Path(folder) if folder is not None else data_dir()
        self.db_path = self.folder / DB_NAME
        self.busy_timeout_s = float(busy_timeout_s)
        self.problems: list[str] = []
        self.host = socket.gethostname()
        self.damaged: str | None = None  # set by check(): the store then refuses every write
        self.read_only = False
        self._conn: Connection | None = None
        self._engine: Any = None
        if group_shared is None:
            group_shared = os.environ.get(ENV_GROUP_SHARED, "").strip().lower() in ("1", "yes", "true", "on")
        # Once shared, always shared: a private open must not chmod the colleagues out of the store.
        self.group_shared = self.server is None and (bool(group_shared) or (self.folder / GROUP_MARK).is_file())
        self.dir_mode = 0o2770 if self.group_shared else 0o700
        self.file_mode = 0o660 if self.group_shared else 0o600
        try:
            self.make_dirs(self.folder)
            self._restrict(self.folder, self.dir_mode)
            if self.server is None:
                self._prepare_sqlite_files()
        except OSError as exc:
            raise StoreError(f"The data folder '{self.folder}' cannot be created ({exc.strerror or exc}).") from exc
        try:
            if self.server is None:
                self._open_sqlite()
            else:
                self._open_server()
            self._migrate()
            if self.server is None:
                self._daily_backup()
            if recover and not self.damaged and not self.read_only:
                self.recover()
        except SQLAlchemyError as exc:
            self.close()
            raise StoreError(self._message(exc)) from exc
        except BaseException:
            self.close()
            raise

    # -- opening ------------------------------------------------------------------------------------
    @property
    def is_server(self) -> bool:
        return self.server is not None

    @property
    def location(self) -> str:
        if self.server is None:
            return f"this computer ({self.folder})"
        return f"clinic server {self.server.where} as {self.server.role or 'you'}"

    def _prepare_sqlite_files(self) -> None:
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

    def _user_made_read_only(self) -> bool:
        """The user took the write permission off the store's folder or database (chmod 500 / 400)."""
        for path in (self.folder, self.db_path):
            with contextlib.suppress(OSError):
                if not os.access(path, os.W_OK) or not stat.S_IMODE(path.stat().st_mode) & 0o222:
                    return True
        return False

    def _open_sqlite(self) -> None:
        self.read_only = self._user_made_read_only()
        self._engine = sqlite_engine(self.db_path, self.busy_timeout_s, read_only=self.read_only)
        self._conn = self._engine.connect()
        conn = self.conn
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        if self.read_only:
            self.problems.append(f"The store in '{self.folder}' is read-only (its folder or database may not be "
                                 "written): it is read as it is, and nothing is written to it, not even the "
                                 "record of this read.")
            self.check()
            return
        mode = conn.exec_driver_sql("PRAGMA journal_mode = WAL").scalar()
        if str(mode).lower() != "wal":
            self.problems.append(f"The database could not switch to WAL mode (it uses {mode}).")
        conn.exec_driver_sql("PRAGMA synchronous = FULL")
        # Checked on every open (quick_check reads the rows, not the clip files: milliseconds for
        # years of sessions), not only after a crash: a damaged database found by a command that only
        # reads is then read-only too, and not even an audit row is written into it.
        self.check()

    def _open_server(self) -> None:
        assert self.server is not None
        self._engine = server_engine(self.server)
        self._conn = self._engine.connect()
        role = self.conn.exec_driver_sql("SELECT session_user").scalar()
        self.server = dataclasses.replace(self.server, role=str(role))

    def _message(self, exc: BaseException) -> str:
        orig = getattr(exc, "orig", None) or exc
        if self.server is None:
            return sqlite_message(orig, str(self.folder), self.busy_timeout_s)
        return server_message(orig, self.server.where, self.server.role or "you")

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
        """chmod what exists; a colleague's file (shared store) or a read-only copy is left as it is.
        Permissions are only ever taken away from the owner, never given back: a store the user made
        read-only (chmod 500 / 400) stays so."""
        with contextlib.suppress(OSError):
            current = stat.S_IMODE(path.stat().st_mode)
            mode = (mode & ~0o700) | (mode & current & 0o700)
            if current != mode:
                os.chmod(path, mode)

    def _create_file(self, path: Path) -> None:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, self.file_mode))
        self._restrict(path, self.file_mode)

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise StoreError("The store is closed.")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError, OSError):
                self._conn.close()
            self._conn = None
        if self._engine is not None:
            with contextlib.suppress(SQLAlchemyError, OSError):
                self._engine.dispose()
            self._engine = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def write_refusal(self) -> str | None:
        """Why this store writes nothing (damaged, or made read-only by its user), in one sentence; or None."""
        if self.damaged:
            return self.damaged
        if self.read_only and self.server is None:
            return (f"The store in '{self.folder}' is read-only (its folder or database may not be written), so "
                    "nothing can be changed in it; give yourself write permission back to change it.")
        return None

    @contextlib.contextmanager
    def _tx(self) -> Iterator[Connection]:
        """One write transaction. On SQLite BEGIN IMMEDIATE: it waits up to busy_timeout for other
        writers before anything is done, instead of failing half-way."""
        conn = self.conn
        refusal = self.write_refusal
        if refusal:
            raise StoreError(refusal)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if self.server is None else "BEGIN")
        except SQLAlchemyError as exc:
            raise StoreError(self._message(exc)) from exc
        try:
            yield conn
            conn.exec_driver_sql("COMMIT")
        except SQLAlchemyError as exc:
            self._rollback()
            raise StoreError(self._message(exc)) from exc
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        with contextlib.suppress(SQLAlchemyError, OSError):
            self.conn.exec_driver_sql("ROLLBACK")

    def _rows(self, statement, params: Mapping[str, Any] | None = None) -> list[dict]:
        """A read standing alone, as one dict per row."""
        try:
            result = self.conn.execute(statement, dict(params or {}))
            return [dict(row) for row in result.mappings()]
        except SQLAlchemyError as exc:
            raise StoreError(self._message(exc)) from exc

    def _scalar(self, statement, params: Mapping[str, Any] | None = None) -> Any:
        try:
            return self.conn.execute(statement, dict(params or {})).scalar()
        except SQLAlchemyError as exc:
            raise StoreError(self._message(exc)) from exc

    def ping(self) -> None:
        """A StoreError (one sentence) unless the database answers now: asked before a recording starts."""
        self._scalar(select(literal_column("1")))

    @property
    def schema_version(self) -> int:
        try:
            return migrate.revision_number(migrate.current_revision(self.conn))
        except SQLAlchemyError as exc:
            raise StoreError(self._message(exc)) from exc

    def _migrate(self) -> None:
        conn = self.conn
        revision = migrate.current_revision(conn)
        version = migrate.revision_number(revision)
        legacy = migrate.legacy_version(conn) if self.server is None else 0
        if max(version, legacy) > SCHEMA_VERSION:
            raise StoreError(f"The store in '{self._where}' was written by a newer synkimeter (schema "
                             f"{max(version, legacy)}, this one knows {SCHEMA_VERSION}); please update synkimeter.")
        # On a server only the schema's owner (who may create in it) migrates; a role that may not
        # change sessions either is a reader, and the store does not try to write for it.
        may_migrate = self.server is None or bool(conn.exec_driver_sql(
            "SELECT has_schema_privilege(current_user, 'public', 'CREATE')").scalar())
        if self.server is not None and not may_migrate and version > 0:
            self.read_only = not conn.exec_driver_sql(
                "SELECT has_table_privilege(current_user, 'sessions', 'UPDATE')").scalar()
        if revision == SCHEMA_REVISION:
            return
        if self.read_only and self.server is None:
            raise StoreError(f"The store in '{self.folder}' is read-only and from an older synkimeter (schema "
                             f"{max(version, legacy)}): give yourself write permission back once so it can be "
                             "updated.")
        if not may_migrate:
            if version == 0:
                raise StoreError(f"The clinic's database ({self._where}) has no synkimeter store yet: the clinic's "
                                 "administrator runs `synkimeter clinic init` first.")
            raise StoreError(f"The clinic store ({self._where}) is at schema {version}, older than this "
                             f"synkimeter's ({SCHEMA_VERSION}): the clinic's administrator runs `synkimeter clinic "
                             "init` to update it.")
        if self.server is None and version > 0:
            if self.check():
                raise StoreError(self.damaged)
            self._backup(f"{DB_NAME}.v{version}.bak")
        with self._tx() as tx:
            migrate.upgrade(tx)

    @property
    def _where(self) -> str:
        return self.server.where if self.server is not None else str(self.folder)

    def _backup(self, name: str) -> None:
        """A copy of the database before a migration changes it (kept once per old version)."""
        target = self.folder / name
        if target.exists():
            return
        failed = self._copy_database(target)
        if failed is not None:
            self.problems.append(f"No backup could be made before updating the database ({failed}).")

    def _copy_database(self, target: Path) -> Exception | None:
        """A consistent copy of the SQLite database at `target`, written beside it and moved in place
        (a half-written copy never stands as a backup); the error, or None."""
        import sqlite3

        tmp = target.with_name(f".{target.name}.tmp")
        try:
            self._create_file(tmp)
            raw = self.conn.connection.dbapi_connection
            with contextlib.closing(sqlite3.connect(tmp)) as dst:
                raw.backup(dst)  # type: ignore[union-attr]
            os.replace(tmp, target)
        except (sqlite3.Error, OSError) as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            return exc
        return None

    def check(self) -> str | None:
        """SQLite's quick_check. On damage the store stops writing and `damaged` (returned) says so in
        one sentence, with the automatic backup to restore. (A clinic server checks itself.)"""
        if self.server is not None:
            return None
        try:
            findings = [str(row[0]) for row in self.conn.exec_driver_sql("PRAGMA quick_check").fetchall()]
        except DBAPIError as exc:
            findings = [str(exc.orig)]
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
        """Copy the SQLite database, once it is found sound, when the last automatic copy is a day old."""
        target = self.folder / BACKUP_NAME
        with contextlib.suppress(FileNotFoundError):
            if time.time() - target.stat().st_mtime < BACKUP_EVERY_S:
                return
        if self.damaged or self.read_only or self._scalar(select(patients.c.id).limit(1)) is None or self.check():
            return  # nothing worth a copy yet, or the good copy must not be overwritten by a bad one
        failed = self._copy_database(target)
        if failed is not None:
            self.problems.append(f"The daily automatic backup of the database could not be made ({failed}).")

    def integrity_check(self) -> str:
        if self.server is not None:
            return "ok"
        try:
            return str(self.conn.exec_driver_sql("PRAGMA integrity_check").scalar())
        except SQLAlchemyError as exc:
            raise StoreError(self._message(exc)) from exc

    # -- recovery ---------------------------------------------------------------------------------
    def recover(self) -> list[int]:
        """Mark sessions left 'recording' by a process that is gone as 'incomplete' (with their
        unfinished clips), remove their temporary files, and report missing clip files.
        Returns the ids of the sessions marked incomplete."""
        stale = []
        for row in self._rows(select(sessions.c.id, sessions.c.host, sessions.c.pid, sessions.c.pid_start,
                                     sessions.c.started_at).where(sessions.c.status == "recording")):
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
            # An import is one clip written in one transaction: interrupted, it has nothing worth keeping.
            imports = [r["id"] for r in self._rows(select(sessions.c.id).where(
                sessions.c.id.in_(stale), sessions.c.protocol == "import"))]
            with self._tx() as conn:
                if imports:
                    conn.execute(delete(sessions).where(sessions.c.id.in_(imports), sessions.c.status == "recording"))
                conn.execute(update(sessions).where(sessions.c.id.in_(stale), sessions.c.status == "recording")
                             .values(status="incomplete"))
                conn.execute(update(clips).where(clips.c.session_id.in_(stale), clips.c.status == "recording")
                             .values(status="incomplete",
                                     error=func.coalesce(clips.c.error, "The recording was interrupted.")))
            for sid in stale:
                self._remove_temp_files(sid)
            kept = len(stale) - len(imports)
            if kept:
                self.problems.append(f"{kept} interrupted session(s) were kept and marked incomplete.")
            if imports:
                self.problems.append(f"{len(imports)} interrupted import(s) left nothing behind and were removed.")
        if self.server is None:
            query = (select(clips.c.id, clips.c.task, clips.c.video_path, clips.c.landmarks_path,
                            clips.c.summary_path, sessions.c.started_at)
                     .join(sessions, sessions.c.id == clips.c.session_id).where(clips.c.status == "complete"))
            for row in self._rows(query):
                for key in ("video_path", "landmarks_path", "summary_path"):
                    if row[key] and not (self.folder / row[key]).is_file():
                        self.problems.append(f"The {key.split('_')[0]} file of clip {row['id']} ({row['task']}, "
                                             f"{row['started_at'][:10]}) is missing: {row[key]}.")
        return stale

    def _remove_temp_files(self, session_id: int) -> None:
        patient_id = self._scalar(select(sessions.c.patient_id).where(sessions.c.id == session_id))
        if patient_id is None:
            return
        folder = self.session_dir(patient_id, session_id)
        if folder.is_dir():
            for path in folder.iterdir():
                if path.name.startswith(".") and (path.name.endswith(_TEMP_SUFFIXES) or ".part." in path.name):
                    with contextlib.suppress(OSError):
                        path.unlink()

    # -- audit ------------------------------------------------------------------------------------
    @property
    def actor(self) -> str:
        """Who is at the keyboard as the audit table names them: the database role on a server."""
        if self.server is not None:
            return self.server.role
        try:
            return getpass.getuser()
        except (OSError, KeyError):
            return "unknown"

    def _audit_row(self, conn: Connection, action: str, patient: Patient, detail: str = "") -> None:
        if action not in AUDIT_ACTIONS:
            raise StoreError(f"'{action}' is not an audited action.")
        if self.server is not None:
            # Only the server writes audit rows (migration v9): the role (session_user) and the time are its own.
            conn.execute(select(func.synkimeter_audit(action, patient.id, patient.pseudonym, detail[:500], self.host)))
            return
        conn.execute(insert(audit).values(at=now_iso(), actor=self.actor, host=self.host, action=action,
                                          patient_id=patient.id, pseudonym=patient.pseudonym, detail=detail[:500]))

    def record_access(self, action: str, patient: Patient, detail: str = "") -> None:
        """Keep in the audit table that this user read or exported the patient's data (deletions are
        recorded by the store itself, in the transaction that deletes). A damaged single-user store,
        which writes nothing more, still lets its data be read and reported."""
        if (self.damaged or self.read_only) and self.server is None:
            return
        with self._tx() as conn:
            self._audit_row(conn, action, patient, detail)

    def audit_log(self, pseudonym: str) -> list[dict]:
        """Every audit row about the patient id, oldest first (also after the patient was deleted)."""
        return self._rows(select(audit.c.id, audit.c.at, audit.c.actor, audit.c.host, audit.c.action,
                                 audit.c.detail).where(audit.c.pseudonym == str(pseudonym).strip())
                          .order_by(audit.c.at, audit.c.id))

    # -- patients ---------------------------------------------------------------------------------
    def add_patient(self, pseudonym: str, affected_side: str | None = None, notes: str = "") -> Patient:
        pseudonym = check_pseudonym(pseudonym)
        notes = free_text(notes, "A patient's notes")
        check_side(affected_side)
        existing = self.patient(pseudonym)
        if existing is not None:
            raise StoreError(f"A patient '{existing.pseudonym}' already exists.")
        try:
            with self._tx() as conn:
                pid = inserted_id(conn.execute(insert(patients).values(pseudonym=pseudonym, affected_side=affected_side,
                                                           notes=notes or "", created=now_iso())
                                   ))
        except StoreError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                raise StoreError(f"A patient '{pseudonym}' already exists.") from exc
            raise
        return written(self.patient_by_id(written(pid)))

    def patient(self, pseudonym: str) -> Patient | None:
        """The patient by id: the same id in another case is the same patient; one that only looks like
        an existing id (Cyrillic 'Р' for Latin 'P') is refused in one sentence rather than taken as new."""
        text = unicodedata.normalize("NFKC", str(pseudonym or "")).strip()
        rows = self._rows(select(patients).where(patients.c.pseudonym == text))
        if rows:
            return record(Patient, rows[0])
        key = pseudonym_key(text)
        for patient in self.patients():
            if pseudonym_key(patient.pseudonym) != key:
                continue
            if patient.pseudonym.casefold() == text.casefold():
                return patient
            raise StoreError(f"The patient id '{text}' looks like the existing patient '{patient.pseudonym}' but is "
                             "written with other letters: type that id as it is, or choose one that looks different.")
        return None

    def patient_by_id(self, patient_id: int) -> Patient | None:
        rows = self._rows(select(patients).where(patients.c.id == patient_id))
        return record(Patient, rows[0]) if rows else None

    def require_patient(self, pseudonym: str) -> Patient:
        patient = self.patient(pseudonym)
        if patient is None:
            raise StoreError(f"There is no patient '{pseudonym}' in the store at {self._where_words}.")
        return patient

    @property
    def _where_words(self) -> str:
        return f"'{self.folder}'" if self.server is None else f"the clinic server {self.server.where}"

    def _insert_ignoring_duplicate(self, table, **values):
        """INSERT that does nothing when a unique key already holds the row (both backends)."""
        if self.server is None:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        return dialect_insert(table).values(**values).on_conflict_do_nothing()

    def get_or_create_patient(self, pseudonym: str, affected_side: str | None = None) -> tuple[Patient, bool]:
        """The patient, created if new; (patient, created). One transaction, so two processes
        creating the same new patient at once both get it (one of them creates it)."""
        pseudonym = check_pseudonym(pseudonym)
        check_side(affected_side)
        existing = self.patient(pseudonym)  # the same id in another case is this patient; a look-alike refused
        if existing is not None:
            pseudonym = existing.pseudonym
        with self._tx() as conn:
            # RETURNING gives a row only when the INSERT wrote one (rowcount is not reliable for it on both).
            created = conn.execute(self._insert_ignoring_duplicate(
                patients, pseudonym=pseudonym, affected_side=affected_side, notes="", created=now_iso())
                .returning(patients.c.id)).first() is not None
            row = conn.execute(select(patients.c.id, patients.c.affected_side)
                               .where(patients.c.pseudonym == pseudonym)).mappings().one()
            if affected_side and not row["affected_side"]:
                conn.execute(update(patients).where(patients.c.id == row["id"]).values(affected_side=affected_side))
        return written(self.patient_by_id(row["id"])), created

    def update_patient(self, pseudonym: str, *, affected_side: Any = ..., notes: str | None = None) -> Patient:
        patient = self.require_patient(pseudonym)
        with self._tx() as conn:
            if affected_side is not ...:
                check_side(affected_side)
                conn.execute(update(patients).where(patients.c.id == patient.id).values(affected_side=affected_side))
            if notes is not None:
                conn.execute(update(patients).where(patients.c.id == patient.id)
                             .values(notes=free_text(notes, "A patient's notes")))
        return written(self.patient_by_id(patient.id))

    def patients(self) -> list[Patient]:
        return [written(record(Patient, r)) for r in self._rows(select(patients).order_by(patients.c.pseudonym))]

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
        notes = free_text(notes, "A session's notes")
        pid = os.getpid()
        with self._tx() as conn:
            sid = inserted_id(conn.execute(insert(sessions).values(
                patient_id=patient.id, started_at=started_at, kind=kind, protocol=protocol or "", notes=notes or "",
                status="recording", host=self.host, pid=pid, pid_start=process_start_token(pid))
            ))
        return written(self.session(written(sid)))

    def finish_session(self, session: Session, status: str = "complete") -> Session:
        if status not in ("complete", "incomplete"):
            raise StoreError(f"A session ends 'complete' or 'incomplete', not '{status}'.")
        with self._tx() as conn:
            conn.execute(update(sessions).where(sessions.c.id == session.id).values(status=status, pid=None))
            conn.execute(update(clips).where(clips.c.session_id == session.id, clips.c.status == "recording")
                         .values(status="incomplete", error=func.coalesce(clips.c.error, "Not finished.")))
        self._remove_temp_files(session.id)
        return written(self.session(session.id))

    def resume_session(self, session: Session) -> Session:
        """Open an ended session again to record more tasks into it (redoing the ones that were not
        recorded); it is owned by this process until finish_session(), as a new one is."""
        if session.status == "recording":
            raise StoreError(f"Session {session.id} is still being recorded.")
        pid = os.getpid()
        with self._tx() as conn:
            conn.execute(update(sessions).where(sessions.c.id == session.id).values(
                status="recording", host=self.host, pid=pid, pid_start=process_start_token(pid)))
        return written(self.session(session.id))

    def session(self, session_id: int) -> Session | None:
        rows = self._rows(select(sessions).where(sessions.c.id == session_id))
        return record(Session, rows[0]) if rows else None

    def sessions(self, patient: Patient) -> list[Session]:
        return [written(record(Session, r)) for r in self._rows(
            select(sessions).where(sessions.c.patient_id == patient.id).order_by(sessions.c.started_at, sessions.c.id))]

    def delete_session(self, session: Session, *, reason: str = "") -> None:
        """Remove a session, its clips, results and files."""
        patient = written(self.patient_by_id(session.patient_id))
        with self._tx() as conn:
            conn.execute(delete(sessions).where(sessions.c.id == session.id))
            self._audit_row(conn, "delete", patient, reason or f"session {session.id} ({session.kind}, "
                                                               f"{session.started_at[:10]})")
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
            cid = inserted_id(conn.execute(insert(clips).values(session_id=session.id, task=task, status="recording",
                                                    source_name=shown_name(source_name), created=now_iso())
                               ))
        return written(self.clip(written(cid)))

    def complete_clip_count(self) -> int:
        return int(self._scalar(select(func.count()).select_from(clips).where(clips.c.status == "complete")) or 0)

    def clip(self, clip_id: int) -> Clip | None:
        rows = self._rows(select(clips).where(clips.c.id == clip_id))
        return record(Clip, rows[0]) if rows else None

    def clips(self, session: Session) -> list[Clip]:
        return [written(record(Clip, r)) for r in
                self._rows(select(clips).where(clips.c.session_id == session.id).order_by(clips.c.id))]

    def _clip_stem(self, clip: Clip) -> Path:
        session = written(self.session(clip.session_id))
        return self.session_dir(session.patient_id, session.id) / f"{clip.id:04d}-{clip.task}"

    def recording_path(self, clip: Clip, suffix: str = ".mp4") -> Path:
        """Where a live recorder writes the video while recording: a hidden temporary name in the
        clip's local folder (`.0007-pucker.part.mp4`: it keeps its extension, which OpenCV's
        VideoWriter needs to choose the container), removed if the session is abandoned;
        save_clip(video=this path) moves it in place (or, on a clinic server, into the database)."""
        stem = self._clip_stem(clip)
        self.make_dirs(stem.parent)
        return stem.with_name(f".{stem.name}.part{suffix}")

    def save_clip(self, clip: Clip, *, document: dict, levels: dict | None = None, series=None,
                  video: str | os.PathLike | None = None, scores: "SessionScores | None" = None,
                  finish_session: str | None = None) -> Clip:
        """Write the clip's files, then record it complete with its result in one transaction.

        `document` is the clip's result document (JSON-ready), `levels` its eye-fissure levels per
        side and `scores` the session's oral-ocular numbers with this clip in it (all computed by
        `usecases.saving`). `finish_session` ('complete'), if given, ends the session in the same
        transaction (an import: killed at any point, it leaves no half-written session). On any
        failure nothing of the clip is kept in the store, the clip is
        marked 'failed', and a StoreError says why; when a clinic server could not be reached, the
        clip is kept on this computer (`unsent/`) and the sentence says where.
        """
        stem = self._clip_stem(clip)
        written_files: list[Path] = []
        paths: dict[str, Path | None] = {"video": None, "landmarks": None, "summary": None}
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
                if self.server is not None and src.stat().st_size > MAX_SERVER_VIDEO_MB * 1024 * 1024:
                    self.problems.append(f"The video of the {clip.task} clip is larger than {MAX_SERVER_VIDEO_MB} MB "
                                         "and was not kept on the clinic server (its landmarks and result were).")
                elif src.parent.resolve() == target.parent.resolve() and src.name.startswith("."):
                    with open(src, "rb+") as fh:
                        os.fsync(fh.fileno())
                    os.replace(src, target)
                    written_files.append(target)
                    paths["video"] = target
                else:
                    with open(src, "rb") as fin, atomic_writer(target, "wb") as fout:
                        shutil.copyfileobj(fin, fout, 1 << 20)
                    written_files.append(target)
                    paths["video"] = target
            if series is not None:
                target = stem.with_name(stem.name + ".npz")
                series.save_npz(target)
                written_files.append(target)
                paths["landmarks"] = target
            target = stem.with_name(stem.name + ".json")
            with atomic_writer(target, "w") as fh:
                json.dump(document, fh, indent=2, allow_nan=False)
                fh.write("\n")
            written_files.append(target)
            paths["summary"] = target
            for path in written_files:
                self._restrict(path, self.file_mode)
            rel = {kind: (p.relative_to(self.folder).as_posix() if p is not None else None)
                   for kind, p in paths.items()}
            with self._tx() as conn:
                conn.execute(update(clips).where(clips.c.id == clip.id).values(
                    status="complete", video_path=rel["video"], landmarks_path=rel["landmarks"],
                    summary_path=rel["summary"], error=None))
                conn.execute(delete(results).where(results.c.clip_id == clip.id))
                _insert_result(conn, clip.id, document, levels)
                if scores is not None:
                    _write_scores(conn, clip.session_id, scores)
                if finish_session is not None:
                    conn.execute(update(sessions).where(sessions.c.id == clip.session_id)
                                 .values(status=finish_session, pid=None))
                if self.server is not None:
                    conn.execute(delete(clip_files).where(clip_files.c.clip_id == clip.id))
                    for kind, kept in paths.items():
                        if kept is not None:
                            self._put_file(conn, clip.id, kind, rel[kind] or kept.name, kept.read_bytes())
            if self.server is not None:  # in the database now: the local copies go
                for path in written_files:
                    with contextlib.suppress(OSError):
                        path.unlink()
        except BaseException as exc:
            if isinstance(exc, OSError):
                message = os_message(exc, f"the {clip.task} clip")
            elif isinstance(exc, StoreError):
                message = str(exc)
            elif isinstance(exc, Exception):
                message = f"The {clip.task} clip could not be saved ({type(exc).__name__}: {exc})."
            else:
                self._discard(written_files)
                raise
            if self.server is not None and is_unreachable(message):
                kept_video = paths["video"] if paths["video"] is not None and paths["video"].is_file() else video
                message = self.keep_unsent(clip, message, document=document, series=series, video=kept_video)
            self._discard(written_files)
            with contextlib.suppress(StoreError, SQLAlchemyError):
                with self._tx() as conn:
                    conn.execute(update(clips).where(clips.c.id == clip.id).values(status="failed", error=message))
            raise StoreError(message) from exc
        return written(self.clip(clip.id))

    def _discard(self, paths: list[Path]) -> None:
        for path in paths:
            with contextlib.suppress(OSError):
                path.unlink()

    def keep_unsent(self, clip: Clip, message: str, *, document: dict, series=None,
                    video: str | os.PathLike | None = None) -> str:
        """Keep a clip the clinic server could not take on this computer (`unsent/`: its video,
        landmarks and result, as an import needs them); `message` with where it went added."""
        folder = self.folder / UNSENT_DIR / f"{datetime.now():%Y%m%d-%H%M%S}-{clip.id:04d}-{clip.task}"
        try:
            self.make_dirs(folder)
            if video is not None and Path(video).is_file():
                src = Path(video)
                name = src.name.lstrip(".").replace(".part", "")
                if src.parent.resolve().is_relative_to(self.folder.resolve()):  # our own recording: moved
                    os.replace(src, folder / name)
                else:
                    shutil.copyfile(src, folder / name)
                self._restrict(folder / name, self.file_mode)
            if series is not None:
                self._restrict(series.save_npz(folder / f"{clip.task}.npz"), self.file_mode)
            with atomic_writer(folder / f"{clip.task}.json", "w") as fh:
                json.dump(document, fh, indent=2, allow_nan=False)
        except (OSError, ValueError):
            return message
        return (f"{message[:-1]}; the {clip.task} clip was kept on this computer in '{folder}': import its video "
                "with `synkimeter import` once the server is back.")

    def _put_file(self, conn: Connection, clip_id: int, kind: str, name: str, data: bytes) -> None:
        conn.execute(insert(clip_files).values(clip_id=clip_id, kind=kind, name=name, size=len(data),
                                               sha256=hashlib.sha256(data).hexdigest(), data=data))

    def fail_clip(self, clip: Clip, message: str) -> None:
        with self._tx() as conn:
            conn.execute(update(clips).where(clips.c.id == clip.id).values(status="failed", error=message))

    # -- reading back -----------------------------------------------------------------------------
    def result_row(self, clip: Clip) -> dict | None:
        rows = self._rows(select(results).where(results.c.clip_id == clip.id))
        return rows[0] if rows else None

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

    def clip_bytes(self, clip: Clip, kind: str) -> bytes | None:
        """A clip file's content ('video', 'landmarks' or 'summary'); None when the clip has none."""
        rel = getattr(clip, _FILE_COLUMNS[kind])
        if not rel:
            return None
        if self.server is None:
            path = self.folder / rel
            if not path.is_file():
                raise StoreError(f"The {kind} file of clip {clip.id} ({clip.task}) is missing: {rel}.")
            return path.read_bytes()
        # Through the server's audited path (migration v9): reading a video writes a 'read' row there.
        data = self._scalar(select(func.synkimeter_clip_file(clip.id, kind, self.host)))
        if data is None:
            raise StoreError(f"The {kind} file of clip {clip.id} ({clip.task}) is missing from the clinic store.")
        return bytes(data)

    def load_series(self, clip: Clip):
        """The clip's landmarks (LandmarkSeries); StoreError if the file is missing or damaged."""
        if not clip.landmarks_path:
            raise StoreError(f"Clip {clip.id} ({clip.task}) has no landmarks file.")
        if self.server is None:
            path = self.folder / clip.landmarks_path
            if not path.is_file():
                raise StoreError(f"The landmarks file of clip {clip.id} ({clip.task}) is missing: "
                                 f"{clip.landmarks_path}.")
            return self._read_series(clip, path)
        data = written(self.clip_bytes(clip, "landmarks"))
        self.make_dirs(self.folder)
        fd, name = tempfile.mkstemp(prefix=".landmarks-", suffix=".npz", dir=self.folder)
        try:  # the reader takes a file; it holds nothing of it once read
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            return self._read_series(clip, Path(name))
        finally:
            with contextlib.suppress(OSError):
                os.unlink(name)

    def _read_series(self, clip: Clip, path: Path):
        try:
            return LandmarkSeries.load_npz(path)
        except Exception as exc:  # zip, numpy, json or shape errors: whatever the damage, one sentence
            raise StoreError(f"The landmarks file of clip {clip.id} ({clip.task}) is damaged and cannot be read "
                             f"({type(exc).__name__}).") from exc

    def verify(self, deep: bool = True, patient: Patient | None = None) -> list[str]:
        """Check every complete clip's files (of one patient, if given), and if deep that they can be
        read (on a clinic server: that each file's content still has its checksum). Returns problems."""
        query = select(clips).join(sessions, sessions.c.id == clips.c.session_id).where(clips.c.status == "complete")
        if patient is not None:
            query = query.where(sessions.c.patient_id == patient.id)
        rows = self._rows(query.order_by(clips.c.id))
        if self.server is not None:
            return self._verify_server([written(record(Clip, r)) for r in rows], deep)
        problems = []
        for row in rows:
            clip = written(record(Clip, row))
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

    def server_file_hashes(self, clip_ids: list[int]) -> dict[tuple[int, str], str]:
        """The SHA-256 of the clinic server's clip files, hashed by the server (nothing travels, and no
        role reads the bytes: migration v9's synkimeter_clip_file_hashes)."""
        hashes: Any = select(literal_column("clip_id"), literal_column("kind"), literal_column("sha")).select_from(
            func.synkimeter_clip_file_hashes(list(clip_ids)))
        rows: list[Any] = list(self.conn.execute(hashes).fetchall())
        return {(int(row[0]), str(row[1])): str(row[2]) for row in rows}

    def _verify_server(self, complete: list[Clip], deep: bool) -> list[str]:
        if not complete:
            return []
        ids = [c.id for c in complete]
        files = clip_files.c
        sums = {(r["clip_id"], r["kind"]): r["sha256"]
                for r in self._rows(select(files.clip_id, files.kind, files.sha256).where(files.clip_id.in_(ids)))}
        hashed = self.server_file_hashes(ids) if deep else sums  # deep: the server hashes its own copy
        stored = {key: hashed.get(key) == sha for key, sha in sums.items()}
        problems = []
        for clip in complete:
            for kind, column in _FILE_COLUMNS.items():
                if not getattr(clip, column):
                    continue
                sound = stored.get((clip.id, kind))
                if sound is None:
                    problems.append(f"The {kind} file of clip {clip.id} ({clip.task}) is missing from the clinic "
                                    "store.")
                elif not sound:
                    problems.append(f"The {kind} file of clip {clip.id} ({clip.task}) no longer matches its checksum.")
        return problems

    def results(self, patient: Patient) -> list[dict]:
        """Every clip of the patient with its session and result columns, oldest first (one dict per clip)."""
        result_columns = [c for c in results.c if c.name not in ("id", "summary_json")]
        query = (select(sessions.c.id.label("session_id"), sessions.c.started_at, sessions.c.kind, sessions.c.protocol,
                        sessions.c.status.label("session_status"), sessions.c.notes.label("session_notes"),
                        sessions.c.ocular_score, sessions.c.ocular_ci_low, sessions.c.ocular_ci_high,
                        sessions.c.ocular_affected_side, clips.c.id.label("clip_id"), clips.c.task,
                        clips.c.status.label("clip_status"), clips.c.video_path, clips.c.landmarks_path,
                        clips.c.summary_path, clips.c.source_name, clips.c.error,
                        *[c for c in result_columns if c.name != "clip_id"])
                 .select_from(sessions.join(clips, clips.c.session_id == sessions.c.id)
                              .outerjoin(results, results.c.clip_id == clips.c.id))
                 .where(sessions.c.patient_id == patient.id)
                 .order_by(sessions.c.started_at, sessions.c.id, clips.c.id))
        return self._rows(query)

    # -- practice sets (synkimeter.usecases.practice) -------------------------------------------------------
    def add_practice_set(self, patient: Patient, record_: dict) -> int:
        """Keep one finished practice set (`PracticeSetResult.record()`); returns its id."""
        try:
            datetime.fromisoformat(str(record_["started_at"]))
        except ValueError as exc:
            raise StoreError(f"'{record_['started_at']}' is not a date and time.") from exc
        if record_.get("kind") not in PRACTICE_KINDS:
            raise StoreError(f"A practice set is one of {', '.join(PRACTICE_KINDS)}, not '{record_.get('kind')}'.")
        check_side(record_.get("affected_side"))
        if record_.get("affected_side") is None:
            raise StoreError("A practice set needs the affected side.")
        with self._tx() as conn:
            return inserted_id(conn.execute(insert(practice_sets).values(
                patient_id=patient.id, started_at=str(record_["started_at"]), kind=record_["kind"],
                affected_side=record_["affected_side"], target=float(record_["target"]), unit=record_["unit"],
                attempts=int(record_["attempts"]), judged=int(record_["judged"]), clean=int(record_["clean"]),
                median_value=finite(record_.get("median_value")), duration_s=finite(record_.get("duration_s")),
                source_name=str(record_.get("source_name") or ""),
                attempts_json=json.dumps(record_.get("attempts_json") or [], allow_nan=False),
                created=now_iso())))

    def practice_sets(self, patient: Patient, kind: str | None = None) -> list[dict]:
        """The patient's practice sets (of one kind, if given), oldest first; `attempts_json` parsed."""
        query = select(practice_sets).where(practice_sets.c.patient_id == patient.id)
        if kind is not None:
            query = query.where(practice_sets.c.kind == kind)
        out = self._rows(query.order_by(practice_sets.c.started_at, practice_sets.c.id))
        for d in out:
            try:
                d["attempts_json"] = json.loads(d["attempts_json"] or "[]")
            except ValueError:
                d["attempts_json"] = []
        return out

    def delete_patient_row(self, patient: Patient) -> None:
        """Remove a patient who has no sessions (an import that failed after creating them)."""
        with self._tx() as conn:
            conn.execute(delete(patients).where(patients.c.id == patient.id))

    # -- managing records: rename, delete, correct, clinicians' notes (issue 16) --------------------
    def rename_patient(self, old: str, new: str) -> Patient:
        """Give a patient another pseudonymous id; sessions, sets and files stay with the patient."""
        patient = self.require_patient(old)
        new = check_pseudonym(new)
        if new == patient.pseudonym:
            return patient
        other = self.patient(new)
        if other is not None and other.id != patient.id:
            raise StoreError(f"A patient '{new}' already exists; choose another id.")
        with self._tx() as conn:
            conn.execute(update(patients).where(patients.c.id == patient.id).values(pseudonym=new))
        return written(self.patient_by_id(patient.id))

    def delete_patient(self, pseudonym: str) -> int:
        """Remove a patient with every session, clip, result, practice set, note, treatment event, questionnaire
        and clip file.
        Returns how many sessions went with it."""
        patient = self.require_patient(pseudonym)
        n = len(self.sessions(patient))
        with self._tx() as conn:
            conn.execute(delete(patients).where(patients.c.id == patient.id))
            self._audit_row(conn, "delete", patient, f"the patient with {n} session(s)")
        shutil.rmtree(self.folder / CLIPS_DIR / f"p{int(patient.id):04d}", ignore_errors=True)
        return n

    def numbered_session(self, patient: Patient, number) -> Session:
        """One of the patient's sessions by its number #1, #2 ... (`session_numbers`: as the patient
        manager, the CLI and the report number them); StoreError (one sentence) if there is none."""
        n = record_number(str(number).strip().lstrip("#"), "a session",
                          f"see `synkimeter sessions {patient.pseudonym}`")
        sessions = self.sessions(patient)
        by_number = {v: k for k, v in session_numbers(sessions).items()}
        if n not in by_number:
            raise StoreError(f"Patient '{patient.pseudonym}' has no session {n} (see `synkimeter sessions "
                             f"{patient.pseudonym}`).")
        return next(s for s in sessions if s.id == by_number[n])

    def patient_session(self, patient: Patient, session_id) -> Session:
        """One of the patient's sessions by its number; StoreError (one sentence) if it is not theirs."""
        sid = record_number(session_id, "a session", f"see `synkimeter sessions {patient.pseudonym}`")
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
            text_ = str(started_at).strip()
            if len(text_) == 10:  # a date alone keeps the session's time of day
                text_ += session.started_at[10:]
            started_at = parse_date(text_)
        changes: dict[str, Any] = {}
        if kind is not None:
            changes["kind"] = kind
        if started_at is not None:
            changes["started_at"] = started_at
        if notes is not None:
            changes["notes"] = free_text(notes, "A session's notes")
        if changes:
            with self._tx() as conn:
                conn.execute(update(sessions).where(sessions.c.id == session.id).values(**changes))
        return written(self.session(session.id))

    def discard_if_empty(self, session: Session) -> bool:
        """Remove a session that kept no complete clip (e.g. stopped before the first task ended), so
        it leaves no empty entry in the history. True when it was removed."""
        if self._rows(select(clips.c.id).where(clips.c.session_id == session.id, clips.c.status == "complete")
                      .limit(1)):
            return False
        self.delete_session(session, reason=f"session {session.id}, stopped before any task was kept")
        return True

    def add_note(self, patient: Patient, text: str, session: Session | None = None, day: str | None = None) -> int:
        """Keep a clinician's note on the patient (on one session, if given), with its clinical date
        `day` (YYYY-MM-DD, not in the future; default today); returns its id."""
        noted_on = check_day(day, "a note's date is the day it is about, today at the latest") if day else \
            date.today().isoformat()
        text = free_text(text, "A note")
        if not text:
            raise StoreError("A note needs some text.")
        if session is not None and session.patient_id != patient.id:
            raise StoreError(f"Session {session.id} is not one of patient '{patient.pseudonym}'.")
        with self._tx() as conn:
            return inserted_id(conn.execute(insert(notes).values(
                patient_id=patient.id, session_id=session.id if session is not None else None, created=now_iso(),
                text=text, noted_on=noted_on)))

    def notes(self, patient: Patient) -> list[dict]:
        """The patient's clinician notes by clinical date, oldest first: dicts with id, session_id,
        created (when typed), text and day (the clinical date; a note kept before v8: the day it was typed)."""
        rows = self._rows(select(notes.c.id, notes.c.session_id, notes.c.created, notes.c.text, notes.c.noted_on)
                          .where(notes.c.patient_id == patient.id))
        for row in rows:
            row["day"] = row.pop("noted_on") or str(row["created"])[:10]
        return sorted(rows, key=lambda r: (r["day"], r["created"], r["id"]))

    def delete_note(self, patient: Patient, note_id: int) -> None:
        note_id = record_number(note_id, "a note", f"see `synkimeter patients {patient.pseudonym}`")
        with self._tx() as conn:
            deleted: CursorResult = conn.execute(delete(notes).where(notes.c.id == int(note_id),
                                                                     notes.c.patient_id == patient.id))
            if deleted.rowcount != 1:
                raise StoreError(f"Patient '{patient.pseudonym}' has no note {note_id}.")
            self._audit_row(conn, "delete", patient, f"note {int(note_id)}")

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
        detail, muscles, product = (free_text(x, f"A treatment's {what}", limit=DETAIL_MAX_CHARS, lines=False)
                                    for x, what in ((detail, "detail"), (muscles, "muscles"), (product, "product")))
        if units is not None:
            units = finite(units)
            if units is None or not 0 < units <= 1000:
                raise StoreError("The units of botulinum toxin are a number above 0 and at most 1000.")
            if kind != "botox":
                raise StoreError("Units are given for a botulinum toxin injection (kind botox) only.")
        with self._tx() as conn:
            return inserted_id(conn.execute(insert(treatment_events).values(
                patient_id=patient.id, date=day, kind=kind, side=side, detail=detail, units=units, muscles=muscles,
                product=product, created=now_iso())))

    def events(self, patient: Patient) -> list[dict]:
        """The patient's treatment events, oldest first: dicts with id, date, kind, side, detail, units,
        muscles, product, created."""
        t = treatment_events
        return self._rows(select(t.c.id, t.c.date, t.c.kind, t.c.side, t.c.detail, t.c.units, t.c.muscles,
                                 t.c.product, t.c.created).where(t.c.patient_id == patient.id)
                          .order_by(t.c.date, t.c.id))

    def delete_event(self, patient: Patient, event_id) -> None:
        self._delete_numbered(treatment_events, patient, event_id, "treatment event", "event")

    def _delete_numbered(self, table, patient: Patient, number, what: str, command: str) -> None:
        """Remove one of the patient's rows of `table` by its number, audited in the same transaction;
        StoreError (one sentence naming `synkimeter COMMAND list`) when the patient has no such row."""
        see = f"(see `synkimeter {command} list {patient.pseudonym}`)"
        article = "an" if what[0] in "aeiou" else "a"
        n = record_number(number, f"{article} {what}", see[1:-1])
        with self._tx() as conn:
            if conn.execute(delete(table).where(table.c.id == n, table.c.patient_id == patient.id)).rowcount != 1:
                raise StoreError(f"Patient '{patient.pseudonym}' has no {what} {n} {see}.")
            self._audit_row(conn, "delete", patient, f"{what} {n}")

    # -- the patient's Synkinesis Assessment Questionnaire (issue 27; synkimeter.core.questionnaire) ----
    def add_questionnaire(self, patient: Patient, day: str, items) -> SaqRecord:
        """Keep one day's nine SAQ answers (each 1-5); returns the record with its number and total. A
        day in the future is refused; a wrong count or value is refused before anything is written."""
        try:
            answers = check_saq(items)
        except SaqError as exc:
            raise StoreError(str(exc)) from exc
        day = check_day(day, "keep the answers once they have been given")
        with self._tx() as conn:
            number = inserted_id(conn.execute(insert(saq_answers).values(
                patient_id=patient.id, date=day, created=now_iso(), **dict(zip(SAQ_ITEM_COLUMNS, answers)))))
        return written(next((r for r in self.questionnaires(patient) if r.id == number), None))

    def questionnaires(self, patient: Patient) -> list[SaqRecord]:
        """The patient's SAQ answers, oldest first, each with its total (20-100)."""
        t = saq_answers
        rows = self._rows(select(t).where(t.c.patient_id == patient.id).order_by(t.c.date, t.c.id))
        out = []
        for row in rows:
            items = tuple(int(row[name]) for name in SAQ_ITEM_COLUMNS)
            out.append(SaqRecord(id=int(row["id"]), patient_id=int(row["patient_id"]), date=str(row["date"]),
                                 items=items, total=saq_total(items), created=str(row["created"])))
        return out

    def delete_questionnaire(self, patient: Patient, number) -> None:
        """Remove one of the patient's SAQ answers by its number (as `questionnaires` gives it); audited."""
        self._delete_numbered(saq_answers, patient, number, "questionnaire", "questionnaire")

    # -- the home programme the therapist sets (issue 31; adherence: synkimeter.usecases.programme) -----
    def set_programme(self, patient: Patient, kind: str, *, sets_per_day: int, repetitions: int,
                      goal: float | None = None, start: str | None = None, until: str | None = None) -> Programme:
        """Set the patient's programme of one practice kind from `start` (YYYY-MM-DD; default today) until
        `until` (included; None: until ended or replaced). It replaces the programme of that kind that
        runs then: that one ends the day before, and one that would not have begun by then is removed
        (audited). `goal` is in the kind's unit (mm for blink, % for pucker and smile). Everything is
        checked before anything is written; StoreError (one sentence) otherwise."""
        if kind not in PRACTICE_KINDS:
            raise StoreError(f"A home programme is one of {', '.join(PRACTICE_KINDS)}, not '{kind}'.")
        counts = []
        for value, words in ((sets_per_day, "sets a day"), (repetitions, "repetitions in a set")):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
                raise StoreError(f"The {words} must be a whole number from 1 to 1000, not '{value}'.")
            counts.append(value)
        unit = PRACTICE_UNITS[kind]
        if goal is not None:
            top = 20.0 if unit == "mm" else 100.0
            checked = finite(goal)
            if checked is None or not 0 < checked <= top:
                raise StoreError(f"A {kind} goal is a number above 0 and at most {top:g} {unit}, not '{goal}'.")
            goal = checked
        first = parse_day(start) if start is not None else date.today()
        last = parse_day(until) if until is not None else None
        if last is not None and last < first:
            raise StoreError(f"The programme cannot end ({last.isoformat()}) before it starts ({first.isoformat()}).")
        eve = (first - timedelta(days=1)).isoformat()
        with self._tx() as conn:
            for old in self._programmes(conn, patient, kind):
                if old.until_date is not None and old.until_date < first.isoformat():
                    continue  # over before the new one starts
                if old.start_date >= first.isoformat():
                    conn.execute(delete(programmes).where(programmes.c.id == old.id))
                    self._audit_row(conn, "delete", patient, f"home programme {old.id} ({kind}, from "
                                                             f"{old.start_date}), replaced before it began")
                else:
                    conn.execute(update(programmes).where(programmes.c.id == old.id).values(until_date=eve))
            number = inserted_id(conn.execute(insert(programmes).values(
                patient_id=patient.id, kind=kind, sets_per_day=counts[0], repetitions=counts[1], goal=goal, unit=unit,
                start_date=first.isoformat(), until_date=last.isoformat() if last is not None else None,
                created=now_iso())))
        return written(next((p for p in self.programmes(patient) if p.id == number), None))

    def _programmes(self, conn: Connection, patient: Patient, kind: str | None = None) -> list[Programme]:
        t = programmes
        query = select(t).where(t.c.patient_id == patient.id)
        if kind is not None:
            query = query.where(t.c.kind == kind)
        rows = conn.execute(query.order_by(t.c.start_date, t.c.id)).mappings()
        return [written(record(Programme, dict(row))) for row in rows]

    def programmes(self, patient: Patient, kind: str | None = None) -> list[Programme]:
        """The patient's home programmes (of one kind, if given), oldest first, ended ones too."""
        try:
            return self._programmes(self.conn, patient, kind)
        except SQLAlchemyError as exc:
            raise StoreError(self._message(exc)) from exc

    def end_programme(self, patient: Patient, kind: str, day: str | None = None) -> Programme:
        """End the patient's programme of `kind` that runs on `day` (default today): it runs that day
        last. StoreError (one sentence) when none runs then."""
        when = parse_day(day) if day is not None else date.today()
        running = [p for p in self.programmes(patient, kind) if p.active_on(when)]
        if not running:
            raise StoreError(f"Patient '{patient.pseudonym}' has no {kind} programme running on {when.isoformat()} "
                             f"(see `synkimeter programme list {patient.pseudonym}`).")
        with self._tx() as conn:
            conn.execute(update(programmes).where(programmes.c.id == running[-1].id)
                         .values(until_date=when.isoformat()))
        return written(next((p for p in self.programmes(patient) if p.id == running[-1].id), None))

    def delete_programme(self, patient: Patient, number) -> None:
        """Remove one of the patient's programmes by its number (as `programmes` gives it); audited."""
        self._delete_numbered(programmes, patient, number, "home programme", "programme")


def inserted_id(result: CursorResult) -> int:
    """The id of the row an INSERT just wrote."""
    key = result.inserted_primary_key
    return int(written(key[0] if key else None))


# --- writing results -------------------------------------------------------------------------------
def _write_scores(conn: Connection, session_id: int, scores: SessionScores) -> None:
    names = [f"{side}_{name}" for side in SIDES
             for name in ("narrowing_pct", "narrowing_ci_low_pct", "narrowing_ci_high_pct")]
    for clip_id, values in scores.narrowing.items():
        conn.execute(update(results).where(results.c.clip_id == clip_id).values(dict(zip(names, values))))
    score, low, high, side = scores.score
    conn.execute(update(sessions).where(sessions.c.id == session_id).values(
        ocular_score=score, ocular_ci_low=low, ocular_ci_high=high, ocular_affected_side=side))


def _insert_result(conn: Connection, clip_id: int, summary: dict, levels) -> None:
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
    conn.execute(insert(results).values(**cols))


__all__ = ["Store", "StoreError", "Patient", "Session", "Clip", "ImportResult", "SessionScores", "check_pseudonym",
           "check_side", "check_day", "parse_date", "data_dir", "TASKS", "ENV_DATA_DIR", "DB_NAME", "CLIP_STATUSES",
           "SCHEMA_VERSION", "process_alive", "Programme"]
