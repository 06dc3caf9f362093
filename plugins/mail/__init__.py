"""The ``mail`` notifier: an e-mail when a run fails, is held, or rejects input rows.

Configured by ``[notify.email]`` (each of the three is its own switch). SMTP with
STARTTLS or TLS (certificates verified), a password given as a secret, the run's counts,
its reason and the command (or console page) to act on. A mail server that is down or
refuses the message is logged and retried; it never changes the run.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from sync.api import RunStatus, RunSummary, describe_counts, register_secret

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


def reasons(summary: RunSummary, email: Mapping[str, Any], rejected_rows: int) -> list[str]:
    """Why this run is worth an e-mail under ``[notify.email]`` (empty: it is not)."""
    found = []
    if summary.status in (RunStatus.FAILED, RunStatus.INTERRUPTED) and email["on_failed"]:
        found.append(summary.status.value)
    if summary.status is RunStatus.HELD and email["on_held"]:
        found.append("held")
    if rejected_rows and email["on_rejected"]:
        found.append(f"{rejected_rows} {'row' if rejected_rows == 1 else 'rows'} rejected")
    return found


def message(
    summary: RunSummary, email: Mapping[str, Any], rejected_rows: int, why: list[str]
) -> EmailMessage:
    """The alert: subject with the run and why, body with counts, reason and what to do."""
    run = summary.id
    mail = EmailMessage()
    mail["Subject"] = f"rostersync: sync {summary.sync!r} run {run}: {', '.join(why)}"
    mail["From"] = email["sender"]
    mail["To"] = ", ".join(email["to"])
    lines = [
        f"Run {run} of sync {summary.sync!r} ({summary.trigger.value}) ended "
        f"{summary.status.value} at {summary.finished_at or summary.started_at}.",
        "",
        f"Applied: {describe_counts(summary.counts)}.",
        f"Issues: {summary.issues}, of which {rejected_rows} rejected rows.",
    ]
    if summary.error:
        lines += ["", f"Reason: {summary.error}"]
    lines += ["", "What to do:"]
    if summary.status is RunStatus.HELD:
        lines.append(f"  rostersync runs show {run}      (the held plan and why it was held)")
        lines.append(f"  rostersync approve {run}   or   rostersync reject {run}")
    else:
        lines.append(f"  rostersync runs show {run}      (every change and issue)")
    if rejected_rows:
        lines.append(f"  rostersync runs show {run} --rejected rejected.csv   (rows to fix)")
    if email["console_url"]:
        lines.append(f"  or open {email['console_url'].rstrip('/')}/runs/{run}")
    mail.set_content("\n".join(lines) + "\n")
    return mail


def _tls_context(email: Mapping[str, Any]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=email["ca_file"] or None)


def deliver(email: Mapping[str, Any], mail: EmailMessage) -> None:
    """Send once, by the configured security; raises what smtplib raises."""
    security = email["security"]
    port = email["port"] or DEFAULT_PORTS[security]
    timeout = email["timeout_seconds"]
    client: smtplib.SMTP
    if security == "tls":
        client = smtplib.SMTP_SSL(email["host"], port, timeout=timeout, context=_tls_context(email))
    else:
        client = smtplib.SMTP(email["host"], port, timeout=timeout)
    with client:
        if security == "starttls":
            client.starttls(context=_tls_context(email))
        if email["username"]:
            client.login(email["username"], email["password"])
        client.send_message(mail)


def _passing(exc: BaseException) -> bool:
    """Worth another try: a 4xx answer, a dropped or refused connection, a timeout. Not:
    a 5xx answer, no AUTH, a certificate that does not verify."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500 or isinstance(exc, smtplib.SMTPConnectError)
    if isinstance(exc, smtplib.SMTPException):
        return isinstance(exc, smtplib.SMTPServerDisconnected)
    return isinstance(exc, OSError) and not isinstance(exc, ssl.SSLCertVerificationError)


def send(email: Mapping[str, Any], mail: EmailMessage) -> bool:
    """Deliver with retries for passing faults; True if the server took it. Never raises."""
    attempts = email["attempts"]
    wait = email["retry_wait_seconds"]

    def log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "e-mail to %s failed (attempt %d of %d): %s",
            email["host"],
            state.attempt_number,
            attempts,
            exc,
        )

    retrying = Retrying(
        retry=retry_if_exception(_passing),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=wait, min=wait, max=30 * max(wait, 0.01)),
        before_sleep=log_retry,
        reraise=True,
    )
    try:
        retrying(deliver, email, mail)
    except (smtplib.SMTPException, OSError) as exc:
        log.error(
            "could not e-mail about %s via %s: %s (check [notify.email] in config.toml)",
            mail["Subject"],
            email["host"],
            exc,
        )
        return False
    return True


def notify_finished(summary: RunSummary, notify: Mapping[str, Any], rejected_rows: int) -> None:
    """E-mail about a finished run, if ``[notify.email]`` asks for it (``plugins.hooks.mail``
    calls this from the ``sync_finished`` hook)."""
    email = notify.get("email")
    if not email:
        return
    if email["password"]:
        register_secret(email["password"])
    why = reasons(summary, email, rejected_rows)
    if not why:
        return
    if send(email, message(summary, email, rejected_rows, why)):
        log.info("e-mailed %s about run %s", ", ".join(email["to"]), summary.id)
