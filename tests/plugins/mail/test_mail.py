"""E-mail alerts against a real SMTP server (aiosmtpd) on 127.0.0.1, with STARTTLS or
TLS from a test CA (trustme) and a password login, through the command line."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.conftest import CliRun, write_csv

PASSWORD = "pa55-W0rd-smtp"


@dataclass
class MailServer:
    port: int
    ca_file: Path
    security: str
    received: list[Message] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    refuse: list[int] = field(default_factory=list)  # SMTP codes to answer DATA with


class Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        if self.server.refuse:
            return f"{self.server.refuse.pop(0)} not now"
        assert isinstance(envelope.content, bytes)
        self.server.received.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["starttls", "tls"])
def mail_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MailServer]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    server = MailServer(port=free_port(), ca_file=tmp_path / "ca.pem", security=request.param)

    def authenticate(
        smtp: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        login = (data.login.decode(), data.password.decode())
        server.logins.append(login)
        return AuthResult(success=login == ("alerts", PASSWORD))

    options: dict[str, Any] = {"authenticator": authenticate}
    if request.param == "starttls":  # AUTH only once STARTTLS is done
        options.update(tls_context=context, require_starttls=True, auth_require_tls=True)
        controller = Controller(Handler(server), hostname="127.0.0.1", port=server.port, **options)
    else:
        controller = Controller(
            Handler(server),
            hostname="127.0.0.1",
            port=server.port,
            ssl_context=context,
            server_hostname="127.0.0.1",
            auth_require_tls=False,  # the whole connection is TLS; aiosmtpd cannot tell
            **options,
        )
    controller.start()
    yield server
    controller.stop()


def email_config(workdir: Path, server: MailServer, extra: str = "") -> None:
    config = workdir / "config.toml"
    config.write_text(
        config.read_text()
        + f"""
[notify.email]
host = "127.0.0.1"
port = {server.port}
security = "{server.security}"
username = "alerts"
password = {{ env = "SMTP_PASSWORD" }}
sender = "rostersync@hogwarts.sch.uk"
to = ["it@hogwarts.sch.uk", "office@hogwarts.sch.uk"]
ca_file = "{server.ca_file}"
console_url = "https://rostersync.hogwarts.sch.uk/"
retry_wait_seconds = 0
{extra}
""".replace("  # type: ignore[attr-defined]", "")
    )


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)


def body(mail: Message) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_a_failed_run_is_mailed_with_reason_and_command(
    rostersync: CliRun, workdir: Path, mail_server: MailServer
) -> None:
    email_config(workdir, mail_server)
    (workdir / "impero" / "students.csv").unlink()
    result = rostersync("sync")
    assert result.exit_code == 1
    assert len(mail_server.received) == 1, result.stderr
    [mail] = mail_server.received
    assert mail_server.logins == [("alerts", PASSWORD)]
    assert mail["Subject"] == "rostersync: sync 'default' run 1: failed"
    assert mail["To"] == "it@hogwarts.sch.uk, office@hogwarts.sch.uk"
    text = body(mail)
    assert "Reason: source 'school' failed: students.csv" in text
    assert "rostersync runs show 1" in text
    assert "https://rostersync.hogwarts.sch.uk/runs/1" in text
    assert PASSWORD not in result.output


def test_rejected_rows_and_held_runs_are_mailed_ok_runs_are_not(
    rostersync: CliRun, workdir: Path, mail_server: MailServer
) -> None:
    email_config(workdir, mail_server)
    assert rostersync("sync").exit_code == 0
    assert mail_server.received == []
    config = workdir / "config.toml"
    config.write_text(config.read_text() + "\n[sync.guards]\nmax_rejected_percent = 90\n")
    write_csv(
        workdir / "impero" / "students.csv",
        "version,1",
        "username,class",
        "Harry_Potter,Potions",
        ",Flying",
        "Ron_Weasley,",
        bom=True,
    )
    assert rostersync("sync").exit_code == 0
    [mail] = mail_server.received
    assert mail["Subject"] == "rostersync: sync 'default' run 2: 2 rows rejected"
    assert "Issues: " in body(mail) and "of which 2 rejected rows" in body(mail)
    assert "rostersync runs show 2 --rejected rejected.csv" in body(mail)


def test_a_held_run_says_how_to_approve(
    rostersync: CliRun, workdir: Path, mail_server: MailServer
) -> None:
    email_config(workdir, mail_server)
    assert rostersync("sync").exit_code == 0
    for name in ("students.csv", "teachers.csv"):
        write_csv(workdir / "impero" / name, "version,1", "username,class")
    assert rostersync("sync").exit_code == 4
    [mail] = mail_server.received
    assert mail["Subject"] == "rostersync: sync 'default' run 2: held"
    assert "rostersync approve 2   or   rostersync reject 2" in body(mail)


def test_each_alert_can_be_switched_off(
    rostersync: CliRun, workdir: Path, mail_server: MailServer
) -> None:
    email_config(workdir, mail_server, "on_failed = false")
    (workdir / "impero" / "students.csv").unlink()
    assert rostersync("sync").exit_code == 1
    assert mail_server.received == []


def test_a_mail_server_that_is_down_is_retried_and_never_fails_the_run(
    rostersync: CliRun, workdir: Path, mail_server: MailServer
) -> None:
    mail_server.port = free_port()  # nothing listens there
    email_config(workdir, mail_server, "attempts = 3")
    (workdir / "impero" / "students.csv").unlink()
    result = rostersync("sync")
    assert result.exit_code == 1  # the run's own code, not the mail's
    assert result.stderr.count("failed (attempt") == 2
    assert "could not e-mail about rostersync: sync 'default' run 1: failed" in result.stderr
    assert mail_server.received == []


def test_a_busy_server_is_retried_until_it_takes_the_mail(
    rostersync: CliRun, workdir: Path, mail_server: MailServer
) -> None:
    mail_server.refuse = [451]
    email_config(workdir, mail_server)
    (workdir / "impero" / "students.csv").unlink()
    result = rostersync("sync")
    assert result.exit_code == 1
    assert len(mail_server.received) == 1
    assert "failed (attempt 1 of 3)" in result.stderr


def test_bad_email_settings_are_config_errors(rostersync: CliRun, workdir: Path) -> None:
    config = workdir / "config.toml"
    config.write_text(
        config.read_text() + '\n[notify.email]\nhost = "mail"\nsender = "a@b"\nto = []\n'
        'security = "ssl"\n'
    )
    result = rostersync("status")
    assert result.exit_code == 2
    assert "[notify.email] to: " in result.stderr and "[notify.email] security: " in result.stderr
