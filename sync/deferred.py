"""A plugin command known by name and help, imported only when it is used.

A plugin's ``register_commands`` may add ``DeferredCommand("manual",
"plugins.manual:manual_cli", help="...")`` instead of the command itself: ``rostersync
--help`` lists it from the help given here, and the module is imported only when the
command (or its own ``--help``) runs, as the click docs' "lazily loading subcommands"
recipe does for a group.
"""

from __future__ import annotations

from typing import Any

import click

from sync.kinds import import_ref


class DeferredCommand(click.Command):
    """Stands in for the click command (or group) ``ref`` names (``"module:name"``)."""

    def __init__(self, name: str, ref: str, *, help: str, hidden: bool = False) -> None:
        super().__init__(name, help=help, hidden=hidden, add_help_option=False)
        self.ref = ref
        self._loaded: click.Command | None = None

    def load(self) -> click.Command:
        """The command itself, imported on first use."""
        if self._loaded is None:
            command = import_ref(self.ref)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.ref} is not a click command: {type(command).__name__}")
            self._loaded = command
        return self._loaded

    # Reached only if a group other than rostersync's own (which swaps the command in
    # itself) holds the stand-in: everything goes to the command it stands for.
    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        return self.load().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        return self.load().invoke(ctx)


def resolve(command: click.Command) -> click.Command:
    """``command``, or the command it stands for if it is a ``DeferredCommand``."""
    return command.load() if isinstance(command, DeferredCommand) else command
