"""Staff user groups and permissions: the seeds' defaults and what config may change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from plugins.permissions import (
    ADMINISTRATION,
    DEFAULT_USER_GROUPS,
    MANAGE_ALLEGATIONS_AGAINST_STAFF,
    RECEIVE_CHILD_PROTECTION_IMMEDIATE_EMAILS,
    REQUIRE_2FA_FOR_CHILD_PROTECTION,
    VIEW_CHILD_PROTECTION,
    StaffOptions,
    UserGroupOptions,
    UserGroups,
)
from tests.conftest import CliRun
from tests.plugins.school import run_json, school


def holders(permission: str) -> set[str]:
    return {g for g, perms in DEFAULT_USER_GROUPS.items() if permission in perms}


def test_the_seven_standard_groups() -> None:
    assert list(DEFAULT_USER_GROUPS) == [
        "DSLs", "School Business Manager", "Admin Team", "SLTs", "Teachers", "TAs", "Governors",
    ]  # fmt: skip


def test_only_dsls_see_child_protection_with_2fa_and_immediate_alerts() -> None:
    assert holders(VIEW_CHILD_PROTECTION) == {"DSLs"}
    assert holders(RECEIVE_CHILD_PROTECTION_IMMEDIATE_EMAILS) == {"DSLs"}
    assert holders(REQUIRE_2FA_FOR_CHILD_PROTECTION) == {"DSLs"}


def test_nobody_manages_allegations_and_administration_is_for_sbm_and_dsls() -> None:
    assert holders(MANAGE_ALLEGATIONS_AGAINST_STAFF) == set()
    assert holders(ADMINISTRATION) == {"DSLs", "School Business Manager"}


def test_viewing_child_protection_always_requires_2fa() -> None:
    groups = UserGroups(
        {"Pastoral": UserGroupOptions(permissions=[VIEW_CHILD_PROTECTION])}, where="[x]"
    )
    profile, warning = groups.profile("a", "pastoral")
    assert profile.permissions == {VIEW_CHILD_PROTECTION, REQUIRE_2FA_FOR_CHILD_PROTECTION}
    assert profile.user_group == "Pastoral" and warning == ""


def test_alerts_need_the_view_permission() -> None:
    groups = UserGroups(
        {"Office": UserGroupOptions(permissions=[RECEIVE_CHILD_PROTECTION_IMMEDIATE_EMAILS])},
        where="[x]",
    )
    assert groups.profile("a", "Office")[0].permissions == frozenset()


def test_an_undefined_group_gets_the_teachers_rights_and_a_warning() -> None:
    profile, warning = UserGroups({}, where="[sources.school]").profile("molly", " Kitchen ")
    assert profile.permissions == DEFAULT_USER_GROUPS["Teachers"]
    assert profile.user_group == "Kitchen"
    assert "'Kitchen' is not defined; 'molly' gets the 'Teachers' rights" in warning
    assert "[sources.school.user_groups]" in warning


def test_unknown_permissions_and_fallbacks_are_config_errors() -> None:
    with pytest.raises(ValidationError, match="unknown permission 'admin'"):
        UserGroupOptions(permissions=["admin"])
    with pytest.raises(ValidationError, match="fallback_user_group 'Cooks' is not a user group"):
        StaffOptions(fallback_user_group="Cooks")


def test_config_overrides_a_group_through_the_cli(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(
        tmp_path,
        extra='[sources.school.user_groups.Teachers]\npermissions = ["log_concerns"]\n'
        '[sources.school.user_groups.Head]\npermissions = ["manage_allegations_against_staff"]',
    )
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    snape = json.loads(rostersync("access", "show", "snape", "--json", config=config).output)
    assert snape["permissions"] == {
        "log_concerns": {
            "meaning": "log concerns about students",
            "reason": "user group 'Teachers' (configured in [sources.school.user_groups])",
        }
    }


def test_a_typo_in_a_permission_stops_the_run(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(tmp_path, extra='[sources.school.user_groups.DSLs]\npermissions = ["admin"]')
    result = rostersync("sync", config=config)
    assert result.exit_code == 2
    assert "[sources.school.user_groups.DSLs] permissions: " in result.output
    assert "unknown permission 'admin'" in result.output
