"""Edits made in the console to user groups and a staff member's user group: kept in the
state database by source, applied by the sources at read, under the rules config obeys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from plugins.permissions import (
    MANAGE_ALLEGATIONS_AGAINST_STAFF,
    RECEIVE_CHILD_PROTECTION_ALERTS,
    REQUIRE_2FA_FOR_CHILD_PROTECTION,
    VIEW_BEHAVIOUR,
    VIEW_CHILD_PROTECTION,
    EditRefused,
    StaffOptions,
    UserGroupOptions,
    UserGroups,
    check_group_edit,
    check_staff_edit,
)
from plugins.permissions.edits import PermissionEdits
from tests.conftest import CliRun
from tests.plugins.school import run_json, school


def state_url(folder: Path) -> str:
    return f"sqlite:///{folder}/state.db"


def access(rostersync: CliRun, config: Path, user: str) -> dict[str, Any]:
    result = rostersync("access", "show", user, "--json", config=config)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def test_a_user_group_chosen_in_the_console_reaches_the_directory(
    rostersync: CliRun, tmp_path: Path
) -> None:
    config = school(tmp_path)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    assert access(rostersync, config, "snape")["user_group"] == "Teachers"
    tables = sa.inspect(sa.create_engine(state_url(tmp_path))).get_table_names()
    assert "staff_member_group_edit" not in tables  # a read makes no table
    PermissionEdits(state_url(tmp_path)).put_staff("school", "snape", "dsls", by="alice")
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    snape = access(rostersync, config, "snape")
    assert snape["user_group"] == "DSLs"
    reason = snape["permissions"][VIEW_CHILD_PROTECTION]["reason"]
    assert "chosen in the console by alice" in reason
    assert REQUIRE_2FA_FOR_CHILD_PROTECTION in snape["permissions"]


def test_a_permission_unticked_in_the_console_wins_over_config(
    rostersync: CliRun, tmp_path: Path
) -> None:
    config = school(
        tmp_path,
        extra='[sources.school.user_groups.Teachers]\npermissions = ["log_concerns", '
        '"view_behaviour"]',
    )
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    assert VIEW_BEHAVIOUR in access(rostersync, config, "snape")["permissions"]
    edits = PermissionEdits(state_url(tmp_path))
    edits.put_group("school", "teachers", ["log_concerns"], by="alice")
    edits.put_group("manual", "Teachers", [], by="alice")  # another source's: not applied
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    snape = access(rostersync, config, "snape")
    assert list(snape["permissions"]) == ["log_concerns"]
    assert "edited in the console by alice" in snape["permissions"]["log_concerns"]["reason"]
    assert edits.remove_group("school", "Teachers")
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    assert VIEW_BEHAVIOUR in access(rostersync, config, "snape")["permissions"]


def test_the_manual_source_applies_its_edits(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(tmp_path)
    added = rostersync(
        "manual", "add-staff", "flitwick", "Filius", "Flitwick", "--user-group", "Teachers",
        config=config,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    PermissionEdits(state_url(tmp_path)).put_staff("manual", "flitwick", "SLTs", by="alice")
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    assert access(rostersync, config, "flitwick")["user_group"] == "SLTs"


def groups(**configured: list[str]) -> UserGroups:
    options = {name: UserGroupOptions(permissions=perms) for name, perms in configured.items()}
    return StaffOptions(user_groups=options).user_groups_for("school")


def test_viewing_child_protection_brings_2fa_and_alerts_need_the_view() -> None:
    change = check_group_edit(groups(), "SLTs", [VIEW_CHILD_PROTECTION], confirm_allegations=False)
    assert change.permissions == {VIEW_CHILD_PROTECTION, REQUIRE_2FA_FOR_CHILD_PROTECTION}
    assert change.added == {REQUIRE_2FA_FOR_CHILD_PROTECTION} and change.dropped == set()
    change = check_group_edit(
        groups(), "DSLs", [RECEIVE_CHILD_PROTECTION_ALERTS], confirm_allegations=False
    )
    assert change.permissions == set() and change.dropped == {RECEIVE_CHILD_PROTECTION_ALERTS}


def test_managing_allegations_needs_a_tick_and_a_confirmation() -> None:
    with pytest.raises(EditRefused, match="legally protected") as refused:
        check_group_edit(
            groups(), "DSLs", [MANAGE_ALLEGATIONS_AGAINST_STAFF], confirm_allegations=False
        )
    assert refused.value.field == MANAGE_ALLEGATIONS_AGAINST_STAFF
    given = check_group_edit(
        groups(), "DSLs", [MANAGE_ALLEGATIONS_AGAINST_STAFF], confirm_allegations=True
    )
    assert given.permissions == {MANAGE_ALLEGATIONS_AGAINST_STAFF}
    # a group config already gives it keeps it on a later save without a new confirmation
    head = groups(Head=[MANAGE_ALLEGATIONS_AGAINST_STAFF])
    kept = check_group_edit(
        head, "head", [MANAGE_ALLEGATIONS_AGAINST_STAFF], confirm_allegations=False
    )
    assert kept.name == "Head" and kept.permissions == {MANAGE_ALLEGATIONS_AGAINST_STAFF}


def test_unknown_groups_and_permissions_are_refused() -> None:
    with pytest.raises(EditRefused, match="'Cooks' is not a user group"):
        check_group_edit(groups(), "Cooks", [], confirm_allegations=False)
    with pytest.raises(EditRefused, match="unknown permission 'admin'"):
        check_group_edit(groups(), "DSLs", ["admin"], confirm_allegations=False)
    with pytest.raises(EditRefused, match="did you mean Teachers") as refused:
        check_staff_edit(groups(), "Teacher")
    assert refused.value.field == "user_group"
    assert check_staff_edit(groups(), " school business  manager") == "School Business Manager"


def test_edits_are_kept_by_source_with_who_and_when(tmp_path: Path) -> None:
    edits = PermissionEdits(state_url(tmp_path))
    edits.put_staff("school", "snape", "DSLs", by="alice")
    edits.put_staff("school", "snape", "SLTs", by="bob")
    edits.put_group("school", "TAs", [VIEW_BEHAVIOUR], by="alice")
    kept = PermissionEdits(state_url(tmp_path)).edits("school")
    assert kept.staff["snape"].user_group == "SLTs" and kept.staff["snape"].by == "bob"
    assert kept.staff["snape"].at.tzinfo is not None
    assert kept.groups["tas"].permissions == {VIEW_BEHAVIOUR}
    assert PermissionEdits(state_url(tmp_path)).edits("manual").staff == {}
    assert edits.remove_staff("school", "snape") and not edits.remove_staff("school", "snape")
    # a staff edit naming a group that no longer exists is not applied
    edits.put_staff("school", "snape", "Gone", by="alice")
    user_groups = StaffOptions().user_groups_for("school", edits.edits("school"))
    assert user_groups.profile("snape", "Teachers")[0].user_group == "Teachers"
