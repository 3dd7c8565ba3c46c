"""A patient's record read out of one store and written into another (issue 31: the patient's file a
home sends to the clinic; synkimeter.usecases.share packs, seals and checks it).

The record is plain data: the patient, then one list of rows per shared table (`SHARED_TABLES`, in
the order a parent comes before its children). Every row carries its `origin`, the id it keeps in
every store it travels to (schema v9): a row made here gets `<patient origin>/<table>/<id>` when
first shared, and the patient a random one, kept. Rows point at their parent by the parent's origin,
never by a store's row id. Taking a record in adds only the rows whose origin the store does not
hold yet, all in one transaction. A later table joins by one more `SharedTable` entry.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable

from sqlalchemy import Table, insert, select, update

from synkimeter.io.files import atomic_writer
from synkimeter.store.database import Store, inserted_id
from synkimeter.store.records import Clip, Patient, StoreError, check_pseudonym, now_iso, record, written
from synkimeter.store.schema import (
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

FILE_KINDS = ("video", "landmarks", "summary")
_PATH_COLUMNS = {kind: f"{kind}_path" for kind in FILE_KINDS}


@dataclass(frozen=True)
class SharedTable:
    """One table of the record: `parent` is the table its rows belong to ('patients', or another shared
    table), `parent_column` the column pointing at it; `optional_parent` names a second, nullable link
    (a note's session). `day_column` is what --since compares; None: the rows follow their parent.
    `local_columns` stay behind (which process recorded a session, where a file lies)."""

    name: str
    table: Table
    parent: str = "patients"
    parent_column: str = "patient_id"
    day_column: str | None = None
    optional_parent: tuple[str, str] | None = None
    local_columns: tuple[str, ...] = ()
    has_origin: bool = True


SHARED_TABLES: tuple[SharedTable, ...] = (
    SharedTable("sessions", sessions, day_column="started_at", local_columns=("host", "pid", "pid_start")),
    SharedTable("clips", clips, parent="sessions", parent_column="session_id",
                local_columns=tuple(_PATH_COLUMNS.values())),
    # One result per clip: it travels with its clip and needs no origin of its own.
    SharedTable("results", results, parent="clips", parent_column="clip_id", has_origin=False),
    SharedTable("practice_sets", practice_sets, day_column="started_at"),
    SharedTable("notes", notes, day_column="created", optional_parent=("sessions", "session_id")),
    SharedTable("treatment_events", treatment_events, day_column="date"),
    SharedTable("saq_answers", saq_answers, day_column="date"),
    # The therapist's home programme travels the other way: the clinic shares the record back.
    SharedTable("programmes", programmes, day_column="start_date"),
)
PATIENT_COLUMNS = ("pseudonym", "affected_side", "notes", "created")


@dataclass(frozen=True)
class SharedFile:
    """A clip file of the record: which clip (its origin), which kind, and `open()`: (a binary stream of
    its content, its size in bytes), read from the disk on SQLite, from the database on a server."""

    clip_origin: str
    kind: str
    suffix: str
    open: Callable[[], tuple[IO[bytes], int]]


@dataclass
class TakenIn:
    """What taking a record in did: the patient's code here, whether the patient is new, rows added per table."""

    pseudonym: str
    new_patient: bool
    added: dict[str, int] = field(default_factory=dict)


def patient_origin(store: Store, patient: Patient) -> str:
    """The patient's origin, given (and kept) the first time the record is shared."""
    origin = store._scalar(select(patients.c.origin).where(patients.c.id == patient.id))
    if origin:
        return str(origin)
    origin = uuid.uuid4().hex
    with store._tx() as conn:
        conn.execute(update(patients).where(patients.c.id == patient.id, patients.c.origin.is_(None))
                     .values(origin=origin))
    return str(store._scalar(select(patients.c.origin).where(patients.c.id == patient.id)))


def read_record(store: Store, patient: Patient, *, since: str | None = None,
                with_video: bool = True) -> tuple[dict[str, Any], list[SharedFile]]:
    """The patient's record as plain data (JSON-ready) and the clip files that go with it. Sessions
    still being recorded stay behind; `since` (YYYY-MM-DD) keeps what is dated that day or later."""
    home = patient_origin(store, patient)
    prow = store._rows(select(patients).where(patients.c.id == patient.id))[0]
    out: dict[str, Any] = {"patient": {**{c: prow[c] for c in PATIENT_COLUMNS}, "origin": home}, "tables": {}}
    origins: dict[str, dict[int, str]] = {"patients": {patient.id: home}}
    files: list[SharedFile] = []
    for spec in SHARED_TABLES:
        t = spec.table
        parent_ids = list(origins[spec.parent])
        query = select(t).where(t.c[spec.parent_column].in_(parent_ids))
        if spec.day_column is not None and since:
            query = query.where(t.c[spec.day_column] >= since)
        if spec.name == "sessions":
            query = query.where(t.c.status != "recording")
        rows = []
        mine: dict[int, str] = {}
        for row in store._rows(query.order_by(t.c.id)):
            values = {k: v for k, v in row.items()
                      if k not in ("id", "origin", spec.parent_column, *spec.local_columns)}
            values["parent"] = origins[spec.parent][row[spec.parent_column]]
            if spec.optional_parent is not None:
                other, column = spec.optional_parent
                values.pop(column, None)
                values["other_parent"] = origins.get(other, {}).get(row[column]) if row[column] is not None else None
            if spec.has_origin:
                values["origin"] = row["origin"] or f"{home}/{spec.name}/{row['id']}"
                mine[int(row["id"])] = values["origin"]
            if spec.name == "clips":
                values["files"] = []
                clip = written(record(Clip, row))
                for kind in FILE_KINDS:
                    path = getattr(clip, _PATH_COLUMNS[kind])
                    if not path or clip.status != "complete" or (kind == "video" and not with_video):
                        continue
                    values["files"].append(kind)
                    files.append(SharedFile(values["origin"], kind, Path(path).suffix,
                                            functools.partial(_open_clip_file, store, clip, kind)))
            rows.append(values)
        origins[spec.name] = mine
        out["tables"][spec.name] = rows
    return out, files


def _open_clip_file(store: Store, clip: Clip, kind: str) -> tuple[IO[bytes], int]:
    if not store.is_server:  # streamed from the disk: a long video is never held in memory
        path = store.folder / written(getattr(clip, _PATH_COLUMNS[kind]))
        if not path.is_file():
            raise StoreError(f"The {kind} file of clip {clip.id} ({clip.task}) is missing: {path}.")
        return open(path, "rb"), path.stat().st_size
    data = written(store.clip_bytes(clip, kind))
    return io.BytesIO(data), len(data)


def file_member(clip_origin: str, kind: str, suffix: str) -> str:
    """The name a clip file has inside the patient's file."""
    safe = "".join(ch if ch.isalnum() else "-" for ch in clip_origin)
    return f"files/{safe}.{kind}{suffix}"


def _origin_ids(conn, table: Table, wanted: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        part = wanted[start:start + 500]
        for row in conn.execute(select(table.c.origin, table.c.id).where(table.c.origin.in_(part))).mappings():
            found[str(row["origin"])] = int(row["id"])
    return found


def write_record(store: Store, data: dict[str, Any], file_path: Callable[[str, str], Path], *,
                 as_code: str | None = None, detail: str = "") -> TakenIn:
    """Take a record in, in one transaction: the patient (found by origin, else by code, else new),
    then every row whose origin the store does not hold yet, with its clip files. `file_path(clip
    origin, kind)` is where the (already checked) file lies. StoreError (one sentence) when the code
    belongs to another record and `as_code` does not say which; then nothing is written."""
    shared = data["patient"]
    code = check_pseudonym(as_code if as_code is not None else shared["pseudonym"])
    written_files: list[Path] = []
    try:
        with store._tx() as conn:
            by_origin = conn.execute(select(patients).where(patients.c.origin == shared["origin"])).mappings().first()
            by_code = conn.execute(select(patients).where(patients.c.pseudonym == code)).mappings().first()
            if by_origin is not None:
                if as_code is not None and by_origin["pseudonym"] != code:
                    raise StoreError(f"This patient's record was taken in before as '{by_origin['pseudonym']}'; "
                                     f"take the file in --as {by_origin['pseudonym']}.")
                target, new_patient = dict(by_origin), False
            elif by_code is not None:
                if as_code is None:
                    raise StoreError(f"A patient '{code}' already exists here and is another record; nothing was "
                                     "taken in: give --as CODE (that patient's code to join the two, or a new one).")
                target, new_patient = dict(by_code), False
                if by_code["origin"] is None:
                    conn.execute(update(patients).where(patients.c.id == by_code["id"])
                                 .values(origin=shared["origin"]))
            else:
                values = {c: shared.get(c) for c in PATIENT_COLUMNS}
                values.update(pseudonym=code, notes=values.get("notes") or "", origin=shared["origin"],
                              created=values.get("created") or now_iso())
                target = {"id": inserted_id(conn.execute(insert(patients).values(values))), "pseudonym": code}
                new_patient = True
            patient = Patient(id=int(target["id"]), pseudonym=str(target["pseudonym"]), affected_side=None, notes="",
                              created="")
            taken = TakenIn(patient.pseudonym, new_patient)
            ids: dict[str, dict[str, int]] = {"patients": {shared["origin"]: patient.id}}
            new: dict[str, set[str]] = {"patients": {shared["origin"]}}
            for spec in SHARED_TABLES:
                rows = data["tables"].get(spec.name, [])
                columns = {c.name for c in spec.table.c}
                held = (_origin_ids(conn, spec.table, [r["origin"] for r in rows]) if spec.has_origin else {})
                ids[spec.name], new[spec.name] = dict(held), set()
                added = 0
                for row in rows:
                    parent = ids[spec.parent].get(row["parent"])
                    if parent is None:
                        raise StoreError(f"The file's {spec.name.replace('_', ' ')} point at rows it does not hold "
                                         "and it is refused as damaged.")
                    if spec.has_origin and row["origin"] in held:
                        continue
                    if not spec.has_origin and row["parent"] not in new[spec.parent]:
                        continue  # its parent was already here, and this row with it
                    values = {k: v for k, v in row.items() if k in columns and k not in ("id", spec.parent_column)}
                    values[spec.parent_column] = parent
                    if spec.optional_parent is not None:
                        other, column = spec.optional_parent
                        values[column] = ids[other].get(row["other_parent"]) if row.get("other_parent") else None
                    new_id = inserted_id(conn.execute(insert(spec.table).values(values)))
                    added += 1
                    if spec.has_origin:
                        ids[spec.name][row["origin"]] = new_id
                        new[spec.name].add(row["origin"])
                    if spec.name == "clips":
                        _take_files(store, conn, patient.id, parent, new_id, row, file_path, written_files)
                taken.added[spec.name] = added
            store._audit_row(conn, "copy", patient, (detail or "taken in from a patient's file") + ": " + ", ".join(
                f"{n} {name.replace('_', ' ')}" for name, n in taken.added.items()))
    except BaseException:
        for path in written_files:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    return taken


def _take_files(store: Store, conn, patient_id: int, session_id: int, clip_id: int, row: dict,
                file_path: Callable[[str, str], Path], written_files: list[Path]) -> None:
    """A new clip's files: on SQLite beside the store (atomically, before the commit; removed again if
    it fails), on a clinic server into the database in the same transaction."""
    paths: dict[str, str] = {}
    stem = store.session_dir(patient_id, session_id) / f"{clip_id:04d}-{row['task']}"
    for kind in row.get("files", []):
        source = file_path(row["origin"], kind)
        target = stem.with_name(stem.name + source.suffix)
        rel = target.relative_to(store.folder).as_posix()
        if store.is_server:
            store._put_file(conn, clip_id, kind, rel, source.read_bytes())
        else:
            store.make_dirs(target.parent)
            with open(source, "rb") as fin, atomic_writer(target, "wb") as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)
            written_files.append(target)
            os.chmod(target, store.file_mode)
        paths[_PATH_COLUMNS[kind]] = rel
    if paths:
        conn.execute(update(clips).where(clips.c.id == clip_id).values(**paths))


def table_counts(store: Store) -> dict[str, int]:
    """Rows per table of the record (and clip files on a server): what tests and checks compare."""
    from sqlalchemy import func

    out = {}
    for table in (patients, *(s.table for s in SHARED_TABLES), clip_files):
        out[table.name] = int(store._scalar(select(func.count()).select_from(table)) or 0)
    return out


__all__ = ["SHARED_TABLES", "SharedFile", "SharedTable", "TakenIn", "file_member", "patient_origin", "read_record",
           "table_counts", "write_record"]
