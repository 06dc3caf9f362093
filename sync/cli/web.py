"""``web`` and ``web add-user``: serve the admin console, and add an account to it."""

from __future__ import annotations

import logging
import sys

import click

from sync.app import App
from sync.cli.root import configure_logging
from sync.web import ConsoleServer, create_app
from sync.web.accounts import AccountError, Accounts, WebRole

log = logging.getLogger(__name__)


@click.group("web", invoke_without_command=True)
@click.option("--host", help="listen on this address instead of [web] host")
@click.option("--port", type=click.IntRange(0, 65535), help="instead of [web] port")
@click.pass_context
def web_command(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the admin console until Ctrl-C (http://127.0.0.1:8787/ by default)."""
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.obj
    configure_logging(app.config.log_level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    web = app.config.web.model_copy(
        update={k: v for k, v in (("host", host), ("port", port)) if v is not None}
    )
    asgi = create_app(lambda: app, web=web)
    if not Accounts(app.config.state_url).all():
        click.echo(
            "rostersync: no account yet; add one with 'rostersync web add-user NAME --role admin'",
            err=True,
        )
    server = ConsoleServer(asgi, web)
    click.echo(f"rostersync console on {server.url} (Ctrl-C to stop)", err=True)
    try:
        server.serve()
    finally:
        asgi.state.console.runner.join()


@web_command.command("add-user")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([r.value for r in WebRole]),
    required=True,
    help="viewer (reads), operator (also syncs, pauses), admin (also approves, accounts)",
)
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.pass_obj
def add_user_command(app: App, name: str, role: str, password_stdin: bool) -> None:
    """Add a console account; the password is asked for twice."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        Accounts(app.config.state_url).add(name, role, password)
    except AccountError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"account {name} added as {role}")
