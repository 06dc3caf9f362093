"""Alembic environment for the roster_csv source's tables (saved column mappings and
rows corrected by hand in the console)."""

from alembic import context

from sync.api import run_migrations_online

run_migrations_online(context.config)
