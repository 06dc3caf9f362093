"""The state database: opened and migrated once, its tables, and a transaction helper."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.errors import ConfigError
from sync.redact import redact
from sync.storage import migrate, open_database, redact_url
from sync.tables import control_t, issue_t, run_t, state_t

MIGRATIONS = Path(__file__).parent.parent / "migrations"
VERSION_TABLE = "rs_alembic_version"

__all__ = ["MIGRATIONS", "VERSION_TABLE", "Database", "control_t", "issue_t", "run_t", "state_t"]


class Database:
    """The state database, migrated on opening; each part of the store builds on it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = open_database(url)
        try:
            migrate(self.engine, MIGRATIONS, VERSION_TABLE)
        except (OSError, sa.exc.SQLAlchemyError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise ConfigError(
                f"[state] url: cannot open the state database {redact_url(url)}: {redact(reason)}"
            ) from None

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    def _ensure_control(self, c: Connection, sync: str) -> None:
        """The sync's control row (pause and run lock), created if missing."""
        exists = c.execute(sa.select(control_t.c.sync).where(control_t.c.sync == sync)).first()
        if exists is None:
            try:
                with c.begin_nested():
                    c.execute(sa.insert(control_t).values(sync=sync))
            except sa.exc.IntegrityError:
                pass  # another process inserted it first
