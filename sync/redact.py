"""Secrets never leave the process: every resolved secret is scrubbed from text we emit.

Config resolution registers each secret value; run records, issues, errors and log
records pass through ``redact`` (the CLI installs ``RedactingFilter`` on the root logger).
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

_secrets: set[str] = set()
_lock = threading.Lock()
MASK = "***"


def register_secret(value: str) -> None:
    """Remember a secret so that ``redact`` hides it; short values are too common to mask.

    A secret URL (a webhook with a token in its path or query) is also hidden in the pieces
    that get logged without the rest: its request target (``/hook/TOKEN?key=...``, as HTTP
    client libraries log it), its query and its password.
    """
    if not isinstance(value, str) or len(value) < 4:
        return
    parts = {value}
    if "://" in value:
        try:
            url = urlsplit(value)
            password = url.password
        except ValueError:
            url, password = None, None
        if url is not None:
            target = url.path + (f"?{url.query}" if url.query else "")
            parts |= {target, url.query, password or ""}
    with _lock:
        _secrets.update(p for p in parts if len(p) >= 4 and p.strip("/"))


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """Scrubs registered secrets from every log record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
