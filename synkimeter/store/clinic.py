"""A clinic's PostgreSQL store: setting it up (schema, roles, grants), therapists' logins, and moving a
single-user store into it.

Roles: `synkimeter_rw` may read and write patients' records, `synkimeter_ro` may only read them; both
may add to the audit table and read it, nobody but its owner may change or delete an audit row. Each
therapist logs in as their own role, a member of one of the two, so the audit table names them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from synkimeter.store.choices import READ_ONLY_ROLE, READ_WRITE_ROLE
from synkimeter.store.database import Store, inserted_id
from synkimeter.store.records import StoreError
from synkimeter.store.schema import (
    audit,
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

# The server's audited paths (migration v9), each owned by the schema's owner, SECURITY DEFINER.
AUDITED_FUNCTIONS = ("synkimeter_audit(text, integer, text, text, text), synkimeter_clip_file(integer, text, text), "
                     "synkimeter_clip_file_hashes(integer[])")
RECORD_TABLES = ("patients", "sessions", "clips", "results", "clip_files", "practice_sets", "notes", "treatment_events",
                 "saq_answers", "programmes")


def _quote(conn, name: str) -> str:
    """A role name as an SQL identifier (roles cannot be bound parameters)."""
    if not name or len(name) > 63 or any(ord(ch) < 32 for ch in name):
        raise StoreError(f"'{name}' is not a role name (1-63 printable characters).")
    return conn.dialect.identifier_preparer.quote_identifier(name)


def _server_store(store: Store, what: str) -> None:
    if not store.is_server:
        raise StoreError(f"{what} needs a clinic's PostgreSQL server: give its URL (postgresql://...).")


def _check_may_init(conn, store: Store, version: int, missing_roles: list[str]) -> None:
    """`clinic init` is the owner's: a role that does not own the store's tables would grant nothing
    (PostgreSQL only warns), and one that may not create roles cannot make the two group roles. Either
    is refused in one sentence saying what is there and what is missing, before any grant."""
    me, owner, may_create_roles = conn.exec_driver_sql(
        "SELECT current_user, (SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = "
        "'patients'), (SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user)").first()
    if owner is not None and not conn.exec_driver_sql("SELECT pg_has_role(current_user, %s, 'USAGE')",
                                                      (owner,)).scalar():
        raise StoreError(f"`clinic init` is run by the clinic store's owner ('{owner}'); '{me}' does not own its "
                         "tables, so its grants would do nothing: nothing was changed.")
    if missing_roles and not may_create_roles:
        raise StoreError(f"'{me}' may not create roles (permission denied to create role), so the role(s) "
                         f"{' and '.join(missing_roles)} are missing; the schema itself is at version {version} on "
                         f"{store.location}. Ask the server's administrator to give '{me}' CREATEROLE (or to create "
                         "those roles), then run `synkimeter clinic init` again.")


def init_clinic(store: Store, *, read_write_role: str = READ_WRITE_ROLE,
                read_only_role: str = READ_ONLY_ROLE) -> list[str]:
    """Create (or bring up to date: run it again after updating synkimeter) the schema, the two roles
    and their grants. `store` is opened by the database's owner (who may create roles). Returns what
    was done, one line each."""
    _server_store(store, "`clinic init`")
    version = store.schema_version
    done = [f"The schema is at version {version} on {store.location}."]
    with store._tx() as conn:
        rw, ro = _quote(conn, read_write_role), _quote(conn, read_only_role)
        _check_may_init(conn, store, version, [name for name in (read_write_role, read_only_role) if not
                                               conn.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %s",
                                                                    (name,)).first()])
        for name, quoted in ((read_write_role, rw), (read_only_role, ro)):
            exists = conn.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).first()
            if not exists:
                conn.exec_driver_sql(f"CREATE ROLE {quoted} NOLOGIN")
                done.append(f"Created the role {name}.")
        database = conn.exec_driver_sql("SELECT current_database()").scalar()
        db = _quote(conn, str(database))
        grants = [
            f"GRANT CONNECT ON DATABASE {db} TO {rw}, {ro}",
            f"GRANT USAGE ON SCHEMA public TO {rw}, {ro}",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {rw}, {ro}",
            f"GRANT INSERT, UPDATE, DELETE ON {', '.join(RECORD_TABLES)} TO {rw}",
            f"REVOKE INSERT, UPDATE, DELETE ON {', '.join(RECORD_TABLES)} FROM {ro}",
            # The audit table only grows, and only the server writes it (migration v9): nobody but its
            # owner inserts, changes or removes a row; the roles call synkimeter_audit, which names them.
            f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit FROM PUBLIC, {rw}, {ro}",
            f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {rw}",
            f"REVOKE USAGE ON SEQUENCE audit_id_seq FROM {rw}, {ro}",
            # A clip file's bytes only through synkimeter_clip_file, which audits reading a video.
            f"REVOKE SELECT ON clip_files FROM PUBLIC, {rw}, {ro}",
            f"GRANT SELECT (clip_id, kind, name, size, sha256) ON clip_files TO {rw}, {ro}",
            f"GRANT EXECUTE ON FUNCTION {AUDITED_FUNCTIONS} TO {rw}, {ro}",
        ]
        for statement in grants:
            conn.exec_driver_sql(statement)
    done.append(f"{read_write_role} may read and write patients' records, {read_only_role} may only read them; "
                "both add to the audit table, which nobody can change.")
    return done


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """PostgreSQL's SCRAM-SHA-256 verifier of a password (RFC 5802/7677): what the server keeps, so the
    password itself never travels to the server or lands in its logs."""
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def add_user(store: Store, name: str, *, read_only: bool = False, password: str | None = None,
             read_write_role: str = READ_WRITE_ROLE, read_only_role: str = READ_ONLY_ROLE) -> str:
    """A therapist's own login role, member of the read-write or the read-only role. The password (if
    given) is sent as its SCRAM verifier. Returns one line saying what was done."""
    _server_store(store, "`clinic add-user`")
    group = read_only_role if read_only else read_write_role
    with store._tx() as conn:
        quoted, quoted_group = _quote(conn, name), _quote(conn, group)
        if not conn.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (group,)).first():
            raise StoreError(f"The role {group} does not exist yet: run `synkimeter clinic init` first.")
        if conn.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).first():
            raise StoreError(f"A database role '{name}' already exists; choose another name.")
        conn.exec_driver_sql(f"CREATE ROLE {quoted} LOGIN IN ROLE {quoted_group}")
        if password:
            verifier = scram_verifier(password).replace("'", "''")
            conn.exec_driver_sql(f"ALTER ROLE {quoted} PASSWORD '{verifier}'")
    return f"'{name}' may now log in and {'read' if read_only else 'read and write'} patients' records."


# --- moving a single-user store into the clinic's -----------------------------------------------------
@dataclass
class CopyReport:
    counts: dict[str, int] = field(default_factory=dict)  # rows copied per table
    files: int = 0  # clip files copied, each checked by its checksum on the server
    lines: list[str] = field(default_factory=list)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def copy_store(source: Store, target: Store,
               progress: Callable[[int, int | None], None] | None = None) -> CopyReport:
    """Copy every patient of `source` (this computer's store) into `target` (the clinic's) in one
    transaction, then check: the rows of each table and each clip file's and result's checksum as the
    server holds them. A patient id the clinic store already has stops the copy before anything is
    written. `progress(patients_copied, patients)` is called after each patient."""
    _server_store(target, "`store copy`")
    if source.is_server:
        raise StoreError("`store copy` copies this computer's store into a clinic server, not the other way.")
    mine = source.patients()
    taken = {p.pseudonym for p in target.patients()} & {p.pseudonym for p in mine}
    if taken:
        raise StoreError(f"The clinic store already has patient(s) {', '.join(sorted(taken))}; nothing was copied "
                         "(rename them on one side first).")
    report = CopyReport()
    expected: dict[str, int] = {}
    checksums: dict[tuple[int, str], str] = {}  # (target clip id, kind) -> sha256 of the source bytes
    result_sums: dict[int, str] = {}  # target clip id -> sha256 of the source summary_json
    new_patient_ids: list[int] = []
    src = source.conn
    with target._tx() as conn:
        for patient in mine:
            prow = dict(src.execute(select(patients).where(patients.c.id == patient.id)).mappings().one())
            new_pid = inserted_id(conn.execute(patients.insert().values({k: v for k, v in prow.items() if k != "id"})))
            new_patient_ids.append(new_pid)
            session_ids: dict[int, int] = {}
            for srow in src.execute(select(sessions).where(sessions.c.patient_id == patient.id)
                                    .order_by(sessions.c.id)).mappings():
                values = {k: v for k, v in srow.items() if k != "id"}
                values.update(patient_id=new_pid, pid=None)
                if values["status"] == "recording":
                    values["status"] = "incomplete"
                session_ids[srow["id"]] = inserted_id(conn.execute(sessions.insert().values(values)))
            for old_sid, new_sid in session_ids.items():
                for crow in src.execute(select(clips).where(clips.c.session_id == old_sid)
                                        .order_by(clips.c.id)).mappings():
                    values = {k: v for k, v in crow.items() if k != "id"}
                    values["session_id"] = new_sid
                    new_cid = inserted_id(conn.execute(clips.insert().values(values)))
                    rrow = src.execute(select(results).where(results.c.clip_id == crow["id"])).mappings().first()
                    if rrow is not None:
                        conn.execute(results.insert().values({**{k: v for k, v in rrow.items() if k != "id"},
                                                              "clip_id": new_cid}))
                        result_sums[new_cid] = _sha(rrow["summary_json"].encode("utf-8"))
                    if crow["status"] != "complete":
                        continue
                    clip = source.clip(crow["id"])
                    assert clip is not None
                    for kind in ("video", "landmarks", "summary"):
                        data = source.clip_bytes(clip, kind)
                        if data is None:
                            continue
                        name = getattr(clip, f"{kind}_path")
                        target._put_file(conn, new_cid, kind, name, data)
                        checksums[(new_cid, kind)] = _sha(data)
            for table in (practice_sets, treatment_events, saq_answers, programmes):
                for row in src.execute(select(table).where(table.c.patient_id == patient.id)
                                       .order_by(table.c.id)).mappings():
                    conn.execute(table.insert().values({**{k: v for k, v in row.items() if k != "id"},
                                                        "patient_id": new_pid}))
            patient_notes = select(notes).where(notes.c.patient_id == patient.id).order_by(notes.c.id)
            for row in src.execute(patient_notes).mappings():
                values = {k: v for k, v in row.items() if k != "id"}
                values.update(patient_id=new_pid, session_id=session_ids.get(row["session_id"]))
                conn.execute(notes.insert().values(values))
            for row in src.execute(select(audit).where(audit.c.pseudonym == patient.pseudonym)
                                   .order_by(audit.c.id)).mappings():
                conn.execute(audit.insert().values({**{k: v for k, v in row.items() if k != "id"},
                                                    "patient_id": new_pid}))
            target._audit_row(conn, "copy", patient, f"copied in from {source.folder}")
            if progress is not None:
                progress(len(new_patient_ids), len(mine))
        # The check, inside the same transaction: a mismatch rolls the whole copy back.
        mine_ids = [p.id for p in mine]
        for table, key in ((patients, patients.c.id), (sessions, sessions.c.patient_id),
                           (practice_sets, practice_sets.c.patient_id), (notes, notes.c.patient_id),
                           (treatment_events, treatment_events.c.patient_id),
                           (saq_answers, saq_answers.c.patient_id), (programmes, programmes.c.patient_id)):
            expected[table.name] = int(src.execute(select(func.count()).select_from(table)
                                                   .where(key.in_(mine_ids))).scalar() or 0)
            report.counts[table.name] = int(conn.execute(select(func.count()).select_from(table)
                                                         .where(key.in_(new_patient_ids))).scalar() or 0)
        src_clip_ids = select(clips.c.id).join(sessions, sessions.c.id == clips.c.session_id).where(
            sessions.c.patient_id.in_(mine_ids))
        dst_clip_ids = select(clips.c.id).join(sessions, sessions.c.id == clips.c.session_id).where(
            sessions.c.patient_id.in_(new_patient_ids))
        expected["clips"] = int(src.execute(select(func.count()).select_from(src_clip_ids.subquery())).scalar() or 0)
        report.counts["clips"] = int(conn.execute(select(func.count()).select_from(dst_clip_ids.subquery())).scalar()
                                     or 0)
        expected["results"] = len(result_sums)
        stored_results = {r["clip_id"]: r["sha"] for r in conn.execute(
            select(results.c.clip_id, func.encode(func.sha256(func.convert_to(results.c.summary_json, "UTF8")),
                                                  "hex").label("sha")).where(results.c.clip_id.in_(dst_clip_ids))
        ).mappings()}
        report.counts["results"] = len(stored_results)
        stored_files = target.server_file_hashes([row[0] for row in conn.execute(dst_clip_ids).fetchall()])
        report.files = len(stored_files)
        wrong = [t for t in expected if expected[t] != report.counts.get(t)]
        if wrong or stored_results != result_sums or stored_files != checksums:
            detail = ", ".join(f"{t} {report.counts.get(t)} of {expected[t]}" for t in wrong) or "a checksum differs"
            raise StoreError(f"The copy did not arrive whole ({detail}); nothing was copied.")
    names = {"patients": "patient", "sessions": "session", "clips": "clip", "results": "result",
             "practice_sets": "practice set", "notes": "note", "treatment_events": "treatment event",
             "saq_answers": "questionnaire", "programmes": "home programme"}
    report.lines = [f"{report.counts[t]} {name}{'' if report.counts[t] == 1 else 's'}" for t, name in names.items()]
    return report


__all__ = ["READ_ONLY_ROLE", "READ_WRITE_ROLE", "CopyReport", "add_user", "copy_store", "init_clinic",
           "scram_verifier"]
