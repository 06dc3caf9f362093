"""What a group entry looks like in each flavour of directory, and how it is named.

Active Directory: ``group`` with ``sAMAccountName`` and ``groupType`` (a global security
group), the marker in ``info``. OpenLDAP: ``groupOfNames``, the marker in ``description``;
``groupOfNames`` must hold a member, so an empty group holds ``empty_member``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ldap3.utils.dn import escape_rdn

from plugins.ldap.options import Flavour, LdapOptions
from plugins.ldap.remembered import STAMP_ATTRIBUTES

#: ``groupType`` of an Active Directory global security group (0x80000002).
AD_GLOBAL_SECURITY_GROUP = -2147483646

#: Characters Active Directory refuses in a ``sAMAccountName``.
_SAM_REFUSED = re.compile(r'["/\\\[\]:;|=,+*?<>@]')
SAM_MAX = 64


def sam_account_name(name: str) -> str:
    """A group's ``sAMAccountName`` from its name: refused characters become ``_``."""
    return _SAM_REFUSED.sub("_", name).strip(" .")[:SAM_MAX] or "_"


@dataclass(frozen=True)
class GroupSchema:
    """How this target's groups are written for one flavour of directory."""

    flavour: Flavour
    marker: str  # the attribute holding the ownership marker
    empty_member: str  # "" when a group may be empty

    @classmethod
    def of(cls, options: LdapOptions) -> GroupSchema:
        needs_member = options.flavour is Flavour.OPENLDAP
        return cls(
            flavour=options.flavour,
            marker=options.marker_attribute,
            empty_member=options.empty_member if needs_member else "",
        )

    @property
    def object_class(self) -> str:
        return "group" if self.flavour is Flavour.ACTIVE_DIRECTORY else "groupOfNames"

    @property
    def search_filter(self) -> str:
        return f"(objectClass={self.object_class})"

    @property
    def read_attributes(self) -> list[str]:
        """A group with its members, and its change stamp as of those members."""
        return ["cn", "member", self.marker, *STAMP_ATTRIBUTES]

    @property
    def scan_attributes(self) -> list[str]:
        """A group without its members: what it is, and its change stamp."""
        return ["cn", self.marker, *STAMP_ATTRIBUTES]

    def dn(self, name: str, parent: str) -> str:
        return f"cn={escape_rdn(name)},{parent}"

    def rdn(self, name: str) -> str:
        return f"cn={escape_rdn(name)}"

    def new_entry(self, name: str, marker: str) -> tuple[list[str], dict[str, object]]:
        """The object classes and attributes of a new group (the RDN's ``cn`` included)."""
        attributes: dict[str, object] = {"cn": name, self.marker: marker}
        if self.flavour is Flavour.ACTIVE_DIRECTORY:
            attributes["sAMAccountName"] = sam_account_name(name)
            attributes["groupType"] = AD_GLOBAL_SECURITY_GROUP
        if self.empty_member:
            attributes["member"] = [self.empty_member]
        return ["top", self.object_class], attributes

    def renamed(self, name: str) -> dict[str, str]:
        """Attributes besides the RDN that follow a group's name."""
        if self.flavour is Flavour.ACTIVE_DIRECTORY:
            return {"sAMAccountName": sam_account_name(name)}
        return {}
