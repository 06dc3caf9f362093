"""``python -m sync``: the same as the ``rostersync`` command."""

from sync.cli import main

main()
