"""The admin console: see every sync, run one now, decide held runs, see who has access.

``create_app`` builds the ASGI app; ``ConsoleServer`` serves it with uvicorn, bounded.
"""

from sync.web.app import create_app
from sync.web.server import ConsoleServer

__all__ = ["ConsoleServer", "create_app"]
