"""Alembic environment for the engine's tables; see ``sync.storage.migrate``."""

from alembic import context

from sync.storage import run_migrations_online

run_migrations_online(context.config)
