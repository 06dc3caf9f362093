"""The state store: runs and their issues, plugin state, pauses and run locks.

SQLite by default, PostgreSQL for several daemons sharing one store. Thousands of
issues are written with one bulk statement, never one ORM object per row. ``Store`` is
the one facade; each part lives in its own module.
"""

from __future__ import annotations

from sync.store.codec import UndoRecord, pack_changes, unpack_changes
from sync.store.database import MIGRATIONS, VERSION_TABLE, control_t, issue_t, run_t, state_t
from sync.store.issues import RunIssues
from sync.store.pauses import Pause, Pauses
from sync.store.plugin_state import PluginStates, StagedState
from sync.store.runlocks import RunLocks, new_holder, this_machine
from sync.store.runs import RunDetail, RunRecords
from sync.store.times import as_utc, iso, utcnow


class Store(RunRecords, RunIssues, PluginStates, Pauses, RunLocks):
    """The engine's view of the state database."""


__all__ = [
    "MIGRATIONS",
    "VERSION_TABLE",
    "Pause",
    "RunDetail",
    "StagedState",
    "Store",
    "UndoRecord",
    "as_utc",
    "control_t",
    "iso",
    "issue_t",
    "new_holder",
    "pack_changes",
    "run_t",
    "state_t",
    "this_machine",
    "unpack_changes",
    "utcnow",
]
