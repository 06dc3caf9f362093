"""Database plumbing shared by the engine's store and plugins that keep tables.

Part of the public plugin surface: a plugin that stores data in the state database
(the ``directory`` target, the ``manual`` source) opens it with ``open_database`` and
runs its own Alembic migrations with ``migrate``, under its own version table.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sync.errors import ConfigError, RetriableError, StateDatabaseError

if TYPE_CHECKING:  # imported when a database is first opened: commands start fast
    import sqlalchemy as sa
    from alembic.config import Config as AlembicConfig
    from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def database_url(url: str, directory: Path) -> str:
    """The URL with a relative SQLite path made relative to ``directory`` (the config
    file's folder), so it means the same file wherever rostersync is started from."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////"):
        rest = url[len(prefix) :]
        if rest and rest != ":memory:" and not rest.startswith(":"):
            return prefix + str((directory / rest).resolve())
    return url


def redact_url(url: str) -> str:
    """The URL with any password replaced, safe to print."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable database URL>"


#: How long SQLite waits for a lock before "database is locked"; ``?timeout=SECONDS``
#: in a SQLite URL sets another.
SQLITE_TIMEOUT = 30.0

#: PostgreSQL errors that pass: serialization failure, deadlock, a lock not available,
#: the server shutting down or restarting (class 08, connection lost, is matched too).
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57P01", "57P02", "57P03"})


def _sqlite_pragmas(timeout: float, dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    _turn_on_wal(cursor, timeout)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _turn_on_wal(cursor: Any, timeout: float) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another connection holds the file: SQLite
    refuses that switch at once ('database is locked') instead of waiting on the busy
    timeout, which two processes opening a new database together hit."""
    import sqlite3

    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


# pysqlite's own transaction handling begins a transaction only before INSERT, UPDATE and
# DELETE, so DDL commits statement by statement and a migration killed halfway leaves half
# a schema. SQLAlchemy's recipe (its pysqlite docs, "Serializable isolation / Savepoints /
# Transactional DDL"): turn that handling off and emit BEGIN ourselves. Only a migration's
# connection does so (``_transactional_ddl``), with BEGIN IMMEDIATE: SQLite's write lock
# first, so a second process starting at once waits, then finds the schema migrated.
_BEGIN = "rostersync_sqlite_begin"


def _sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get(_BEGIN)
    if mode is not None:
        connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def _transactional_ddl(connection: Connection) -> Iterator[Connection]:
    """``connection`` with every statement of its next transaction in one SQLite transaction."""
    dbapi = connection.connection.dbapi_connection
    before = dbapi.isolation_level  # type: ignore[union-attr]
    dbapi.isolation_level = None  # type: ignore[union-attr]
    try:
        yield connection.execution_options(**{_BEGIN: "IMMEDIATE"})
    finally:
        dbapi.isolation_level = before  # type: ignore[union-attr]


def is_transient(exc: BaseException) -> bool:
    """Whether a database error passes: SQLite busy or locked, a PostgreSQL
    serialization failure or deadlock, a connection lost, a pool exhausted."""
    import sqlalchemy as sa

    if isinstance(exc, sa.exc.TimeoutError):
        return True
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if sqlstate in _TRANSIENT_SQLSTATES or sqlstate.startswith("08"):
        return True
    name = getattr(exc.orig, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


@contextmanager
def retriable_database_errors(what: str) -> Iterator[None]:
    """Turn a database's transient errors (``is_transient``) into ``RetriableError``,
    so that the engine retries them; every other error passes through unchanged.
    Also a decorator: ``@retriable_database_errors("the directory")``."""
    import sqlalchemy as sa

    try:
        yield
    except (sa.exc.DBAPIError, sa.exc.TimeoutError) as exc:
        if not is_transient(exc):
            raise
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise RetriableError(f"{what}: {detail[0] if detail else type(exc).__name__}") from exc


def open_database(url: str) -> Engine:
    """One engine per URL per process; SQLite gets WAL and a busy timeout."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    with _engines_lock:
        engine = _engines.get(url)
        if engine is not None:
            return engine
        try:
            parsed = make_url(url)
        except Exception:
            raise ConfigError(f"[state] url: not a database URL: {redact_url(url)}") from None
        kwargs: dict[str, Any] = {}
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database or ""
            if not database:
                raise ConfigError(
                    f"[state] url: {url!r} names no database file (an unset variable?); "
                    "write the file, e.g. sqlite:///rostersync.db (a database in memory "
                    "would forget every run: write sqlite:///:memory: if that is meant)"
                )
            if database != ":memory:":
                try:
                    Path(database).parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise ConfigError(
                        f"[state] url: cannot create the folder of {database}: {exc.strerror}"
                    ) from None
            timeout = _sqlite_timeout(parsed.query.get("timeout"), url)
            kwargs["connect_args"] = {"timeout": timeout}
        else:
            kwargs["pool_pre_ping"] = True
        try:
            engine = sa.create_engine(url, **kwargs)
        except Exception as exc:  # unknown dialect, missing driver
            raise ConfigError(
                f"[state] url: cannot use {redact_url(url)}: {type(exc).__name__}"
            ) from None
        if parsed.get_backend_name() == "sqlite":
            sa.event.listen(engine, "connect", partial(_sqlite_pragmas, timeout))
            sa.event.listen(engine, "begin", _sqlite_begin)
        _engines[url] = engine
        return engine


def _sqlite_timeout(value: str | tuple[str, ...] | None, url: str) -> float:
    if value is None:
        return SQLITE_TIMEOUT
    try:
        return float(value if isinstance(value, str) else value[-1])
    except ValueError:
        raise ConfigError(f"[state] url: timeout is not a number: {redact_url(url)}") from None


def dispose_all() -> None:
    """Close every pooled connection (tests, and a daemon reloading its config)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def migrate(
    engine: Engine, script_location: Path, version_table: str, revision: str = "head"
) -> None:
    """Bring the tables under ``script_location`` to ``revision`` (the newest by default;
    tests name an older one to build a database as an earlier release left it).

    All of it is one transaction, on SQLite as on PostgreSQL: a migration killed at any
    statement leaves the database as it was, and the next start migrates again. It takes
    a lock first (a transaction-scoped advisory lock on PostgreSQL, SQLite's write lock
    on SQLite), so two processes that start together never migrate at once.
    """
    import sqlalchemy as sa

    try:
        if revision == "head" and _at_head_cheaply(engine, script_location, version_table):
            return  # the usual start: no lock taken, and Alembic not even imported
    except sa.exc.DBAPIError as exc:
        problem = database_problem(exc, engine.url.render_as_string(hide_password=True))
        if problem is None:
            raise
        raise problem from None

    from alembic import command
    from alembic.config import Config as AlembicConfig
    from alembic.util import CommandError

    config = AlembicConfig()
    config.set_main_option("script_location", str(script_location))
    config.attributes["version_table"] = version_table
    try:
        if revision == "head" and _at_head(engine, config, version_table):
            return  # the usual start: no lock taken, so a busy database still opens
        with engine.connect() as plain, ExitStack() as stack:
            connection = plain
            if engine.dialect.name == "sqlite":
                connection = stack.enter_context(_transactional_ddl(plain))
            with connection.begin():
                if is_postgresql(engine):
                    connection.execute(
                        sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                        {"key": f"rostersync-migrate-{version_table}"},
                    )
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
    except CommandError as exc:
        if "Can't locate revision" in str(exc) or "No such revision" in str(exc):
            raise StateDatabaseError(
                f"the state database was made by a newer rostersync: its {version_table} "
                f"schema revision is unknown to this version ({exc}); upgrade rostersync "
                "(pip install --upgrade rostersync), or point [state] url at another database"
            ) from None
        raise
    except sa.exc.DBAPIError as exc:
        problem = database_problem(exc, engine.url.render_as_string(hide_password=True))
        if problem is None:
            raise
        raise problem from None


#: The head revisions of each migrations folder, read once per process (``_heads``).
_known_heads: dict[Path, frozenset[str] | None] = {}


def _heads(script_location: Path) -> frozenset[str] | None:
    """The head revisions of the migration scripts in ``script_location/versions``, read
    from each script's ``revision`` and ``down_revision`` lines without importing Alembic
    (whose script machinery costs a start a tenth of a second); None if a script does not
    state them plainly, and Alembic then finds the heads itself."""
    if script_location not in _known_heads:
        _known_heads[script_location] = _read_heads(script_location / "versions")
    return _known_heads[script_location]


def _read_heads(versions: Path) -> frozenset[str] | None:
    revisions: set[str] = set()
    replaced: set[str] = set()
    for script in sorted(versions.glob("*.py")):
        if script.name.startswith("_"):
            continue
        try:
            values = _assignments(script, ("revision", "down_revision"))
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
            return None
        revision, down = values.get("revision"), values.get("down_revision")
        downs = (down,) if isinstance(down, str) else () if down is None else down
        if not isinstance(revision, str) or not isinstance(downs, tuple | list):
            return None
        revisions.add(revision)
        replaced.update(downs)
    return frozenset(revisions - replaced) or None


def _assignments(script: Path, names: tuple[str, ...]) -> dict[str, Any]:
    """The literal values a script's top level assigns to ``names`` (``x = 1``, ``x: T = 1``)."""
    import ast

    values: dict[str, Any] = {}
    for node in ast.parse(script.read_text(encoding="utf-8"), filename=str(script)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in names:
            values[target.id] = ast.literal_eval(value)
    return values


def _at_head_cheaply(engine: Engine, script_location: Path, version_table: str) -> bool:
    """Whether the tables are at the newest revision, read with one SELECT and no Alembic;
    False when unsure (no version table yet, scripts not understood): Alembic decides."""
    import sqlalchemy as sa

    heads = _heads(script_location)
    if heads is None:
        return False
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(version_table):
            return False
        table = sa.table(version_table, sa.column("version_num"))
        current = set(connection.execute(sa.select(table.c.version_num)).scalars())
    return current == heads


def _at_head(engine: Engine, config: AlembicConfig, version_table: str) -> bool:
    """Whether the tables are at the newest revision already (read without a lock)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(config).get_heads())
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": version_table})
        return set(context.get_current_heads()) == heads


def database_problem(exc: sa.exc.DBAPIError, where: str) -> StateDatabaseError | None:
    """One clear error for a damaged or full state database; None for any other fault."""
    reason = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc) else ""
    lowered = reason.lower()
    if "file is not a database" in lowered or "malformed" in lowered:
        return StateDatabaseError(
            f"the state database {where} is damaged ({reason}): the file is damaged, restore "
            "it from backup (see docs/operations.md)"
        )
    if "disk is full" in lowered or "no space left" in lowered:
        return StateDatabaseError(
            f"no space left on the disk of the state database {where} ({reason}); free some "
            "space and run again: nothing was lost"
        )
    return None


def run_migrations_online(config: AlembicConfig) -> None:
    """The body of every ``env.py``: migrate on the connection ``migrate`` handed over."""
    from alembic import context

    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        version_table=config.attributes["version_table"],
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
