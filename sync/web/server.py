"""Serving the console with uvicorn, bounded: one event loop thread however many
clients connect, a cap on connections, a limit on header size, and a read timeout.

uvicorn times out idle keep-alive connections but not a client that opens a connection
and sends its request a byte at a time; ``timed_protocol`` closes a connection whose
request headers have not all arrived within ``read_timeout_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Iterator
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from sync.config import WebConfig

log = logging.getLogger(__name__)


TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain\r\n"
    b"content-length: 22\r\nconnection: close\r\n\r\nrequest header too big\n"
)


def timed_protocol(seconds: float, max_header_bytes: int) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with a deadline and a size limit for each request's headers
    (h11's own limit only counts a header still incomplete in its buffer, so a big
    header arriving in one read would pass)."""

    class TimedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _timed_cycle: object = None
        _header_bytes = 0

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                log.debug("closed a connection that sent no whole request in %ss", seconds)
                self.transport.close()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._deadline is not None:  # still reading a request's headers
                end = data.find(b"\r\n\r\n")
                header = self._header_bytes + (end if end >= 0 else len(data))
                self._header_bytes += len(data)
                if header > max_header_bytes:
                    self._refuse()
                    return
            super().data_received(data)
            if self.cycle is not None and self.cycle is not self._timed_cycle:
                self._timed_cycle = self.cycle  # this request's headers are all in
                self._disarm()

        def _refuse(self) -> None:
            self._disarm()
            if not self.transport.is_closing():
                self.transport.write(TOO_LARGE)
                self.transport.close()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._header_bytes = 0
                self._arm()  # the next request on this connection gets its own deadline

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return TimedH11Protocol


class _Server(uvicorn.Server):
    """uvicorn, stopping on SIGINT or SIGTERM without raising the signal again after (so
    ``rostersync web`` ends with exit 0, as the daemon does)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop(signum: int, frame: object) -> None:
            self.should_exit = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, so that asyncio sets TCP_NODELAY on each connection: without
    # it a response's two writes wait 40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.setblocking(False)
    return sock


class ConsoleServer:
    """uvicorn serving ``asgi`` on ``[web] host`` and ``port`` with the console's limits."""

    def __init__(self, asgi: Any, web: WebConfig, *, port: int | None = None) -> None:
        self.web = web
        self._socket = bind(web.host, web.port if port is None else port)
        self.config = uvicorn.Config(
            asgi,
            http=timed_protocol(web.read_timeout_seconds, web.max_header_bytes),
            limit_concurrency=web.max_connections,
            h11_max_incomplete_event_size=web.max_header_bytes,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=10,
            access_log=False,  # our own log names who did what; a URL holds no name
            log_config=None,
            lifespan="off",
            proxy_headers=False,  # [web] trusted_proxies decides, in sync.web.sessions
            server_header=False,
            ws="none",
        )
        self.server = _Server(self.config)
        # uvicorn logs access whenever its logger has a handler, whatever access_log says.
        logging.getLogger("uvicorn.access").disabled = True
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._socket.getsockname()[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def serve(self) -> None:
        """Serve in this thread until SIGINT or SIGTERM (``rostersync web``)."""
        log.info("console on %s", self.url)
        self.server.run(sockets=[self._socket])

    def start(self) -> None:
        """Serve in a background thread (the daemon, and tests)."""
        self._thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [self._socket]},
            name="console-http",
            daemon=True,
        )
        self._thread.start()
        started = threading.Event()

        def wait() -> None:
            while not self.server.started and self._thread is not None and self._thread.is_alive():
                started.wait(0.02)

        wait()
        log.info("console on %s (/healthz, /status and /metrics open)", self.url)

    def close(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(15)
        self._socket.close()
