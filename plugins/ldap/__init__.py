"""The ``ldap`` target: class groups in Active Directory or an OpenLDAP directory.

Registered by ``plugins.hooks.ldap``, which names these without importing them.
"""

from __future__ import annotations

from plugins.ldap.options import LdapOptions
from plugins.ldap.target import LdapTarget

__all__ = ["LdapOptions", "LdapTarget"]
