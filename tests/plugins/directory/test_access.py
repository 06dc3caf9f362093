"""Staff profiles and blocked children in the directory target, and the access commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from plugins.directory.tables import block_t, grant_t
from plugins.directory.target import (
    DirectoryOptions,
    DirectoryTarget,
    add_hand_made_group,
    can_see,
    open_directory,
    visible_members,
)
from sync.contract import CAPABILITY_HIDE_MEMBERS, CAPABILITY_PROFILES
from sync.model import (
    AccessGrant,
    Block,
    Change,
    ChangeKind,
    Group,
    Membership,
    Roster,
    StaffProfile,
)
from sync.plan import make_plan
from sync.testing import make_context, sync_into
from tests.conftest import CliRun
from tests.plugins.school import groups_of, run_json, school

HARRY = "A123456789012"


def target(state_url: str, tmp_path: Path, sync: str = "default") -> DirectoryTarget:
    return DirectoryTarget(DirectoryOptions(url=state_url), make_context(tmp_path, sync=sync))


def roster(*blocks: Block) -> Roster:
    return Roster.build(
        groups=[Group("7A", "7A")],
        memberships=[Membership("7A", HARRY), Membership("7A", "ron")],
        grants=[AccessGrant("7A", "snape")],
        profiles=[StaffProfile("snape", "Teachers", frozenset({"log_concerns"}), "default")],
        blocks=blocks,
    )


def test_profiles_and_blocks_converge(state_url: str, tmp_path: Path) -> None:
    directory = target(state_url, tmp_path)
    assert {CAPABILITY_PROFILES, CAPABILITY_HIDE_MEMBERS} <= directory.capabilities
    wanted = roster(Block("snape", HARRY, "parent"))
    assert sync_into(directory, wanted) == []
    state = directory.read()
    assert state.roster.profiles["snape"].permissions == {"log_concerns"}
    assert state.roster.blocks == {Block("snape", HARRY)}
    assert state.managed_blocks == {("snape", HARRY)} and state.managed_profiles == {"snape"}
    assert make_plan(wanted, state, capabilities=directory.capabilities).changes == ()
    engine = open_directory(state_url)
    assert visible_members(engine, "snape", "7A") == ["ron"]
    assert sync_into(directory, roster()) == []
    assert visible_members(engine, "snape", "7A") == sorted([HARRY, "ron"])
    assert sync_into(directory, Roster.build()) == []
    assert directory.read().roster.profiles == {}


def test_a_block_hides_the_child_even_through_a_hand_made_grant(
    state_url: str, tmp_path: Path
) -> None:
    engine = open_directory(state_url)
    add_hand_made_group(engine, "Staff Room", "Staff Room", [HARRY])
    with engine.begin() as c:
        c.execute(sa.insert(grant_t).values(group_key="Staff Room", principal="snape"))
        c.execute(
            sa.insert(block_t).values(
                staff="snape", student=HARRY, reason="by hand", created_at=datetime.now(UTC)
            )
        )
    assert visible_members(engine, "snape", "Staff Room") == []
    answer = can_see(engine, "snape", HARRY)
    assert not answer.allowed and "hidden even in the granted groups Staff Room" in answer.reason
    # a sync never lifts a block it did not make
    directory = target(state_url, tmp_path)
    assert sync_into(directory, roster()) == []
    assert directory.read().roster.blocks == {Block("snape", HARRY)}
    refused = directory.apply([Change(ChangeKind.REMOVE_BLOCK, "", person="snape", student=HARRY)])
    assert [f.reason for f in refused] == [
        "it was set in the directory by hand; syncs never change it"
    ]


def test_blocked_children_stay_hidden_across_runs(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(tmp_path)
    blocked = rostersync(
        "manual", "block", "snape", HARRY, "--reason", "parent of the child", config=config
    )
    assert blocked.exit_code == 0, blocked.output
    for _ in range(3):
        assert run_json(rostersync, config, "sync")["status"] == "ok"
        check = rostersync("access", "check", "snape", HARRY, config=config)
        assert check.exit_code == 1
        assert check.output.startswith(f"no: {HARRY} is blocked from snape (parent of the child)")
        shown = json.loads(rostersync("access", "show", "snape", "--json", config=config).output)
        seven_a = next(g for g in shown["groups"] if g["key"] == "reg:7A")
        assert HARRY not in seven_a["visible"] and seven_a["hidden"] == 1
    # the admin still sees him in the group: the block hides him from snape only
    assert HARRY in groups_of(rostersync, config)["reg:7A"]["members"]
    assert rostersync("access", "check", "minerva", HARRY, config=config).exit_code == 1
    rostersync("manual", "unblock", "snape", HARRY, config=config)
    data = run_json(rostersync, config, "sync")
    assert [c["kind"] for c in data["changes"]] == ["remove_block"]
    check = rostersync("access", "check", "snape", HARRY, config=config)
    assert check.exit_code == 0 and check.output.startswith("yes: snape has access to 7A")


def test_access_show_prints_permissions_with_reasons(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(tmp_path)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    albus = rostersync("access", "show", "albus", config=config).output
    assert "albus: user group 'DSLs'" in albus
    assert "view_child_protection: view child protection concerns -- user group 'DSLs'" in albus
    assert "require_2fa_for_child_protection" in albus
    assert "is not given access to any group" in albus
    arthur = json.loads(rostersync("access", "show", "arthur", "--json", config=config).output)
    assert arthur["user_group"] == "Governors" and arthur["permissions"] == {}
    nobody = rostersync("access", "show", "nobody", config=config)
    assert nobody.exit_code == 1
    assert "unknown user 'nobody'" in nobody.stderr and nobody.stdout == ""


def test_access_check_says_no_without_a_double_negative(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(tmp_path)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    check = rostersync("access", "check", "nobody", HARRY, config=config)
    assert check.exit_code == 1
    assert check.output == f"no: nobody is not given access to any group that {HARRY} is in\n"


def test_a_directory_made_before_profiles_is_migrated_in_place(
    state_url: str, tmp_path: Path
) -> None:
    from plugins.directory.target import MIGRATIONS, VERSION_TABLE
    from sync.storage import migrate, open_database

    engine = open_database(state_url)
    migrate(engine, MIGRATIONS, VERSION_TABLE, revision="dir0001")
    assert "dir_block" not in sa.inspect(engine).get_table_names()
    with engine.begin() as c:  # a hand-made group, as that version stored it
        c.execute(
            sa.text(
                "INSERT INTO dir_group (key, name, managed_by, created_at) "
                "VALUES ('Staff Room', 'Staff Room', '', CURRENT_TIMESTAMP)"
            )
        )
        c.execute(sa.text("INSERT INTO dir_member VALUES ('Staff Room', 'minerva')"))
    directory = target(state_url, tmp_path)
    assert {"dir_block", "dir_profile"} <= set(sa.inspect(engine).get_table_names())
    assert "Staff Room" in directory.read().roster.groups
    assert sync_into(directory, roster(Block("snape", HARRY))) == []
