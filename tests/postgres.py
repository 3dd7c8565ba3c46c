"""A throwaway PostgreSQL server for the tests: a real server (no mocks) in a temporary directory,
started with Debian's (or PATH's) server binaries and removed again when the tests are done.

The server listens on 127.0.0.1 (a free port) and on a unix socket in its temporary directory.
Over the socket the superuser `postgres` gets in without a password (trust); over TCP every role
needs its password (scram-sha-256), as a clinic's server would ask a therapist for it.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; as root the server runs as Debian's `postgres` system user.
SYSTEM_USER = "postgres"
START_TIMEOUT = 30  # seconds pg_ctl waits for the server to accept connections


def find_bin_dir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres together: PATH first, else the highest
    /usr/lib/postgresql/N/bin (Debian keeps the server binaries off PATH)."""
    candidates = [Path(found).resolve().parent for found in filter(None, [shutil.which("initdb")])]
    debian = Path("/usr/lib/postgresql")
    versions = [d for d in debian.glob("*") if d.name.isdigit()] if debian.is_dir() else []
    candidates += [d / "bin" for d in sorted(versions, key=lambda d: int(d.name), reverse=True)]
    for bin_dir in candidates:
        if all(os.access(bin_dir / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return bin_dir
    return None


class PostgresDatabase(NamedTuple):
    name: str
    # postgresql+psycopg://postgres@/NAME?host=SOCKETDIR&port=PORT: the superuser over the unix socket
    url: str


def _free_port() -> int:
    # The port is free when asked; start() retries if another process takes it before the server does.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alive(pid: int) -> bool:
    # A zombie counts as gone: in a container PID 1 may never reap the orphaned postmaster.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


class PostgresServer:
    def __init__(self, bin_dir: Path | None = None) -> None:
        found = bin_dir or find_bin_dir()
        if found is None:
            raise FileNotFoundError("no PostgreSQL server binaries (initdb, pg_ctl, postgres) found")
        self.bin_dir = found
        self.base: Path | None = None  # the temporary directory: data/, server.log and the socket
        self.port = 0
        self.pid: int | None = None  # the postmaster's
        # subprocess's own user=/group= switch: setgroups/setgid/setuid happen in the child between
        # fork and exec (no preexec_fn, which is unsafe with threads; no dependence on runuser's PAM
        # set-up or on setpriv being installed).
        self._as: dict[str, object] = {}
        if os.geteuid() == 0:
            self._as = {"user": SYSTEM_USER, "group": pwd.getpwnam(SYSTEM_USER).pw_gid, "extra_groups": []}

    @property
    def socket_dir(self) -> str:
        assert self.base is not None, "the server is not started"
        return str(self.base)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        # cwd in the temporary directory: the system user may not be allowed into the caller's.
        return subprocess.run([str(self.bin_dir / args[0]), *args[1:]], cwd=self.base, capture_output=True,
                              text=True, timeout=timeout, check=True, env={**os.environ, "LC_ALL": "C"},
                              **self._as)  # type: ignore[call-overload]

    def start(self, base_dir: Path | None = None) -> None:
        """initdb into a fresh directory and start the server. base_dir (default: the system's temp
        directory) must be traversable by the system user when running as root, which pytest's
        /tmp/pytest-of-root (mode 0700) is not; a short path also keeps the socket's path under
        the 107 bytes a unix socket allows."""
        self.base = Path(tempfile.mkdtemp(prefix="synkimeter-pg-", dir=base_dir))
        atexit.register(self.stop)  # whatever happens to the tests, no server outlives them
        if self._as:
            os.chown(self.base, pwd.getpwnam(SYSTEM_USER).pw_uid, pwd.getpwnam(SYSTEM_USER).pw_gid)
        data = str(self.base / "data")
        for locale in ("C.UTF-8", "C"):  # C.UTF-8 classifies non-ASCII letters; C exists everywhere
            try:
                self._run("initdb", "-D", data, "-U", SUPERUSER, "--auth-local=trust", "--auth-host=scram-sha-256",
                          "-E", "UTF8", f"--locale={locale}", "--no-sync")
                break
            except subprocess.CalledProcessError as error:
                if locale == "C":
                    raise RuntimeError(f"initdb failed:\n{error.stdout}\n{error.stderr}") from error
                shutil.rmtree(data, ignore_errors=True)
        with open(self.base / "data" / "postgresql.conf", "a") as conf:
            conf.write(
                "\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.base}'\n"
                # The tests simulate a killed client, not a power cut: the disk flushes buy nothing here
                # and cost seconds.
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        for attempt in range(3):
            self.port = _free_port()
            try:
                self._run("pg_ctl", "start", "-w", "-t", str(START_TIMEOUT), "-D", data, "-l",
                          str(self.base / "server.log"), "-o", f"-p {self.port}", timeout=START_TIMEOUT + 10)
                break
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
                log = (self.base / "server.log").read_text(errors="replace")
                self._read_pid()
                if "already in use" in log and attempt < 2:
                    continue
                self.stop()
                raise RuntimeError(f"the PostgreSQL server did not start:\n{log[-3000:]}") from error
        self._read_pid()

    def _read_pid(self) -> None:
        pid_file = self.base / "data" / "postmaster.pid" if self.base else None
        if pid_file is not None and pid_file.exists():
            self.pid = int(pid_file.read_text().split("\n", 1)[0])

    def stop(self) -> None:
        """A fast shutdown (clients disconnected, no waiting for them); if that hangs, the postmaster
        is killed. The temporary directory goes with it. Safe to call twice."""
        if self.base is None:
            return
        try:
            if self.pid is not None and _alive(self.pid):
                self._run("pg_ctl", "stop", "-D", str(self.base / "data"), "-m", "fast", "-w", "-t", "20", timeout=30)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass  # killed below
        finally:
            if self.pid is not None:
                # SIGQUIT is PostgreSQL's immediate shutdown (the postmaster takes its children along);
                # SIGKILL when even that does not end it.
                for sig, wait in ((signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
                    deadline = time.monotonic() + wait
                    if _alive(self.pid):
                        os.kill(self.pid, sig)
                    while _alive(self.pid) and time.monotonic() < deadline:
                        time.sleep(0.05)
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None
            atexit.unregister(self.stop)

    def admin_dsn(self, dbname: str = "postgres") -> str:
        """libpq connection string for the superuser over the unix socket (trust: no password)."""
        return make_conninfo(host=self.socket_dir, port=self.port, user=SUPERUSER, dbname=dbname)

    def tcp_url(self, role: str, dbname: str) -> str:
        """A role's URL over TCP, with no password in it: libpq finds it in the password file."""
        return f"postgresql://{role}@127.0.0.1:{self.port}/{dbname}"

    def sqlalchemy_url(self, dbname: str) -> str:
        """SQLAlchemy's URL for the superuser over the unix socket: psycopg takes host and port from the
        query (an absolute host path means a socket directory)."""
        return f"postgresql+psycopg://{SUPERUSER}@/{quote(dbname)}?host={quote(self.socket_dir)}&port={self.port}"

    def _admin(self, statement: sql.Composed) -> None:
        # autocommit: CREATE/DROP DATABASE cannot run inside a transaction
        with psycopg.connect(self.admin_dsn(), autocommit=True) as conn:
            conn.execute(statement)

    def create_database(self, name: str) -> PostgresDatabase:
        self._admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return PostgresDatabase(name, self.sqlalchemy_url(name))

    def drop_database(self, name: str) -> None:
        # FORCE: a test that left a connection open (an engine not disposed) must not keep its database
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def create_login_role(self, name: str, password: str) -> None:
        # DDL takes no server-side parameters: the password is quoted client-side as a literal.
        self._admin(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), sql.Literal(password)))
