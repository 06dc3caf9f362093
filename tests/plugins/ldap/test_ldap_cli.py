"""The seed's Impero example synced into slapd through the command line, as an admin
types it: end to end, a rerun that modifies nothing, a wrong password, and a sync killed
mid-apply that the next run completes."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.conftest import CliRun
from tests.fakes.entry_points import install_entry_point, rostersync_env
from tests.fakes.slapd import SERVICE_DN, SERVICE_PASSWORD, Slapd, Tree
from tests.fakes.stalling_target import kill_when_stalled
from tests.plugins.ldap.test_ldap_target import groups_in, member_ids
from tests.sync.run.test_faults import assert_the_rerun_converges

pytestmark = pytest.mark.ldap


LDAP_CONFIG = """\
[state]
url = "sqlite:///{state}"

[sync]
sources = ["school"]
target = "ad"
retry_wait_seconds = 0
{extra_sync}

[sources.school]
plugin = "impero_csv"
path = "impero"

[targets.ad]
plugin = "{plugin}"
url = "{url}"
ca_file = "{ca_file}"
bind_dn = "{bind_dn}"
password = {{ env = "LDAP_TEST_PASSWORD" }}
groups_dn = "{groups_dn}"
users_dn = "{users_dn}"
user_attribute = "uid"
flavour = "openldap"
{extra_target}
"""


def ldap_config(
    workdir: Path,
    slapd: Slapd,
    tree: Tree,
    *,
    plugin: str = "ldap",
    extra_sync: str = "",
    extra_target: str = "",
) -> str:
    return LDAP_CONFIG.format(
        state=workdir / "ldap-state.db",
        url=f"ldap://localhost:{slapd.port}",  # with StartTLS, verified with the test CA
        ca_file=slapd.ca_file,
        bind_dn=SERVICE_DN,
        groups_dn=tree.groups_dn,
        users_dn=tree.users_dn,
        plugin=plugin,
        extra_sync=extra_sync,
        extra_target=extra_target,
    )


@pytest.fixture
def config(workdir: Path, slapd: Slapd, tree: Tree, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LDAP_TEST_PASSWORD", SERVICE_PASSWORD)
    path = workdir / "ldap.toml"
    path.write_text(ldap_config(workdir, slapd, tree))
    return path


def shown(rostersync: CliRun, config: Path) -> list[dict[str, object]]:
    result = rostersync("show", "--json", config=config)
    assert result.exit_code == 0, result.output
    return [g for g in json.loads(result.output)["groups"] if g["managed"]]


def test_the_seed_example_end_to_end_then_a_rerun_modifies_nothing(
    rostersync: CliRun, config: Path, slapd: Slapd, tree: Tree
) -> None:
    assert rostersync("sync").exit_code == 0  # the directory target, for comparison
    result = rostersync("sync", config=config)
    assert result.exit_code == 0, result.output
    assert "created 4 groups, added 5 members, granted 5 access rights" in result.output
    assert shown(rostersync, config) == shown(rostersync, Path(str(config.parent / "config.toml")))
    assert member_ids(slapd, tree, "Dark Arts - staff") == {"Amycus_Carrow", "Severus_Snape"}
    assert member_ids(slapd, tree, "Potions") == {"Harry_Potter", "Ron_Weasley"}
    assert SERVICE_PASSWORD not in result.output

    mark = slapd.log_mark()
    again = rostersync("sync", "--json", config=config)
    assert again.exit_code == 0, again.output
    data = json.loads(again.output)
    assert data["status"] == "ok" and data["changes"] == []
    searches = slapd.searches(mark)
    assert searches  # it read the groups, without their members, and no user
    assert [s for s in searches if "member" in s.attributes or s.base == tree.users_dn] == []
    for kind in ("MOD", "ADD", "DEL", "MODRDN"):
        assert slapd.operations(mark, kind) == [], kind


def test_a_moved_student_through_the_cli(
    rostersync: CliRun, config: Path, slapd: Slapd, tree: Tree, workdir: Path
) -> None:
    assert rostersync("sync", config=config).exit_code == 0
    students = workdir / "impero" / "students.csv"
    students.write_text(students.read_text().replace("Ron_Weasley,Potions", "Ron_Weasley,Flying"))
    mark = slapd.log_mark()
    result = rostersync("sync", config=config)
    assert result.exit_code == 0, result.output
    assert len(slapd.operations(mark, "MOD")) == 2
    assert member_ids(slapd, tree, "Flying") == {"Harry_Potter", "Ron_Weasley"}
    assert member_ids(slapd, tree, "Potions") == {"Harry_Potter"}


def test_a_wrong_password_fails_the_run_and_is_never_shown(
    rostersync: CliRun, config: Path, monkeypatch: pytest.MonkeyPatch, tree: Tree
) -> None:
    wrong = "Not-The-Pa55word-42"
    monkeypatch.setenv("LDAP_TEST_PASSWORD", wrong)
    result = rostersync("sync", config=config)
    assert result.exit_code == 1, result.output
    assert "refused the bind as 'cn=rostersync,dc=school,dc=example'" in result.output
    assert "invalidCredentials" in result.output
    runs = rostersync("runs", "--json", config=config)
    assert wrong not in result.output and wrong not in runs.output


def test_a_missing_user_is_reported_and_the_run_ends_partial(
    rostersync: CliRun, config: Path, workdir: Path, tree: Tree
) -> None:
    students = workdir / "impero" / "students.csv"
    students.write_text(students.read_text() + "Neville_Longbottom,Flying\n")
    result = rostersync("sync", config=config)
    assert result.exit_code == 3, result.output
    assert "uid='Neville_Longbottom'" in result.output
    assert "does not create accounts" in result.output


@pytest.mark.slow
def test_sigkill_mid_apply_then_the_next_run_converges(
    workdir: Path, slapd: Slapd, tree: Tree, tmp_path: Path
) -> None:
    site = install_entry_point(
        tmp_path / "site", "stalling-ldap", "stall", "tests.fakes.stalling_target"
    )
    env = {**rostersync_env(site), "LDAP_TEST_PASSWORD": SERVICE_PASSWORD}
    config = workdir / "ldap.toml"
    good = ldap_config(workdir, slapd, tree, extra_sync="batch_size = 2")
    marker = tmp_path / "stalled"
    config.write_text(
        ldap_config(
            workdir,
            slapd,
            tree,
            plugin="stalling_ldap",
            extra_sync="batch_size = 2",
            extra_target=f'stall_after = 3\nmarker = "{marker}"',
        )
    )
    assert kill_when_stalled(config, marker, env) == -signal.SIGKILL
    partly = groups_in(slapd, tree.groups_dn)
    assert partly and "Muggle Studies - staff" not in partly  # it stopped half way

    config.write_text(good)
    assert_the_rerun_converges(config, env)
    assert len(groups_in(slapd, tree.groups_dn)) == 8  # no group made twice
