"""One plain sentence for each way the database can fail, whichever backend it is."""

from __future__ import annotations

import errno


def sqlite_message(exc: BaseException, where: str, busy_timeout_s: float) -> str:
    """`where`: the data folder."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return (f"The synkimeter database in '{where}' is in use by another program (another synkimeter "
                f"window or command?) and stayed locked for {busy_timeout_s:g} s; close it or try again.")
    if "disk is full" in text or "database or disk is full" in text:
        return f"The disk holding '{where}' is full: free some space, then try again (nothing was changed)."
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (f"The synkimeter database in '{where}' is damaged ({exc}); keep a copy of the folder "
                "and restore it from a backup.")
    if "readonly" in text or "read-only" in text:
        return f"The synkimeter database in '{where}' is read-only: synkimeter needs permission to write there."
    if "unable to open" in text:
        return f"The synkimeter database in '{where}' cannot be opened (check the folder exists and can be written)."
    return f"The synkimeter database in '{where}' reported an error: {exc}."


def server_message(exc: BaseException, where: str, role: str) -> str:
    """A PostgreSQL (psycopg) error: `where` names the server and database, `role` who connects."""
    state = getattr(exc, "sqlstate", None) or ""
    text = str(exc).strip()
    low = text.lower()
    first = text.splitlines()[0] if text else type(exc).__name__
    if "password authentication failed" in low or "no password supplied" in low or state == "28P01":
        return (f"The clinic's database server ({where}) refused the password of '{role}': check the line for it "
                "in your password file (~/.pgpass, or PGPASSFILE) or ask the clinic's administrator.")
    if state.startswith("28") or "authentication" in low or "pg_hba.conf" in low:
        return (f"The clinic's database server ({where}) does not let '{role}' in from this computer; "
                "ask the clinic's administrator.")
    if state == "3D000" or ("database" in low and "does not exist" in low):
        return (f"The clinic's database ({where}) does not exist yet: the clinic's administrator creates it "
                "and runs `synkimeter clinic init`.")
    if state == "42501" or "permission denied" in low:
        return (f"The database role '{role}' may only read this clinic store ({where}); nothing was changed. Ask "
                "the clinic's administrator for a read-write role.")
    if state == "53100" or "disk full" in low or "no space left" in low:
        return f"The clinic's database server ({where}) has run out of disk space; nothing was changed."
    if state in ("40001", "40P01", "55P03"):
        return f"The clinic's database ({where}) was busy with a colleague's change; nothing was changed, try again."
    if (state.startswith("08") or state in ("57P01", "57P02", "57P03") or "could not connect" in low
            or "connection refused" in low or "timeout expired" in low or "server closed the connection" in low
            or "could not translate host name" in low or "connection is closed" in low
            or "consuming input failed" in low or "connection failed" in low):
        return (f"The clinic's database server ({where}) cannot be reached: is it running, and is this computer "
                "on the clinic's network? Nothing was changed.")
    return f"The clinic's database server ({where}) reported an error: {first}."


def is_unreachable(message: str) -> bool:
    return "cannot be reached" in message


def os_message(exc: OSError, what: str) -> str:
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return (f"The disk is full: {what} could not be saved, and nothing of it was kept. "
                "Free some space and try again.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"No permission to write {what} ({exc.filename or 'the data folder'})."
    return f"{what[:1].upper()}{what[1:]} could not be saved ({exc.strerror or exc})."
