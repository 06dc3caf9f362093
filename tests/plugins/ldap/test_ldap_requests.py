"""The ldap target's own add and modify requests: the bytes ldap3's ``Connection.add`` and
``Connection.modify`` would send for the same entry or changes (they skip only ldap3's
per-value schema checks, which a connection without a schema never applies)."""

from __future__ import annotations

from typing import Any

import ldap3
import pytest
from ldap3.operation.add import add_operation
from ldap3.operation.modify import modify_operation
from ldap3.utils.asn1 import encode

from plugins.ldap.connection import add_request, modify_request
from plugins.ldap.options import Flavour
from plugins.ldap.schema import GroupSchema

GROUP = "cn=Potions\\, Advanced,ou=groups,dc=example,dc=org"
CHANGES: list[dict[str, Any]] = [
    {"member": [(ldap3.MODIFY_ADD, ["uid=harry_potter,ou=people,dc=example,dc=org"])]},
    {
        "member": [
            (ldap3.MODIFY_ADD, [f"uid=s{n},ou=people,dc=example,dc=org" for n in range(30)]),
            (ldap3.MODIFY_DELETE, ["cn=empty", "uid=rené_ærø,ou=people,dc=example,dc=org"]),
        ]
    },
    {"sAMAccountName": [(ldap3.MODIFY_REPLACE, ["Potions_ Advanced"])], "info": []},
    {"member": [(ldap3.MODIFY_DELETE, [])], "groupType": [(ldap3.MODIFY_REPLACE, [-2])]},
]


@pytest.mark.parametrize("changes", CHANGES)
def test_a_modify_request_is_the_one_ldap3_builds(changes: dict[str, Any]) -> None:
    ours = encode(modify_request(GROUP, changes))
    assert ours == encode(modify_operation(GROUP, changes, auto_encode=True))
    assert GROUP.encode() in ours


@pytest.mark.parametrize("flavour", list(Flavour))
def test_an_add_request_is_the_one_ldap3_builds(flavour: Flavour) -> None:
    schema = GroupSchema(flavour, "description", "cn=empty,dc=example,dc=org")
    classes, attributes = schema.new_entry("Potions, Advanced ÿ", "rostersync:d:sec-1")
    entry = {**attributes, "objectClass": classes}
    ours = encode(add_request(GROUP, entry))
    assert ours == encode(add_operation(GROUP, entry, auto_encode=True))
    assert "Potions, Advanced ÿ".encode() in ours
