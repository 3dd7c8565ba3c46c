"""The PostgreSQL fixtures are real: a server started by the test session (tests/postgres.py), reached
over its unix socket by the superuser and over TCP by a login role whose password only libpq's password
file holds, as a therapist's will (the tool never stores credentials)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")

from postgres import PostgresServer, _alive  # noqa: E402


def test_superuser_over_the_unix_socket(postgres_server):
    with psycopg.connect(postgres_server.admin_dsn()) as conn:
        version, superuser, address = conn.execute(
            "SELECT version(), current_setting('is_superuser'), inet_server_addr()").fetchone()
    assert version.startswith("PostgreSQL ")
    assert superuser == "on"
    assert address is None  # a unix socket, not TCP


def test_the_sqlalchemy_url_reaches_a_fresh_empty_database(postgres_db):
    import sqlalchemy as sa

    assert postgres_db.url.startswith(f"postgresql+psycopg://postgres@/{postgres_db.name}?host=/")
    engine = sa.create_engine(postgres_db.url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_database()")).scalar() == postgres_db.name
            assert sa.inspect(conn).get_table_names() == []
    finally:
        engine.dispose()


@pytest.fixture
def therapist(postgres_server, postgres_db, tmp_path, monkeypatch):
    """A login role with a password, which libpq's password file (mode 0600) holds for it."""
    postgres_server.create_login_role("therapist", "s3cret:with\\colon")
    with psycopg.connect(postgres_server.admin_dsn(postgres_db.name), autocommit=True) as conn:
        conn.execute(f'GRANT ALL ON DATABASE "{postgres_db.name}" TO therapist')
        conn.execute("GRANT ALL ON SCHEMA public TO therapist")
    passfile = tmp_path / "pgpass"
    # hostname:port:database:username:password, with ':' and '\' escaped by a backslash
    passfile.write_text(f"127.0.0.1:{postgres_server.port}:{postgres_db.name}:therapist:s3cret\\:with\\\\colon\n")
    passfile.chmod(0o600)  # libpq ignores a password file that others can read
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    yield postgres_server.tcp_url("therapist", postgres_db.name)
    with psycopg.connect(postgres_server.admin_dsn(postgres_db.name), autocommit=True) as conn:
        conn.execute("DROP OWNED BY therapist")  # its table and grants, so that the role can be dropped
        conn.execute("DROP ROLE therapist")


def test_a_login_role_over_tcp_with_the_password_file(therapist, postgres_server):
    assert therapist == f"postgresql://therapist@127.0.0.1:{postgres_server.port}/{therapist.rsplit('/', 1)[1]}"
    assert ":" not in therapist.split("//", 1)[1].split("@", 1)[0]  # no password in the URL
    with psycopg.connect(therapist) as conn:
        user, address = conn.execute("SELECT current_user, host(inet_server_addr())").fetchone()
        conn.execute("CREATE TABLE notes (body text)")
    assert (user, address) == ("therapist", "127.0.0.1")


def test_over_tcp_a_wrong_or_missing_password_is_refused(therapist, monkeypatch):
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(therapist, password="wrong")
    monkeypatch.setenv("PGPASSFILE", os.devnull)
    with pytest.raises(psycopg.OperationalError, match="no password supplied"):
        psycopg.connect(therapist)


def test_a_second_database_is_isolated(postgres_server, postgres_db):
    other = postgres_server.create_database(f"{postgres_db.name}_other")
    try:
        with psycopg.connect(postgres_server.admin_dsn(postgres_db.name)) as conn:
            conn.execute("CREATE TABLE patients (code text)")
            conn.execute("INSERT INTO patients VALUES ('P-1')")
        with psycopg.connect(postgres_server.admin_dsn(other.name)) as conn:
            assert conn.execute("SELECT to_regclass('patients')").fetchone() == (None,)
    finally:
        postgres_server.drop_database(other.name)
    with psycopg.connect(postgres_server.admin_dsn()) as conn:
        assert conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [other.name]).fetchone() == (0,)


def _processes_using(path: Path) -> list[str]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(path) in cmdline and _alive(int(proc.name)):
            found.append(f"{proc.name}: {cmdline}")
    return found


def test_stop_leaves_no_server_running(postgres_server):
    # A server of its own (the session's goes on); postgres_server brings the skip, or CI's failure.
    server = PostgresServer(postgres_server.bin_dir)
    server.start()
    pid, base = server.pid, server.base
    assert pid is not None and base is not None and _alive(pid)
    assert _processes_using(base)  # the postmaster's command line names its data directory
    server.stop()
    assert not _alive(pid)
    assert _processes_using(base) == []
    assert not base.exists()
    server.stop()  # a second stop (the atexit hook's) does nothing
