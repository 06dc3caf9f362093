"""The spreadsheet import over HTTP (the roster_csv plugin's console pages): templates,
what an upload may be, the column matching, the check, fixes kept, and what an import
that is not completed, or two completed at once, do to the files."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from sync.app import App
from sync.cli import make_cli
from sync.plugins import load_plugins
from sync.web.accounts import Accounts
from tests.sync import gate_plugin
from tests.web import import_school as school
from tests.web.conftest import PASSWORDS, Running, serve, sign_in
from tests.web.import_client import PREFIX, ImportClient, flash
from tests.web.test_console_runs import wait_for


def rostersync(folder: Path, *args: str) -> Result:
    """``rostersync --config FOLDER/config.toml ARGS``, as a user types it."""
    config = str(folder / "config.toml")
    return CliRunner().invoke(make_cli(), ["--config", config, *args], catch_exceptions=False)


def _running(folder: Path, extra: str = "") -> Iterator[Running]:
    school.write_school(folder, extra=extra)
    app = App(config_path=str(folder / "config.toml"), plugins=load_plugins(entry_points=False))
    yield from serve(app, folder)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Running]:
    yield from _running(tmp_path)


@pytest.fixture
def alice(console: Running) -> Iterator[ImportClient]:
    with closing(console.signed_in("alice")) as client:
        yield ImportClient(client)


def _tables(folder: Path) -> set[str]:
    engine = sa.create_engine(f"sqlite:///{folder / 'state.db'}")
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _completed(alice: ImportClient, content: bytes, *fixes: tuple[int, dict[str, str]]) -> None:
    assert alice.upload(content).status_code == 303
    assert alice.match().headers["location"].endswith("/check")
    for line, changes in fixes:
        assert alice.fix(line, **changes).status_code == 303
    answer = alice.complete()
    assert answer.headers["location"].endswith("/done"), flash(alice.client, answer)


def test_the_templates_are_the_commands_templates(alice: ImportClient, tmp_path: Path) -> None:
    for kind in ("students", "staff"):
        assert (
            rostersync(tmp_path, "template", kind, "-o", str(tmp_path / f"{kind}.csv")).exit_code
            == 0
        )
        download = alice.client.get(f"{PREFIX}/template/{kind}.csv")
        assert download.status_code == 200
        assert download.content == (tmp_path / f"{kind}.csv").read_bytes()
        assert download.content.startswith(b"\xef\xbb\xbfFirst Name,Surname,")


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("pupils.xlsx", b"PK\x03\x04 a spreadsheet"),
        ("pupils.csv", b"PK\x03\x04 an xlsx renamed to .csv"),
        ("pupils.csv", b"\xd0\xcf\x11\xe0 an old .xls"),
        ("pupils.txt", school.spreadsheet()),
    ],
)
def test_only_a_csv_is_accepted_with_backdrops_clear_message(
    alice: ImportClient, console: Running, filename: str, content: bytes
) -> None:
    answer = alice.upload(content, filename)
    assert answer.status_code == 303 and "/columns" not in answer.headers["location"]
    assert flash(alice.client, answer) == (
        "Only .CSV files can be uploaded. Save the spreadsheet as a *.CSV file (in Excel: "
        "File > Save As > CSV UTF-8) and upload that."
    )
    imports = console.workdir / ".rostersync" / "imports"
    assert not imports.exists() or not [p for p in imports.iterdir() if p.is_dir()]


def test_the_size_limit_is_the_sources_option(tmp_path: Path) -> None:
    for running in _running(tmp_path, extra="upload_max_mb = 0.002\n"):
        with closing(running.signed_in("alice")) as client:
            alice = ImportClient(client)
            answer = alice.upload(school.spreadsheet())  # about 2.1 KB
            assert flash(client, answer) == (
                "the file is bigger than 0.002 MB, the most this import accepts "
                "(upload_max_mb in the source's options)"
            )
            small = school.spreadsheet()[:1500].rsplit(b"\r\n", 1)[0] + b"\r\n"
            assert alice.upload(small).headers["location"].endswith("/columns")
            huge = alice.client.post(
                f"{PREFIX}/import",
                data={"csrf_token": alice.token, "source": "school", "kind": "students"},
                files={"file": ("big.csv", b"a,b\r\n" * 100_000, "text/csv")},
            )
            assert huge.status_code == 413  # refused before the body is parsed


def test_importing_needs_an_operator_and_every_form_its_csrf_token(console: Running) -> None:
    with closing(console.signed_in("vera")) as vera:
        assert vera.get(f"{PREFIX}/import").status_code == 403
        assert vera.get(f"{PREFIX}/template/students.csv").status_code == 200
        assert "Import</a>" not in vera.get("/").text
        refused = ImportClient(vera).upload(school.spreadsheet())
        assert refused.status_code == 403
    with closing(console.signed_in("oscar")) as oscar:
        operator = ImportClient(oscar)
        assert '<a href="/p/roster_csv/import"' in oscar.get("/").text
        assert operator.upload(school.spreadsheet()).status_code == 303
        assert operator.match().status_code == 303
        assert operator.complete(token="forged").status_code == 403
    with closing(console.signed_in("alice")) as alice:  # an import belongs to who started it
        assert alice.get(f"{operator.here}/check").status_code == 404


def test_the_columns_are_prefilled_with_suggestions_for_unknown_headers(
    alice: ImportClient,
) -> None:
    alice.upload(school.spreadsheet())
    page = alice.client.get(f"{alice.here}/columns").text
    assert alice.preselected() == {
        "col-0": "first_name",  # Forename, suggested
        "col-1": "surname",  # Surname, matched as `rostersync columns` matches it
        "col-2": "date_of_birth",  # DOB
        "col-3": "gender",  # Sex
        "col-4": "year_group",  # Yr
        "col-5": "registration_group",  # Reg
        "col-6": "upn",  # Pupil Number
        "col-7": "",  # Notes: ignored
    }
    assert page.count("suggested</span>") == 6
    missing = alice.match({**alice.preselected(), "col-2": ""})
    assert missing.status_code == 400 and "choose a column for Date Of Birth" in missing.text
    twice = alice.match({**alice.preselected(), "col-7": "surname"})
    assert twice.status_code == 400
    assert "Surname is chosen for 2 columns (&#39;Surname&#39;, &#39;Notes&#39;)" in twice.text


def test_the_check_shows_every_rejected_row_with_its_field_and_reason(
    alice: ImportClient,
) -> None:
    alice.upload(school.spreadsheet())
    alice.match()
    rows = alice.row_classes()
    rejected = sorted(line for line, classes in rows.items() if "rejected" in classes)
    assert rejected == sorted(school.line_of(what) for what in school.BAD)
    page = alice.check()
    assert "<strong>DOB</strong>: no such date (day 31, month 2, year 2012)" in page
    assert "<strong>Sex</strong>: gender must be Male, Female, M, F or blank" in page
    assert "UPN M100000000001 is also on line 2 with different details" in page
    assert "<strong>Surname</strong>: the surname is empty" in page
    assert "<strong>Pupil Number</strong>: a UPN has only letters and digits" in page
    assert '<td class="bad" title="no such date' in page


def test_a_half_finished_import_changes_nothing(alice: ImportClient, console: Running) -> None:
    before = (console.workdir / "data" / "students.csv").read_bytes()
    alice.upload(school.spreadsheet())
    alice.match()
    alice.fix(school.line_of("date"), date_of_birth="28/02/2012")
    assert "corrected" in alice.row_classes()[school.line_of("date")]
    # ... and the browser is closed at the check step.
    assert (console.workdir / "data" / "students.csv").read_bytes() == before
    assert not {"roster_csv_layout", "roster_csv_correction"} & _tables(console.workdir)
    assert console.app.store.runs("default", limit=5) == []
    result = rostersync(console.workdir, "sync", "--json")
    assert result.exit_code == 0, result.output
    assert school.target_groups(console.app) == {
        "reg:9Z": {"Z100000000001"},
        "reg:10Z": {"Z100000000002"},
    }


def test_complete_installs_the_file_syncs_and_the_next_upload_keeps_the_fixes(
    alice: ImportClient, console: Running
) -> None:
    date, gender = school.line_of("date"), school.line_of("gender")
    _completed(
        alice,
        school.spreadsheet(),
        (date, {"date_of_birth": "28/02/2012"}),
        (gender, {"gender": "F"}),
    )
    console.asgi.state.console.runner.join(60)
    installed = console.workdir / "data" / "students.csv"
    assert installed.read_bytes() == school.spreadsheet()  # the file as uploaded, whole
    assert school.target_groups(console.app) == school.expected_groups()
    done = alice.client.get(f"{alice.here}/done").text
    assert '<span class="badge ok">ok</span>' in done and 'href="/runs/1"' in done
    assert "Next: import staff" in done and "Skip staff" in done
    run = console.app.store.run(1)
    assert run is not None and run.summary.status.value == "ok"
    # The next upload of the same (uncorrected) file: no matching, the fixes kept.
    again = ImportClient(alice.client)
    assert again.upload(school.spreadsheet()).headers["location"].endswith("/check")
    rows = again.row_classes()
    assert rows[date] == "corrected" and rows[gender] == "corrected"
    assert sum("rejected" in c for c in rows.values()) == 3
    assert again.check().count("corrected by hand (earlier)") == 2
    # The command line reads the same mapping and the same corrections.
    columns = rostersync(console.workdir, "columns", str(installed), "--source", "school")
    assert columns.exit_code == 0, columns.output
    assert "saved by the console's import" in columns.output
    assert "Date Of Birth        <- column 3 'DOB'" in columns.output


def test_a_completed_import_may_be_held_by_the_guards(
    alice: ImportClient, console: Running
) -> None:
    _completed(alice, school.spreadsheet(bad=False))
    console.asgi.state.console.runner.join(60)
    fewer = b"\r\n".join(school.spreadsheet(bad=False).split(b"\r\n")[:11]) + b"\r\n"
    second = ImportClient(alice.client)
    assert second.upload(fewer).headers["location"].endswith("/check")
    assert second.complete().headers["location"].endswith("/done")
    console.asgi.state.console.runner.join(60)
    done = alice.client.get(f"{second.here}/done").text
    assert '<span class="badge held">held</span>' in done
    assert 'href="/held/2"' in done
    assert len(school.target_groups(console.app)["reg:7A"]) == 10  # nothing removed yet


def test_two_admins_completing_at_once_do_not_interleave_files(
    console: Running,
) -> None:
    Accounts(console.app.config.state_url).add("adam", "admin", "adam-admin-pass")
    PASSWORDS.setdefault("adam", "adam-admin-pass")
    first = school.spreadsheet(bad=False)
    rows = first.split(b"\r\n")
    second = b"\r\n".join([rows[0], *rows[1:21]]) + b"\r\n"  # half the students
    imports = []
    for name, content in (("alice", first), ("adam", second)):
        client = console.client()
        sign_in(client, name, PASSWORDS[name])
        flow = ImportClient(client)
        assert flow.upload(content).status_code == 303
        assert flow.match().status_code == 303
        imports.append((flow, flow.token))
    answers: list[tuple[ImportClient, httpx.Response]] = []
    barrier = threading.Barrier(2)

    def complete(flow: ImportClient, token: str) -> None:
        barrier.wait()
        answers.append((flow, flow.complete(token)))

    threads = [threading.Thread(target=complete, args=pair) for pair in imports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    console.asgi.state.console.runner.join(60)
    installed = (console.workdir / "data" / "students.csv").read_bytes()
    assert installed in (first, second)  # one file, whole: never a mix of the two
    done = [f for f, a in answers if a.headers["location"].endswith("/done")]
    refused = [(f, a) for f, a in answers if a.headers["location"].endswith("/check")]
    assert len(done) >= 1 and len(done) + len(refused) == 2
    for flow, answer in refused:  # told so, and the import kept to complete again
        told = flash(flow.client, answer)
        assert "being completed right now" in told or "is in progress" in told, told
    owner = imports[0][0] if installed == first else imports[1][0]
    assert owner in done  # the file in place is the one of an import that completed
    for flow, _ in imports:
        flow.client.close()
    winner_rows = installed.split(b"\r\n")[1:-1]
    assert sum(len(m) for m in school.target_groups(console.app).values()) == len(winner_rows)


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every (method, path) of ``routes``, through included routers."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI keeps an included router whole
            yield from _routes(included.routes, prefix + route.include_context.prefix)
            continue
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                yield method, prefix + route.path


def test_every_plugin_page_and_action_without_a_session_is_refused(console: Running) -> None:
    routes = [(m, path) for m, path in _routes(console.asgi.routes) if path.startswith("/p/")]
    assert (
        "POST",
        "/p/roster_csv/import/{import_id}/complete",
    ) in routes and len(routes) >= 10
    with console.client() as client:
        for method, path in routes:
            sample = path.replace("{import_id}", "x" * 24).replace("{line}", "2")
            sample = sample.replace("{kind}", "students")
            if method == "GET":
                page = client.get(sample, headers={"Accept": "text/html"})
                assert page.status_code == 303 and page.headers["location"] == "/login", path
            else:
                assert client.request(method, sample, data={}).status_code == 401, path


def test_complete_shows_a_progress_bar_and_refuses_a_second_while_the_run_goes_on(
    tmp_path: Path,
) -> None:
    gate = tmp_path / "gate"
    gate.mkdir()
    os.mkfifo(gate / "fifo")
    school.write_school(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(
        config.read_text().replace('plugin = "directory"', f'plugin = "gate"\ngate = "{gate}"')
    )
    plugins = load_plugins(entry_points=False, extra=[gate_plugin])
    for running in serve(App(config_path=str(config), plugins=plugins), tmp_path):
        with closing(running.signed_in("alice")) as client:
            first, second = ImportClient(client), ImportClient(client)
            second.upload(school.spreadsheet(bad=False))
            second.match()
            (gate / "armed").touch()
            _completed(first, school.spreadsheet())
            try:
                wait_for("the run to reach the gate", (gate / "waiting").exists)
                done = client.get(f"{first.here}/done").text
                assert 'data-poll="/p/roster_csv/import/' in done
                fragment = client.get(f"{first.here}/progress").text
                assert 'data-running="1"' in fragment and "<progress" in fragment
                refused = second.complete()
                assert refused.headers["location"].endswith("/check")
                assert flash(client, refused) == (
                    "a run of sync 'default' is in progress; your import is kept: complete "
                    "it again when the run has finished"
                )
            finally:
                with (gate / "fifo").open("wb") as fifo:
                    fifo.write(b"x")
            running.asgi.state.console.runner.join(60)
            fragment = client.get(f"{first.here}/progress").text
            assert 'data-running="0"' in fragment and '<span class="badge ok">ok</span>' in fragment
            assert second.complete().headers["location"].endswith("/done")  # now it may
