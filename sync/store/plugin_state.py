"""What plugins (and the engine) keep between runs, and the staging of it during one."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from sync.store.database import Database, state_t


class PluginStates(Database):
    """Each sync's plugin state, by plugin and key."""

    def plugin_state(self, sync: str, plugin: str) -> dict[str, Any]:
        query = sa.select(state_t.c.key, state_t.c.value).where(
            state_t.c.sync == sync, state_t.c.plugin == plugin
        )
        with self._tx() as c:
            return {key: json.loads(value) for key, value in c.execute(query)}

    def save_plugin_state(self, sync: str, plugin: str, values: dict[str, Any]) -> None:
        if not values:
            return
        with self._tx() as c:
            c.execute(
                sa.delete(state_t).where(
                    state_t.c.sync == sync,
                    state_t.c.plugin == plugin,
                    state_t.c.key.in_(list(values)),
                )
            )
            c.execute(
                sa.insert(state_t),
                [
                    {"sync": sync, "plugin": plugin, "key": k, "value": json.dumps(v)}
                    for k, v in values.items()
                ],
            )


class StagedState:
    """A plugin's ``StateBag``: reads from the store on first use, holds writes until the
    run succeeds.

    Read lazily: a snapshot can be megabytes of JSON, and a run that only checks a
    plugin's options never needs it. Each run decodes its own copy.
    """

    def __init__(self, load: Callable[[], dict[str, Any]]) -> None:
        self._load = load
        self._values: dict[str, Any] | None = None
        self.staged: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        if key in self.staged:
            return self.staged[key]
        if self._values is None:
            self._values = self._load()
        return self._values.get(key)

    def put(self, key: str, value: Any) -> None:
        self.staged[key] = value
