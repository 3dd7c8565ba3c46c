"""Which database the store speaks to, and the SQLAlchemy engine for it.

SQLite (the default): one file in the data folder, nothing to set up. PostgreSQL (a clinic's
server): chosen by `SYNKIMETER_DATABASE_URL`, or by `database_url` in the `[store]` section of
`synkimeter.ini` in the user's configuration folder, e.g.
`postgresql://therapist@clinic-db/synkimeter?sslmode=require`. A password is never taken from
there: libpq finds it in the user's password file (~/.pgpass, or the file PGPASSFILE names), so the
tool neither stores nor shows it.

Both engines hand out connections in autocommit mode: the store opens its write transactions
itself (`BEGIN IMMEDIATE` on SQLite, so a writer waits for the lock up front instead of failing
half-way; `BEGIN` on PostgreSQL) and every read stands alone.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path

from synkimeter.store.records import StoreError

ENV_DATA_DIR = "SYNKIMETER_DATA_DIR"
ENV_DATABASE_URL = "SYNKIMETER_DATABASE_URL"
ENV_CONFIG_DIR = "SYNKIMETER_CONFIG_DIR"
SETTINGS_FILE = "synkimeter.ini"
CONNECT_TIMEOUT_S = 5


def data_dir() -> Path:
    """The single-user store's folder: $SYNKIMETER_DATA_DIR if set, else the per-user data folder."""
    env = os.environ.get(ENV_DATA_DIR, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("synkimeter", appauthor=False))


def config_dir() -> Path:
    """The user's configuration folder ($SYNKIMETER_CONFIG_DIR overrides it, e.g. for tests)."""
    env = os.environ.get(ENV_CONFIG_DIR, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("synkimeter", appauthor=False))


def configured_url() -> str | None:
    """The clinic server's URL from the environment or the settings file; None: the local store."""
    url = os.environ.get(ENV_DATABASE_URL, "").strip()
    if url:
        return url
    path = config_dir() / SETTINGS_FILE
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"The settings file '{path}' cannot be read ({type(exc).__name__}).") from exc
    return parser.get("store", "database_url", fallback="").strip() or None


@dataclass(frozen=True)
class Server:
    """A PostgreSQL server and database as the store connects to it."""

    url: str  # the SQLAlchemy URL (postgresql+psycopg://...), never with a password
    host: str
    port: int | None
    database: str
    role: str  # who connects ('' until connected when the URL names none)

    @property
    def where(self) -> str:
        port = f":{self.port}" if self.port else ""
        host = self.host or "local socket"
        return f"{host}{port}/{self.database}"


def parse_server_url(url: str) -> Server:
    """A clinic server's URL checked and turned into the form SQLAlchemy's psycopg dialect takes."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"'{url}' is not a database URL (e.g. postgresql://therapist@clinic-db/synkimeter).") from exc
    backend = parsed.get_backend_name()
    if backend not in ("postgresql", "postgres"):
        raise StoreError(f"The database URL must start with postgresql:// (it says {parsed.drivername}://); "
                         "without one synkimeter keeps its store on this computer.")
    if parsed.password:
        raise StoreError("Keep the password out of the database URL: put it in libpq's password file (~/.pgpass, "
                         "readable by you alone) and give the URL without it.")
    if not parsed.database:
        raise StoreError(f"The database URL '{url}' names no database (e.g. postgresql://therapist@clinic-db/synkimeter).")
    parsed = parsed.set(drivername="postgresql+psycopg")
    query = dict(parsed.query)
    host = parsed.host or str(query.get("host") or "")
    return Server(url=parsed.render_as_string(hide_password=False), host=host, port=parsed.port,
                  database=str(parsed.database), role=parsed.username or os.environ.get("PGUSER", ""))


def sqlite_engine(db_path: Path, busy_timeout_s: float, read_only: bool = False):
    """The engine of the SQLite database; `read_only` opens it so that SQLite writes nothing at all,
    not even its -wal and -shm files (a store whose folder or file the user made read-only)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    # NullPool: the store holds its one connection for as long as it is open, and a closed store
    # must leave no connection behind that keeps the -wal file.
    if read_only:
        import sqlite3
        from urllib.parse import quote

        uri = f"file:{quote(str(Path(db_path).resolve()))}?mode=ro&immutable=1"
        return create_engine("sqlite://", poolclass=NullPool, isolation_level="AUTOCOMMIT",
                             creator=lambda: sqlite3.connect(uri, uri=True, timeout=busy_timeout_s,
                                                             check_same_thread=False))
    return create_engine(f"sqlite:///{db_path}", poolclass=NullPool, isolation_level="AUTOCOMMIT",
                         connect_args={"timeout": busy_timeout_s})


def server_engine(server: Server):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(server.url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                         connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "synkimeter"})
