"""A school configured with the roster CSV, the manual store and the directory, for CLI tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import CliRun, write_csv

STUDENTS_HEADER = "First Name,Surname,Date Of Birth,Gender,Year Group,Registration Group,UPN"
STAFF_HEADER = "First Name,Surname,Job Role,User Group,Email,Registration Group"

STUDENTS = (
    STUDENTS_HEADER,
    "Harry,Potter,31/07/2011,M,7,7A,A123456789012",
    "Ron,Weasley,01/03/2011,Male,7,7A,",
    "Hermione,Granger,19/09/2011,F,7,7B,",
    "Ginny,Weasley,11/08/2012,female,6,6W,",
)
STAFF = (
    STAFF_HEADER,
    'Severus,Snape,Teacher,Teachers,snape@hogwarts.sch.uk,"7A,7B"',
    "Minerva,McGonagall,Deputy Head,SLTs,minerva@hogwarts.sch.uk,7B",
    "Albus,Dumbledore,Head,DSLs,albus@hogwarts.sch.uk,",
    "Arthur,Weasley,Governor,Governors,arthur@hogwarts.sch.uk,",
)

CONFIG = """\
[state]
url = "sqlite:///{folder}/state.db"

[sync]
sources = {sources}
target = "console"
retry_wait_seconds = 0

[sync.guards]
max_rejected_percent = {max_rejected}

[sources.manual]
plugin = "manual"

[sources.school]
plugin = "roster_csv"
students_file = "students.csv"
staff_file = "staff.csv"
identity = "email_local_part"
{extra}

[targets.console]
plugin = "directory"
"""


def school(
    folder: Path,
    *,
    students: tuple[str, ...] = STUDENTS,
    staff: tuple[str, ...] = STAFF,
    sources: tuple[str, ...] = ("manual", "school"),
    max_rejected: int = 50,
    extra: str = "",
) -> Path:
    """Write the two files and a config; returns the config's path."""
    write_csv(folder / "students.csv", *students)
    write_csv(folder / "staff.csv", *staff)
    config = folder / "school.toml"
    config.write_text(
        CONFIG.format(
            folder=folder,
            sources=json.dumps(list(sources)),
            max_rejected=max_rejected,
            extra=extra,
        )
    )
    return config


def run_json(rostersync: CliRun, config: Path, *args: str) -> dict[str, Any]:
    result = rostersync(*args, "--json", config=config)
    data: dict[str, Any] = json.loads(result.output)
    data["exit_code"] = result.exit_code
    return data


def groups_of(rostersync: CliRun, config: Path) -> dict[str, dict[str, Any]]:
    result = rostersync("show", "--json", config=config)
    assert result.exit_code == 0, result.output
    return {g["key"]: g for g in json.loads(result.output)["groups"]}
