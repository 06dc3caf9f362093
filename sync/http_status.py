"""The optional status endpoint (``[http] enabled = true``): /healthz, /status, /metrics.

Plain ``http.server`` in a background thread, bound to 127.0.0.1 unless configured
otherwise; read-only, so a scraper or a load balancer can never change anything.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import sqlalchemy as sa

from sync.errors import RostersyncError

log = logging.getLogger(__name__)

METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class StatusServer:
    """Serves ``status()`` as JSON and ``metrics()`` as Prometheus text."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        status: Callable[[], Any],
        metrics: Callable[[], str],
        healthy: Callable[[], bool] = lambda: True,
    ) -> None:
        routes: dict[str, Callable[[], tuple[str, bytes]]] = {
            "/healthz": lambda: (
                ("text/plain; charset=utf-8", b"ok\n") if healthy() else _unhealthy()
            ),
            "/status": lambda: ("application/json", json.dumps(status(), indent=2).encode()),
            "/metrics": lambda: (METRICS_TYPE, metrics().encode()),
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = routes.get(self.path.split("?", 1)[0])
                if route is None:
                    self._send(404, "text/plain; charset=utf-8", b"not found\n")
                    return
                try:
                    content_type, body = route()
                except _Unhealthy:
                    self._send(503, "text/plain; charset=utf-8", b"unhealthy\n")
                    return
                except (RostersyncError, sa.exc.SQLAlchemyError) as exc:
                    log.error("%s failed: %s", self.path, type(exc).__name__)
                    self._send(503, "text/plain; charset=utf-8", b"state store unavailable\n")
                    return
                self._send(200, content_type, body)

            def _send(self, code: int, content_type: str, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("%s %s", self.address_string(), format % args)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="status-http", daemon=True
        )

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread.start()
        host, port = self.address
        log.info("status endpoint on http://%s:%d (/healthz, /status, /metrics)", host, port)

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()


class _Unhealthy(Exception):
    pass


def _unhealthy() -> tuple[str, bytes]:
    raise _Unhealthy
