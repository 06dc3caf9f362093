"""The manual-entry store through ``rostersync manual ...``, used as a source like any other."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plugins.manual import ManualOptions, ManualSource
from plugins.manual.entries import Entry
from plugins.manual.store import ManualStore
from sync.model import AccessGrant, Block, Membership, Role
from sync.testing import PluginKit, SourceContract, make_context
from tests.conftest import CliRun
from tests.plugins.school import groups_of, run_json, school


def manual_source(state_url: str, tmp_path: Path) -> ManualSource:
    return ManualSource(ManualOptions(url=state_url), make_context(tmp_path, name="manual"))


def fill(store: ManualStore) -> None:
    store.put_person(
        Entry("A1", Role.STUDENT, "Harry", "Potter", "", {"registration_group": "7A"}, "")
    )
    store.put_person(Entry("snape", Role.STAFF, "Severus", "Snape", "", {}, "Teachers"))
    store.put_group("chess", "Chess Club")
    store.put_member("chess", "A1", False)
    store.put_member("chess", "snape", True)
    store.put_block("snape", "A1", "relative")


class TestManualContract(SourceContract):
    not_applicable = {
        "test_a_fatal_error_fails_the_run_and_the_target_is_not_touched": "the manual store is "
        "the state database itself: when it fails, the run fails before any source is read",
        "test_a_passing_fault_is_retried_or_raised_as_retriable": "the manual store is the state "
        "database itself (its passing faults are the store's, tested there)",
        "test_a_bad_record_is_skipped_and_the_rest_are_read": "every entry is validated when it "
        "is made (rostersync manual ...), so the store holds no bad record",
    }

    @pytest.fixture
    def source_kit(self, state_url: str, tmp_path: Path) -> PluginKit:
        fill(ManualStore(state_url))
        return PluginKit.for_source(tmp_path, {"plugin": "manual"}, state_url=state_url)


def test_the_store_reads_as_a_roster(state_url: str, tmp_path: Path) -> None:
    fill(ManualStore(state_url))
    roster = manual_source(state_url, tmp_path).read().roster
    assert set(roster.groups) == {"chess", "reg:7A"}
    assert roster.memberships == {Membership("chess", "A1"), Membership("reg:7A", "A1")}
    assert roster.grants == {AccessGrant("chess", "snape")}
    assert roster.blocks == {Block("snape", "A1")}
    assert roster.profiles["snape"].user_group == "Teachers"


def test_the_commands(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(tmp_path)

    def run(*args: str) -> str:
        result = rostersync("manual", *args, config=config)
        assert result.exit_code == 0, result.output
        return result.output

    assert "added student B1" in run(
        "add-student", "Luna", "Lovegood", "--dob", "13/02/2012", "--upn", "b1",
        "--registration-group", "6L",
    )  # fmt: skip
    assert "updated student B1" in run(
        "add-student", "Luna", "Lovegood", "--dob", "13/02/2012", "--upn", "B1",
        "--registration-group", "6W",
    )  # fmt: skip
    assert "added staff member hagrid" in run(
        "add-staff", "hagrid", "Rubeus", "Hagrid", "--user-group", "TAs"
    )
    run("add-group", "club:creatures", "--name", "Magical Creatures")
    assert "gave hagrid access to club:creatures" in run("add-member", "club:creatures", "hagrid")
    assert "added B1 to club:creatures" in run("add-member", "club:creatures", "B1")
    run("block", "hagrid", "B1", "--reason", "allegation under investigation")
    listed = json.loads(run("list", "--json"))
    assert [p["id"] for p in listed["people"]] == ["B1", "hagrid"]
    assert listed["people"][0]["attributes"]["registration_group"] == "6W"
    assert listed["blocks"] == [
        {"staff": "hagrid", "student": "B1", "reason": "allegation under investigation"}
    ]
    run("remove", "B1", "--from", "club:creatures")
    run("unblock", "hagrid", "B1")
    run("remove", "club:creatures")
    listed = json.loads(run("list", "--json"))
    assert listed["groups"] == {} and listed["members"] == [] and listed["blocks"] == []
    run("remove", "hagrid")
    assert "hagrid" not in run("list")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add-member", "nowhere", "B1"), "unknown group 'nowhere'"),
        (("remove", "nobody"), "no manual person or group 'nobody'"),
        (("unblock", "snape", "A1"), "A1 is not blocked from snape"),
        (("add-student", "A", "B", "--dob", "31/02/2012"), "no such date"),
        (("add-student", "A", "B", "--dob", "01/02/2012", "--gender", "x"), "Male, Female"),
        (("block", "snape", "A1", "--reason", " "), "give a reason"),
    ],
)
def test_mistakes_are_refused_with_advice(
    rostersync: CliRun, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = rostersync("manual", *args, config=school(tmp_path))
    assert result.exit_code == 2
    assert message in result.output


def test_manual_listed_first_wins_and_the_report_says_so(
    rostersync: CliRun, tmp_path: Path
) -> None:
    config = school(tmp_path)
    rostersync(
        "manual", "add-student", "Harry", "Potter", "--dob", "31/07/2011", "--upn",
        "A123456789012", "--registration-group", "7B", config=config,
    )  # fmt: skip
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "ok", data
    said = [i["message"] for i in data["issues"] if i["value"] == "A123456789012"]
    assert said == [
        "person 'A123456789012' is defined differently by 'manual' and 'school'; "
        "'manual' wins (listed first)"
    ]
    groups = groups_of(rostersync, config)
    # memberships are a union: the CSV's 7A and the manual 7B both hold him
    assert "A123456789012" in groups["reg:7B"]["members"]


def test_csv_listed_first_wins(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(tmp_path, sources=("school", "manual"))
    rostersync(
        "manual", "add-staff", "snape", "Severus", "Snape", "--user-group", "DSLs", config=config
    )
    data = run_json(rostersync, config, "sync")
    assert any(
        "user group of 'snape' is 'Teachers' in 'school' and 'DSLs' in 'manual'; 'school' wins"
        in i["message"]
        for i in data["issues"]
    )
    shown = rostersync("access", "show", "snape", "--json", config=config)
    assert json.loads(shown.output)["user_group"] == "Teachers"


def test_a_manual_entry_without_a_csv_source(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(tmp_path, sources=("manual",))
    rostersync("manual", "add-student", "Luna", "Lovegood", "--dob", "2012-02-13",
               "--registration-group", "6L", config=config)  # fmt: skip
    rostersync("manual", "add-staff", "flitwick", "Filius", "Flitwick", "--user-group",
               "Teachers", config=config)  # fmt: skip
    rostersync("manual", "add-member", "reg:6L", "flitwick", config=config)
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "ok", data
    assert groups_of(rostersync, config)["reg:6L"]["access"] == ["flitwick"]
