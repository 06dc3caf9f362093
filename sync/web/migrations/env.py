"""Alembic environment for the admin console's tables."""

from alembic import context

from sync.storage import run_migrations_online

run_migrations_online(context.config)
