"""Each built-in plugin's hooks, kept apart from its code (``sync.plugins.DEFAULT_PLUGINS``).

Every command imports these modules at start (``rostersync --help`` too), so each one
only names what its plugin offers: its kinds by ``"module:name"`` and its commands as
``DeferredCommand``s. The plugin's own package (options models, HTTP clients, SQL
tables, ldap3) is imported when a run builds a source or target, or a command runs.
"""
