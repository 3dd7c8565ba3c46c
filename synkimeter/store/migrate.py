"""Bringing a database's schema up to this synkimeter's, with Alembic.

The migrations live in `store/migrations/versions` (revisions v1, v2, ...). A SQLite store from
before Alembic kept its version in PRAGMA user_version: it is stamped at that revision and taken
forward from there. The whole upgrade runs in one transaction of the caller's, under the database's
write lock (SQLite) or an advisory lock (PostgreSQL), so two programs opening an old store at once
migrate it once, and a crash half-way leaves it as it was.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection

from synkimeter.store.choices import SCHEMA_REVISION, SCHEMA_VERSION

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any constant both sides agree on: the key of the advisory lock that serialises migrations.
PG_MIGRATION_LOCK = 0x53594E4B
# Alembic keeps the running migration in module globals (`op`, `context`): two threads of one program
# migrating at once (the window's first look at the store beside a page saving on its own thread, each
# opening a new store) would each run the other's operations on the other's connection. One at a time.
_ALEMBIC_LOCK = threading.Lock()


def revision_number(revision: str | None) -> int:
    """v7 -> 7; None (no schema yet) -> 0; a revision this synkimeter does not know -> a large number."""
    if revision is None:
        return 0
    try:
        return int(str(revision).lstrip("v"))
    except ValueError:
        return 10**6


def _has_version_table(conn: Connection) -> bool:
    if conn.dialect.name == "sqlite":
        return conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").first() is not None
    return conn.exec_driver_sql("SELECT to_regclass('alembic_version')").scalar() is not None


def legacy_version(conn: Connection) -> int:
    """A SQLite store's PRAGMA user_version (its version before Alembic; kept in step since)."""
    return int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)


def current_revision(conn: Connection) -> str | None:
    """The schema's revision without loading Alembic (cheap: every open asks)."""
    if _has_version_table(conn):
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    legacy = legacy_version(conn) if conn.dialect.name == "sqlite" else 0
    return f"v{legacy}" if legacy else None


def upgrade(conn: Connection) -> None:
    """Run the pending migrations on `conn`, which is inside the caller's write transaction."""
    from alembic import command
    from alembic.config import Config

    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    with _ALEMBIC_LOCK:
        if conn.dialect.name == "sqlite" and not _has_version_table(conn) and legacy_version(conn):
            command.stamp(cfg, f"v{legacy_version(conn)}")
        command.upgrade(cfg, "head")
    if conn.dialect.name == "sqlite":
        # Kept in step for synkimeter releases from before Alembic: they refuse a store newer than theirs.
        conn.exec_driver_sql(f"PRAGMA user_version = {int(SCHEMA_VERSION)}")


def head_revision() -> str:
    """The newest revision in the migrations folder (the tests check it is SCHEMA_REVISION)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    return str(head)


__all__ = ["SCHEMA_REVISION", "current_revision", "head_revision", "revision_number", "upgrade"]
