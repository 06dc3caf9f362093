"""Alembic environment for the staff user group and permission edits."""

from alembic import context

from sync.api import run_migrations_online

run_migrations_online(context.config)
