"""Imports in progress in the console: each upload staged in its own private folder with
what the admin chose so far (the column mapping, the rows fixed by hand), and installed
where the source reads it only when completed, whole (a temporary file, then a rename).

Nothing an import stages is seen by a sync until ``install``: an import left half-done
changes nothing. ``install`` holds a lock per source, so two admins completing imports at
once never interleave their files: one wins whole, the other is told to try again.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from plugins.roster_csv.columns import Kind

UPLOAD = "upload.csv"
META = "import.json"
KEEP_SECONDS = 7 * 24 * 3600
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
#: The first bytes of the spreadsheet files people upload instead of a CSV.
_NOT_CSV = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"{\\rtf")

NOT_CSV = (
    "Only .CSV files can be uploaded. Save the spreadsheet as a *.CSV file (in Excel: "
    "File > Save As > CSV UTF-8) and upload that."
)


class Refused(Exception):
    """An upload or a completion that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Fix:
    """A row fixed by hand in this import: its new field values, and where it is."""

    fields: dict[str, str]
    line: int


@dataclass(frozen=True)
class Staged:
    """One import in progress, as kept in its folder's ``import.json``."""

    id: str
    source: str
    kind: Kind
    user: str
    filename: str
    size: int
    created: float
    mapping: dict[str, str] | None = None
    """File header -> field ("" to ignore), once the columns are matched."""
    fixes: dict[str, Fix] = field(default_factory=dict)
    """Row key -> fix made in this import (saved with the import when it completes)."""
    completed: float | None = None
    runs: dict[str, int | None] = field(default_factory=dict)
    """Sync -> run started when completed (None: not started, see ``message``)."""
    message: str = ""


class Imports:
    """The imports in progress under ``root`` (a private folder beside the configuration)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _folder(self, import_id: str) -> Path:
        if not _ID.match(import_id):
            raise KeyError(import_id)
        return self.root / import_id

    def upload_path(self, staged: Staged) -> Path:
        return self._folder(staged.id) / UPLOAD

    def create(
        self, *, source: str, kind: Kind, user: str, filename: str, data: BinaryIO, limit: int
    ) -> Staged:
        """Stage an upload; refused (and nothing kept) if it is not a CSV or is too big."""
        if not filename.casefold().endswith(".csv"):
            raise Refused(NOT_CSV)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)
        self.clean()
        import_id = secrets.token_urlsafe(18)
        folder = self._folder(import_id)
        folder.mkdir(mode=0o700)
        try:
            size = _copy(data, folder / UPLOAD, limit)
        except Exception:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        staged = Staged(import_id, source, kind, user, Path(filename).name, size, time.time())
        self.save(staged)
        return staged

    def get(self, import_id: str, user: str) -> Staged | None:
        """``user``'s import ``import_id``, or None (no such import, or someone else's)."""
        try:
            text = (self._folder(import_id) / META).read_text()
        except (KeyError, OSError):
            return None
        staged = _staged(json.loads(text))
        return staged if staged.user == user else None

    def mine(self, user: str) -> list[Staged]:
        """``user``'s imports not completed, newest first."""
        if not self.root.is_dir():
            return []
        found = [self.get(folder.name, user) for folder in self.root.iterdir() if folder.is_dir()]
        return sorted(
            (s for s in found if s is not None and s.completed is None),
            key=lambda s: s.created,
            reverse=True,
        )

    def save(self, staged: Staged) -> None:
        folder = self._folder(staged.id)
        _write_whole(folder / META, json.dumps(asdict(staged), indent=1).encode())

    def discard(self, staged: Staged) -> None:
        shutil.rmtree(self._folder(staged.id), ignore_errors=True)

    def clean(self, now: float | None = None) -> None:
        """Forget imports older than a week (completed or not)."""
        cutoff = (now or time.time()) - KEEP_SECONDS
        for folder in self.root.iterdir() if self.root.is_dir() else ():
            meta = folder / META
            try:
                old = meta.stat().st_mtime < cutoff
            except OSError:
                old = folder.is_dir() and folder.stat().st_mtime < cutoff
            if old:
                shutil.rmtree(folder, ignore_errors=True)

    @contextmanager
    def completing(self, source: str) -> Iterator[None]:
        """Held while an import into ``source`` completes (across processes: a file lock).
        Refused at once when another completion into ``source`` holds it."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(self.root / f".{_safe(source)}.lock", "a+b") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise Refused(
                    f"another import into {source!r} is being completed right now; your "
                    "import is kept: complete it again in a moment"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def install(self, staged: Staged, target: Path) -> None:
        """Put the staged file where the source reads it, whole: copied to a temporary
        file beside ``target``, flushed, then renamed over it."""
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(self.upload_path(staged), "rb") as data:
            _write_whole(target, data)

    def completed(self, staged: Staged, runs: dict[str, int | None], message: str) -> Staged:
        """Mark ``staged`` completed; its upload (now installed) is removed."""
        done = replace(staged, completed=time.time(), runs=runs, message=message)
        self.save(done)
        self.upload_path(staged).unlink(missing_ok=True)
        return done


def _safe(name: str) -> str:
    """A source's name as a file name: its own letters, and a hash when it has others."""
    plain = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    return plain if plain == name else f"{plain}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def _copy(data: BinaryIO, path: Path, limit: int) -> int:
    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        first = True
        while chunk := data.read(1 << 20):
            if first and (chunk.startswith(_NOT_CSV) or b"\x00" in chunk[:65536]):
                raise Refused(NOT_CSV)
            first = False
            size += len(chunk)
            if size > limit:
                raise Refused(
                    f"the file is bigger than {limit / 1_000_000:g} MB, the most this import "
                    "accepts (upload_max_mb in the source's options)"
                )
            out.write(chunk)
    if size == 0:
        raise Refused("the file is empty; it needs a header row")
    return size


def _write_whole(target: Path, data: bytes | BinaryIO) -> None:
    """Write ``target`` through a temporary file in its folder and a rename, so a reader
    sees the old file or the new one, never part of one."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, "xb") as out:
            if isinstance(data, bytes):
                out.write(data)
            else:
                shutil.copyfileobj(data, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        if target.exists():  # the file keeps its permissions
            os.chmod(temporary, stat.S_IMODE(target.stat().st_mode))
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _staged(data: dict[str, Any]) -> Staged:
    fixes = {key: Fix(dict(fix["fields"]), int(fix["line"])) for key, fix in data["fixes"].items()}
    return Staged(**{**data, "fixes": fixes})
