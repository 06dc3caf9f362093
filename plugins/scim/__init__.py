"""The ``scim`` target: provisions groups into a SCIM 2.0 service provider.

Registered by ``plugins.hooks.scim``, which names these without importing them.
"""

from __future__ import annotations

from plugins.scim.target import ScimOptions, ScimTarget

__all__ = ["ScimOptions", "ScimTarget"]
