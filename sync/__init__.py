"""rostersync: keeps a school's groups and access rights in step with its SIS.

The public surface for plugins: ``sync.model``, ``sync.contract``, ``sync.hookspecs``,
``sync.errors``, ``sync.storage``, ``sync.app`` (for commands) and ``sync.testing``.
"""

__version__ = "0.1.0"
