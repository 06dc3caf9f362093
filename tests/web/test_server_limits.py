"""The console's server stays bounded (issue 14: the old status server held a thread per
connection for ever, and grew by 430 MB on 99 requests with 60 KB headers)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sync.app import App
from sync.config import WebConfig
from tests.web.conftest import Running, serve

LIMITS = WebConfig(enabled=True, port=0, read_timeout_seconds=1.0, max_connections=1000)


@pytest.fixture
def bounded(console_app: App, workdir: Path) -> Iterator[Running]:
    yield from serve(console_app, workdir, LIMITS)


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def closed_by_server(sock: socket.socket, within: float = 30.0) -> bool:
    """Whether the server closes ``sock`` (reading b'' or a reset) within ``within`` s;
    a bound, not a speed measurement."""
    sock.settimeout(within)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def connect(running: Running) -> socket.socket:
    host, port = running.server.address
    return socket.create_connection((host, port), timeout=10)


def test_400_slow_connections_hold_no_thread_and_are_closed(bounded: Running) -> None:
    threads_before = threading.active_count()
    socks = []
    try:
        for _ in range(400):
            sock = connect(bounded)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the rest
            socks.append(sock)
        assert threading.active_count() <= threads_before + 1
        assert all(closed_by_server(sock) for sock in socks)
    finally:
        for sock in socks:
            sock.close()
    assert httpx.get(f"{bounded.url}/healthz", timeout=10).text == "ok\n"


def test_a_request_sent_a_byte_at_a_time_is_cut_off(bounded: Running) -> None:
    sock = connect(bounded)
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
    closed = False
    try:
        for byte in request:  # keeps sending, so no idle timeout ever fires
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.05)
        closed = closed or closed_by_server(sock, 5)
    finally:
        sock.close()
    assert closed


def test_huge_headers_are_refused_without_growing_memory(bounded: Running) -> None:
    header = b"X-Big: " + b"b" * 60_000 + b"\r\n"
    answers = []
    before = rss_bytes()
    for _ in range(99):
        sock = connect(bounded)
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + header + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            answers.append(b"closed")
            sock.close()
            continue
        sock.settimeout(10)
        try:
            answers.append(sock.recv(200))
        except ConnectionResetError:
            answers.append(b"closed")
        sock.close()
    grown = rss_bytes() - before
    assert all(a == b"closed" or a.split(b" ")[1] in (b"400", b"431") for a in answers), answers[:3]
    assert grown < 40 * 1024 * 1024, grown
    assert httpx.get(f"{bounded.url}/healthz", timeout=10).status_code == 200


def test_connections_over_the_cap_are_answered_503(console_app: App, workdir: Path) -> None:
    capped = WebConfig(enabled=True, port=0, read_timeout_seconds=30, max_connections=20)
    for running in serve(console_app, workdir, capped):
        socks = []
        try:
            for _ in range(25):
                sock = connect(running)
                socks.append(sock)
            time.sleep(0.2)  # let the server accept them (not a measurement)
            answer = httpx.get(f"{running.url}/healthz", timeout=10)
            assert answer.status_code == 503
        finally:
            for sock in socks:
                sock.close()
