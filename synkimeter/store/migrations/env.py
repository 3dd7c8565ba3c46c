"""Alembic's entry point for the store's migrations.

The store runs them itself on the connection it opened (`synkimeter.store.migrate`, which passes it
in `config.attributes["connection"]`); a developer can also run the `alembic` command with
`-x url=sqlite:////path/to/synkimeter.sqlite3` (or a PostgreSQL URL) to try one.
"""

from alembic import context
from sqlalchemy import create_engine

config = context.config


def _run(connection) -> None:
    context.configure(connection=connection, transactional_ddl=True, transaction_per_migration=False,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # the alembic command line
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("give the database: alembic -x url=sqlite:////path/to/synkimeter.sqlite3 upgrade head")
    with create_engine(url).connect() as conn:
        _run(conn)
        conn.commit()
