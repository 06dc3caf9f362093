"""One LDAP connection: TLS verified, bind, paged searches, and server answers mapped to
rostersync's errors.

A busy or unavailable server, a time limit and a dropped connection are passing faults
(``RetriableError``); everything else the server refuses is for good. Messages name the
DN involved and never the password.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ldap3
from ldap3.core.exceptions import (
    LDAPCertificateError,
    LDAPCommunicationError,
    LDAPException,
    LDAPOperationResult,
    LDAPSocketOpenError,
    LDAPStartTLSError,
)
from ldap3.operation.modify import change_table
from ldap3.protocol.controls import build_control
from ldap3.protocol.rfc4511 import (
    LDAPDN,
    AddRequest,
    Attribute,
    AttributeDescription,
    AttributeList,
    Change,
    Changes,
    ModifyRequest,
    Operation,
    PartialAttribute,
    Vals,
)
from ldap3.protocol.rfc4527 import post_read_control, pre_read_control
from ldap3.utils.conv import to_raw
from ldap3.utils.dn import safe_dn

from plugins.ldap.options import LdapOptions
from sync.api import RetriableError, TargetError

log = logging.getLogger(__name__)

#: The simple paged results control (RFC 2696), which ``paged_search`` sends.
PAGED_RESULTS = "1.2.840.113556.1.4.319"
#: Permissive modify: adding a value already there, or deleting one that is not, succeeds
#: (Active Directory and OpenLDAP both honour it), so a retried modify is harmless. Built
#: once: ldap3 builds a control given as a tuple again on every request.
PERMISSIVE_MODIFY = build_control("1.2.840.113556.1.4.1413", False, None)

#: RFC 4527: the entry's attributes just before and just after a write, in its answer.
PRE_READ = "1.3.6.1.1.13.1"
POST_READ = "1.3.6.1.1.13.2"

#: Result codes of a passing fault: timeLimitExceeded, busy, unavailable.
RETRIABLE_RESULTS = frozenset({3, 51, 52})

#: What an operator can do about a refusal, by result code.
HINTS = {
    49: "check bind_dn and password",
    50: "give the bind account the rights docs/targets/ldap.md lists",
    32: "check that the DN exists (groups_dn, users_dn)",
    65: "the entry breaks the directory's schema: check flavour and owner_attribute",
    17: "the directory's schema lacks an attribute: check flavour and owner_attribute",
    19: "the directory's constraints refuse the value",
    21: "the directory's schema refuses the value's syntax",
    13: "the server wants TLS: use ldaps:// or start_tls = true",
    8: "the server wants TLS: use ldaps:// or start_tls = true",
}


class Refused(Exception):
    """The server refused one operation for good (not a passing fault)."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code


@dataclass(frozen=True)
class Entry:
    """One search result: its DN and the attributes asked for (lists of values)."""

    dn: str
    attributes: Mapping[str, list[Any]]  # ldap3's, whose names match in any case

    def values(self, name: str) -> list[Any]:
        return self.attributes.get(name) or []


@dataclass(frozen=True)
class Written:
    """What the server said of the entry around one write (pre-read and post-read
    controls): None where it did not say (a server without RFC 4527, such as AD)."""

    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None


def _read_control(controls: Mapping[str, Any], oid: str) -> Mapping[str, Any] | None:
    value = (controls.get(oid) or {}).get("value")
    result = value.get("result") if isinstance(value, Mapping) else None
    return result if isinstance(result, Mapping) else None


@functools.cache
def _read_controls(before: tuple[str, ...], after: tuple[str, ...]) -> tuple[Any, ...]:
    """The pre-read control for ``before`` and the post-read one for ``after`` (each only
    when it names attributes), encoded once: pyasn1 takes a third of a millisecond to
    encode them, on each of 48,000 writes."""
    pre = (pre_read_control(list(before)),) if before else ()
    return pre + ((post_read_control(list(after)),) if after else ())


def _vals(values: object) -> Any:
    """An attribute's values as ldap3 sends them (``to_raw``: UTF-8, a number as text)."""
    vals = Vals()
    for index, value in enumerate(values if isinstance(values, list | tuple) else [values]):
        vals.setComponentByPosition(index, to_raw(value))
    return vals


def add_request(dn: str, attributes: Mapping[str, object]) -> Any:
    """ldap3's AddRequest for an entry of ``attributes`` (``objectClass`` among them), as
    ``Connection.add`` builds it but without its per-value schema checks (see
    ``modify_request``)."""
    attribute_list = AttributeList()
    for position, (name, values) in enumerate(attributes.items()):
        attribute = Attribute()
        attribute["type"] = AttributeDescription(name)
        attribute["vals"] = _vals(values)
        attribute_list[position] = attribute
    request = AddRequest()
    request["entry"] = LDAPDN(dn)
    request["attributes"] = attribute_list
    return request


def modify_request(dn: str, changes: Mapping[str, Sequence[tuple[str, Sequence[Any]]]]) -> Any:
    """ldap3's ModifyRequest for ``changes``, as ``Connection.modify`` builds it but
    without its per-value schema checks, which a connection that reads no schema
    (``get_info=NONE``) skips anyway after looking up four settings for each value:
    that and its way of filling the values were two thirds of building a modify of 26
    members, on each of 24,000 requests."""
    change_list = Changes()
    position = 0
    for attribute, operations in changes.items():
        for operation, values in operations:
            partial = PartialAttribute()
            partial["type"] = AttributeDescription(attribute)
            partial["vals"] = _vals(values)
            change = Change()
            change["operation"] = Operation(change_table[operation])
            change["modification"] = partial
            change_list[position] = change
            position += 1
    request = ModifyRequest()
    request["object"] = LDAPDN(dn)
    request["changes"] = change_list
    return request


def describe(exc: LDAPOperationResult) -> str:
    text = f"{exc.description} ({exc.result})"
    message = (exc.message or "").strip()
    if message:
        text += f": {message}"
    hint = HINTS.get(int(exc.result))
    return f"{text}; {hint}" if hint else text


class LdapConnection:
    """A bound connection to the directory, opened on first use."""

    def __init__(self, options: LdapOptions, where: str) -> None:
        self.options = options
        self.where = where
        self._connection: Any = None
        self._server_id: str | None = None

    @property
    def usage(self) -> Any:
        """ldap3's operation counters (``modify_operations`` ...) of the open connection."""
        return self.connection.usage

    @property
    def connection(self) -> Any:
        if self._connection is None:
            self._connection = self._open()
        return self._connection

    def _tls(self) -> ldap3.Tls | None:
        if not (self.options.secure_url or self.options.uses_start_tls):
            return None
        return ldap3.Tls(
            validate=ssl.CERT_REQUIRED,
            version=None,
            ca_certs_file=self.options.ca_file,
        )

    def _open(self) -> Any:
        options = self.options
        server = ldap3.Server(
            options.url,
            use_ssl=options.secure_url,
            tls=self._tls(),
            connect_timeout=options.connect_timeout_seconds,
            get_info=ldap3.NONE,
        )
        if not (options.secure_url or options.uses_start_tls):
            log.warning(
                "%s: start_tls = false on %s: the password and the directory's data cross the "
                "network in clear",
                self.where,
                options.url,
            )
        password = options.password.get_secret_value()
        connection = ldap3.Connection(
            server,
            user=options.bind_dn or None,
            password=password or None,
            authentication=ldap3.SIMPLE if options.bind_dn else ldap3.ANONYMOUS,
            receive_timeout=math.ceil(options.timeout_seconds),  # ldap3 packs an int
            raise_exceptions=True,
            collect_usage=True,
            auto_range=True,
            read_only=False,
        )
        who = options.bind_dn or "anonymous"
        try:
            connection.open()
            if options.uses_start_tls:
                connection.start_tls()
            connection.bind()
        except (LDAPCertificateError, LDAPStartTLSError, ssl.SSLError) as exc:
            raise self._tls_failed(exc) from None
        except LDAPOperationResult as exc:
            if int(exc.result) in RETRIABLE_RESULTS:
                raise RetriableError(f"{self.where}: bind as {who!r}: {describe(exc)}") from None
            raise TargetError(
                f"{self.where}: {options.url} refused the bind as {who!r}: {describe(exc)}"
            ) from None
        except (LDAPSocketOpenError, LDAPCommunicationError) as exc:
            if "ssl" in str(exc).lower() or "certificate" in str(exc).lower():
                raise self._tls_failed(exc) from None
            raise RetriableError(f"{self.where}: cannot reach {options.url}: {exc}") from None
        return connection

    def _tls_failed(self, exc: Exception) -> TargetError:
        return TargetError(
            f"{self.where}: TLS with {self.options.url} failed: {exc}; the server's certificate "
            "must be valid for the host in url and signed by a CA in ca_file (or the system's "
            "CAs)"
        )

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(LDAPException):
                self._connection.unbind()
            self._connection = None
            self._server_id = None

    def server_id(self) -> str:
        """Which server this connection talks to, as Active Directory names it (its
        ``dsServiceName``, which qualifies a ``uSNChanged``); "" when it does not say."""
        if self._server_id is None:
            root = self.entry("", ["dsServiceName"])
            values = root.values("dsServiceName") if root is not None else []
            self._server_id = str(values[0]) if values else ""
        return self._server_id

    def _fault(self, what: str, exc: LDAPException) -> RetriableError | Refused:
        """An ldap3 error as a passing fault (the connection is dropped) or a refusal."""
        if isinstance(exc, LDAPOperationResult) and int(exc.result) not in RETRIABLE_RESULTS:
            return Refused(int(exc.result), f"{what}: {describe(exc)}")
        self.close()  # a dropped or stuck connection is not used again
        detail = describe(exc) if isinstance(exc, LDAPOperationResult) else str(exc)
        return RetriableError(f"{self.where}: {what}: {detail}")

    def _read_fault(self, what: str, exc: LDAPException) -> RetriableError | TargetError:
        """A failed read: a passing fault, or a refusal that fails the run."""
        fault = self._fault(what, exc)
        return TargetError(f"{self.where}: {fault}") if isinstance(fault, Refused) else fault

    # -- reading --------------------------------------------------------------------------

    def search(self, base: str, search_filter: str, attributes: Sequence[str]) -> Iterator[Entry]:
        """Every entry under ``base`` matching the filter, one page at a time."""
        try:
            for item in self.connection.extend.standard.paged_search(
                base,
                search_filter,
                search_scope=ldap3.SUBTREE,
                attributes=list(attributes),
                paged_size=self.options.page_size,
                generator=True,
            ):
                if item.get("type") == "searchResEntry":
                    yield Entry(str(item["dn"]), item.get("attributes") or {})
        except LDAPException as exc:
            raise self._read_fault(f"searching {base!r} for {search_filter}", exc) from None

    def entry(
        self, dn: str, attributes: Sequence[str], search_filter: str = "(objectClass=*)"
    ) -> Entry | None:
        """One entry by DN, or None when it does not exist (or does not match the filter)."""
        try:
            self.connection.search(
                dn, search_filter, search_scope=ldap3.BASE, attributes=list(attributes)
            )
        except LDAPOperationResult as exc:
            if int(exc.result) == 32:  # noSuchObject
                return None
            raise self._read_fault(f"reading {dn!r}", exc) from None
        except LDAPException as exc:
            raise self._read_fault(f"reading {dn!r}", exc) from None
        for item in self.connection.response or []:
            if item.get("type") == "searchResEntry":
                return Entry(str(item["dn"]), item.get("attributes") or {})
        return None

    # -- writing: each raises Refused for good, RetriableError for a passing fault ---------

    # ``before`` and ``after``: attributes the server is asked to answer with, as they were
    # just before and just after the write (RFC 4527 pre-read and post-read, not critical:
    # a server without them just writes).

    def add(
        self,
        dn: str,
        object_classes: list[str],
        attributes: dict[str, object],
        after: Sequence[str] = (),
    ) -> Written:
        controls = list(_read_controls((), tuple(after)))
        entry = {**attributes, "objectClass": object_classes}  # (where ldap3 puts it)
        return self._write(
            f"add {dn!r}", lambda c: self._send(c, "addRequest", entry, dn, controls)
        )

    def modify(
        self,
        dn: str,
        changes: dict[str, list[tuple[str, list[Any]]]],
        before: Sequence[str] = (),
        after: Sequence[str] = (),
    ) -> Written:
        controls = [PERMISSIVE_MODIFY, *_read_controls(tuple(before), tuple(after))]
        return self._write(
            f"modify {dn!r}", lambda c: self._send(c, "modifyRequest", changes, dn, controls)
        )

    def rename(
        self, dn: str, new_rdn: str, before: Sequence[str] = (), after: Sequence[str] = ()
    ) -> Written:
        controls = list(_read_controls(tuple(before), tuple(after)))
        return self._write(
            f"rename {dn!r} to {new_rdn!r}", lambda c: c.modify_dn(dn, new_rdn, controls=controls)
        )

    def delete(self, dn: str) -> None:
        try:
            self._write(f"delete {dn!r}", lambda c: c.delete(dn))
        except Refused as exc:
            if exc.code != 32:  # already gone is what was wanted
                raise

    @staticmethod
    def _send(
        connection: Any, kind: str, content: Mapping[str, Any], dn: str, controls: list[Any]
    ) -> None:
        """What ``Connection.add`` or ``Connection.modify`` does (``kind`` "addRequest":
        ``content`` is the entry's attributes; "modifyRequest": the changes), with the
        request built here: sent, its answer in ``connection.result``, a refusal raised
        (``raise_exceptions``)."""
        if connection.check_names:
            dn = safe_dn(dn)
        build = add_request if kind == "addRequest" else modify_request
        request = build(dn, content)
        with connection.connection_lock:
            connection.post_send_single_response(connection.send(kind, request, controls))

    def _write(self, what: str, send: Callable[[Any], object]) -> Written:
        """``send`` the write on the connection; what the server said of the entry."""
        try:
            send(self.connection)
        except LDAPException as exc:
            raise self._fault(what, exc) from None
        controls = (self.connection.result or {}).get("controls") or {}
        return Written(_read_control(controls, PRE_READ), _read_control(controls, POST_READ))
