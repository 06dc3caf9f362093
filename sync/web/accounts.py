"""The console's accounts (argon2 password hashes), its session key, and its audit record.

Kept in the state database under their own Alembic version table (``web_alembic_version``),
so they never clash with the engine's migrations or a plugin's.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from sync.errors import RostersyncError
from sync.storage import migrate, open_database
from sync.store import as_utc, utcnow

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "web_alembic_version"
NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
MIN_PASSWORD = 10

metadata = sa.MetaData()
account_t = sa.Table(
    "web_account",
    metadata,
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("role", sa.String(), nullable=False),
    sa.Column("password_hash", sa.String(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
)
secret_t = sa.Table(
    "web_secret",
    metadata,
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("value", sa.String(), nullable=False),
)
audit_t = sa.Table(
    "web_audit",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("user", sa.String(), nullable=False),
    sa.Column("action", sa.String(), nullable=False),
    sa.Column("sync", sa.String(), nullable=False),
    sa.Column("run_id", sa.Integer(), nullable=True),
    sa.Column("detail", sa.String(), nullable=False),
)


class WebRole(StrEnum):
    """What an account may do: read, run and pause, or also decide held runs and accounts."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    def allows(self, needed: WebRole) -> bool:
        order = [WebRole.VIEWER, WebRole.OPERATOR, WebRole.ADMIN]
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class Account:
    name: str
    role: WebRole
    created_at: datetime | None
    last_login_at: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    at: datetime | None
    user: str
    action: str
    sync: str
    run_id: int | None
    detail: str


@dataclass(frozen=True)
class AuditQuery:
    """Which entries of the record to show: '' matches any."""

    user: str = ""
    action: str = ""
    sync: str = ""
    text: str = ""


class AccountError(RostersyncError):
    """A bad account name, role or password."""


_hasher = PasswordHasher()
# Verifying against this when the account does not exist takes as long as a real check.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")


class Accounts:
    """Accounts, the session key and the audit record in the state database."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = open_database(url)
        migrate(self.engine, MIGRATIONS, VERSION_TABLE)

    # -- accounts -------------------------------------------------------------
    def add(self, name: str, role: WebRole | str, password: str) -> Account:
        if not NAME.match(name):
            raise AccountError(
                f"{name!r} is not an account name: use 1 to 64 letters, digits, . _ @ -"
            )
        role = _role(role)
        check_new_password(password)
        with self.engine.begin() as c:
            if c.execute(sa.select(account_t.c.name).where(account_t.c.name == name)).first():
                raise AccountError(f"there is already an account {name!r}")
            c.execute(
                sa.insert(account_t).values(
                    name=name,
                    role=role.value,
                    password_hash=_hasher.hash(password),
                    created_at=utcnow(),
                )
            )
        return Account(name, role, utcnow(), None)

    def set_role(self, name: str, role: WebRole | str) -> None:
        with self.engine.begin() as c:
            changed = c.execute(
                sa.update(account_t).where(account_t.c.name == name).values(role=_role(role).value)
            ).rowcount
        if changed != 1:
            raise AccountError(f"there is no account {name!r}")

    def set_password(self, name: str, password: str) -> None:
        check_new_password(password)
        with self.engine.begin() as c:
            changed = c.execute(
                sa.update(account_t)
                .where(account_t.c.name == name)
                .values(password_hash=_hasher.hash(password))
            ).rowcount
        if changed != 1:
            raise AccountError(f"there is no account {name!r}")

    def remove(self, name: str) -> None:
        with self.engine.begin() as c:
            c.execute(sa.delete(account_t).where(account_t.c.name == name))

    def get(self, name: str) -> Account | None:
        with self.engine.connect() as c:
            row = c.execute(sa.select(account_t).where(account_t.c.name == name)).first()
        return _account(row) if row else None

    def all(self) -> list[Account]:
        with self.engine.connect() as c:
            rows = c.execute(sa.select(account_t).order_by(account_t.c.name)).all()
        return [_account(row) for row in rows]

    def verify(self, name: str, password: str) -> Account | None:
        """The account if the password is right, else None (in about the same time)."""
        with self.engine.connect() as c:
            row = c.execute(sa.select(account_t).where(account_t.c.name == name)).first()
        stored = row.password_hash if row else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        with self.engine.begin() as c:
            values: dict[str, object] = {"last_login_at": utcnow()}
            if _hasher.check_needs_rehash(stored):
                values["password_hash"] = _hasher.hash(password)
            c.execute(sa.update(account_t).where(account_t.c.name == name).values(**values))
        return _account(row)

    # -- the session key ----------------------------------------------------
    def session_key(self) -> str:
        """A random key made on first use and kept, so sessions outlive a restart and
        every process sharing the store accepts them."""
        with self.engine.begin() as c:
            found = c.execute(
                sa.select(secret_t.c.value).where(secret_t.c.name == "session")
            ).scalar()
            if found:
                return str(found)
            key = secrets.token_urlsafe(48)
            try:
                with c.begin_nested():
                    c.execute(sa.insert(secret_t).values(name="session", value=key))
            except sa.exc.IntegrityError:  # another process made it first
                pass
            return str(
                c.execute(sa.select(secret_t.c.value).where(secret_t.c.name == "session")).scalar()
            )

    # -- who did what -------------------------------------------------------
    def record(
        self, user: str, action: str, *, sync: str = "", run_id: int | None = None, detail: str = ""
    ) -> None:
        log.info("console: %s %s %s %s", user, action, sync, run_id or "")
        with self.engine.begin() as c:
            c.execute(
                sa.insert(audit_t).values(
                    at=utcnow(),
                    user=user,
                    action=action,
                    sync=sync,
                    run_id=run_id,
                    detail=detail[:500],
                )
            )

    def audit(self, limit: int = 100) -> list[AuditEntry]:
        query = sa.select(audit_t).order_by(audit_t.c.id.desc()).limit(limit)
        with self.engine.connect() as c:
            return [_entry(row) for row in c.execute(query)]

    def audit_page(
        self, query: AuditQuery, *, page: int = 1, per_page: int = 50
    ) -> tuple[list[AuditEntry], int]:
        """One page of the record, newest first, and how many entries match in all."""
        conditions: list[sa.ColumnElement[bool]] = []
        if query.user:
            conditions.append(audit_t.c.user == query.user)
        if query.action:
            conditions.append(audit_t.c.action == query.action)
        if query.sync:
            conditions.append(audit_t.c.sync == query.sync)
        if query.text:
            escaped = query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conditions.append(audit_t.c.detail.ilike(f"%{escaped}%", escape="\\"))
        where = sa.and_(sa.true(), *conditions)
        page = max(page, 1)
        with self.engine.connect() as c:
            total = int(
                c.execute(sa.select(sa.func.count()).select_from(audit_t).where(where)).scalar()
                or 0
            )
            rows = c.execute(
                sa.select(audit_t)
                .where(where)
                .order_by(audit_t.c.id.desc())
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
            return [_entry(row) for row in rows], total

    def audit_choices(self) -> dict[str, list[str]]:
        """The users, actions and syncs the record holds, for the page's filters."""
        with self.engine.connect() as c:
            return {
                column: sorted(
                    str(v)
                    for v in c.execute(sa.select(audit_t.c[column]).distinct()).scalars()
                    if v
                )
                for column in ("user", "action", "sync")
            }

    def run_actions(self, run_id: int) -> list[AuditEntry]:
        return _run_actions(self.engine, run_id)

    def started_by(self, run_ids: list[int]) -> dict[int, str]:
        """Who started (or approved) each of these runs from the console."""
        if not run_ids:
            return {}
        query = sa.select(audit_t.c.run_id, audit_t.c.user).where(
            audit_t.c.run_id.in_(run_ids), audit_t.c.action.in_(["sync", "approve"])
        )
        with self.engine.connect() as c:
            return {run_id: user for run_id, user in c.execute(query)}


def recorded_actions(url: str, run_id: int) -> list[AuditEntry]:
    """Who did what to run ``run_id`` from the console (``runs show``); read only: a state
    database the console never used has no audit record, and gets none made."""
    engine = open_database(url)
    if not sa.inspect(engine).has_table(audit_t.name):
        return []
    return _run_actions(engine, run_id)


def _run_actions(engine: Engine, run_id: int) -> list[AuditEntry]:
    query = sa.select(audit_t).where(audit_t.c.run_id == run_id).order_by(audit_t.c.id)
    with engine.connect() as c:
        return [_entry(row) for row in c.execute(query)]


def _role(role: WebRole | str) -> WebRole:
    try:
        return WebRole(role)
    except ValueError:
        roles = ", ".join(r.value for r in WebRole)
        raise AccountError(f"{role!r} is not a role; the roles are {roles}") from None


def _account(row: sa.Row[tuple[object, ...]]) -> Account:
    mapping = row._mapping
    return Account(
        name=str(mapping["name"]),
        role=WebRole(str(mapping["role"])),
        created_at=as_utc(mapping["created_at"]),
        last_login_at=as_utc(mapping["last_login_at"]),
    )


def _entry(row: sa.Row[tuple[object, ...]]) -> AuditEntry:
    m = row._mapping
    return AuditEntry(
        at=as_utc(m["at"]),
        user=str(m["user"]),
        action=str(m["action"]),
        sync=str(m["sync"]),
        run_id=m["run_id"],
        detail=str(m["detail"]),
    )


class LoginThrottle:
    """After ``attempts`` failed sign-ins for one account or from one address within
    ``lockout`` seconds, further tries are refused until the oldest failure ages out."""

    def __init__(self, attempts: int, lockout: float) -> None:
        self.attempts = attempts
        self.lockout = lockout
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(key, []) if now - t < self.lockout]
        if kept:
            self._failures[key] = kept
        else:
            self._failures.pop(key, None)
        return kept

    def retry_after(self, *keys: str) -> float:
        """Seconds until a sign-in may be tried again; 0 when it may now."""
        now = time.monotonic()
        with self._lock:
            waits = []
            for key in keys:
                recent = self._recent(key, now)
                if len(recent) >= self.attempts:
                    waits.append(self.lockout - (now - recent[-self.attempts]))
            return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) > 100_000:  # never grows without bound
                self._failures.clear()
            for key in keys:
                self._failures.setdefault(key, []).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
