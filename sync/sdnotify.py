"""A tiny ``sd_notify``: tell systemd we are ready, alive or stopping (``Type=notify``).

Datagrams to ``$NOTIFY_SOCKET`` (a path, or ``@name`` for the abstract namespace);
without the variable every call is a no-op, so the daemon runs the same outside systemd.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def notify(message: str) -> bool:
    """Send ``message`` (e.g. ``"READY=1"``); True if a systemd socket took it."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    target: str | bytes = address
    if address.startswith("@"):
        target = b"\0" + address[1:].encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(target)
            sock.sendall(message.encode())
    except OSError as exc:
        log.warning("could not notify systemd at %s: %s", address, exc.strerror or exc)
        return False
    return True


def watchdog_interval() -> float | None:
    """Seconds between ``WATCHDOG=1`` pings (half of ``$WATCHDOG_USEC``), or None if off."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):
        return None
    return int(usec) / 1_000_000 / 2
