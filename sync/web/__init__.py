"""The admin console: see every sync, run one now, decide held runs, see who has access.

``create_app`` builds the ASGI app; ``ConsoleServer`` serves it with uvicorn, bounded.
Both are imported when first used, so a command that reads only the console's audit
record (``runs show``) does not load the web framework.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sync.web.app import create_app
    from sync.web.server import ConsoleServer

__all__ = ["ConsoleServer", "create_app"]
_HOMES = {"create_app": "sync.web.app", "ConsoleServer": "sync.web.server"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
