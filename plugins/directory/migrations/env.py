"""Alembic environment for the directory target's tables."""

from alembic import context

from sync.api import run_migrations_online

run_migrations_online(context.config)
