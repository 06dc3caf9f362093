"""Alembic environment for the manual source's tables."""

from alembic import context

from sync.api import run_migrations_online

run_migrations_online(context.config)
