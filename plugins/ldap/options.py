"""The ``ldap`` target's options: where the directory is, how to bind, where groups live."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from ldap3.core.exceptions import LDAPInvalidDnError
from ldap3.utils.dn import parse_dn
from pydantic import Field, SecretStr, field_validator, model_validator

from sync.api import PluginOptions

#: An attribute description: a name (RFC 4512 ``descr``) or a numeric OID.
ATTRIBUTE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9-]*|[0-9]+(?:\.[0-9]+)+)$")


class Flavour(StrEnum):
    """Which directory the groups are written for: their object class and attributes."""

    ACTIVE_DIRECTORY = "active_directory"
    OPENLDAP = "openldap"


def _dn(value: str) -> str:
    try:
        parse_dn(value)
    except (LDAPInvalidDnError, ValueError, IndexError) as exc:
        raise ValueError(f"is not a distinguished name (RFC 4514): {exc}") from None
    if not value.strip():
        raise ValueError("is empty")
    return value.strip()


class LdapOptions(PluginOptions):
    url: str
    """``ldaps://host[:port]``, or ``ldap://host[:port]`` (with StartTLS unless turned off)."""
    start_tls: bool | None = None
    """StartTLS on an ``ldap://`` URL; on by default. ``false`` sends the password in clear."""
    ca_file: str | None = None
    """PEM file of the CA(s) that signed the server's certificate; the system's CAs if unset."""
    bind_dn: str = ""
    """The account rostersync binds as; empty binds anonymously (read-only directories)."""
    password: SecretStr = SecretStr("")
    """The bind account's password; give it as ``{ env = "NAME" }``."""
    groups_dn: str
    """Where this sync's groups are created; nothing outside it is ever changed."""
    users_dn: str
    """Where members are looked up (subtree)."""
    user_attribute: str | None = None
    """The attribute holding a person's id: ``sAMAccountName`` (AD) or ``uid`` by default."""
    user_filter: str = ""
    """An extra LDAP filter ANDed to the user search, e.g. ``(objectClass=person)``."""
    flavour: Flavour = Flavour.OPENLDAP
    owner_attribute: str | None = None
    """The attribute holding the ownership marker: ``info`` (AD) or ``description``."""
    access_rights: Literal["companion", "none"] = "companion"
    """``companion``: a group's access list is an owned group "<name><suffix>"; ``none``."""
    companion_suffix: str = " - staff"
    empty_member: str = "cn=nobody"
    """OpenLDAP's ``groupOfNames`` needs one member: this DN stands in for an empty group."""
    page_size: int = Field(default=500, ge=1, le=10_000)
    max_values_per_modify: int = Field(default=1000, ge=1, le=100_000)
    """At most this many member values in one modify request."""
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    timeout_seconds: float = Field(default=60.0, gt=0)
    """The time limit for one answer from the server."""

    @field_validator("url")
    @classmethod
    def _ldap_url(cls, value: str) -> str:
        if not re.match(r"^ldaps?://[^/?#\s]+/?$", value, re.IGNORECASE):
            raise ValueError("must be ldap://host[:port] or ldaps://host[:port]")
        return value.rstrip("/")

    @field_validator("groups_dn", "users_dn")
    @classmethod
    def _distinguished_name(cls, value: str) -> str:
        return _dn(value)

    @field_validator("bind_dn", "empty_member")
    @classmethod
    def _optional_dn(cls, value: str) -> str:
        return _dn(value) if value.strip() else ""

    @field_validator("user_attribute", "owner_attribute")
    @classmethod
    def _attribute(cls, value: str | None) -> str | None:
        if value is not None and not ATTRIBUTE.match(value):
            raise ValueError("must be an attribute name such as uid or sAMAccountName")
        return value

    @field_validator("user_filter")
    @classmethod
    def _filter(cls, value: str) -> str:
        value = value.strip()
        if value and not (value.startswith("(") and value.endswith(")")):
            raise ValueError("must be an LDAP filter in parentheses, e.g. (objectClass=person)")
        return value

    @model_validator(mode="after")
    def _tls_only_on_ldap_urls(self) -> LdapOptions:
        if self.start_tls and self.secure_url:
            raise ValueError("start_tls: ldaps:// is TLS already; drop start_tls or use ldap://")
        return self

    @property
    def secure_url(self) -> bool:
        return self.url.lower().startswith("ldaps://")

    @property
    def uses_start_tls(self) -> bool:
        return not self.secure_url and self.start_tls is not False

    @property
    def person_attribute(self) -> str:
        if self.user_attribute:
            return self.user_attribute
        return "sAMAccountName" if self.flavour is Flavour.ACTIVE_DIRECTORY else "uid"

    @property
    def marker_attribute(self) -> str:
        if self.owner_attribute:
            return self.owner_attribute
        return "info" if self.flavour is Flavour.ACTIVE_DIRECTORY else "description"
