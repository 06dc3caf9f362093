"""The SIS integration settings pages of impero_csv and clever sources: what Impero's tab
shows with the config key of each, and Import Groups as a sync now (operators)."""

from __future__ import annotations

import re
from pathlib import Path

from sync.app import App
from sync.plugins import load_plugins
from tests.web.conftest import Running, csrf_of, serve

IMPERO = "/p/impero_csv/school"


def setting(page: str, label: str) -> tuple[str, str]:
    found = re.search(
        rf'<tr data-setting="{label}"><td>{label}</td><td>(.*?)</td>\s*<td>(.*?)</td></tr>',
        page,
        flags=re.S,
    )
    assert found, page
    return re.sub(r"<[^>]+>", " ", found.group(1)).strip(), re.sub(r"<[^>]+>", "", found.group(2))


def test_the_impero_tab_with_its_config_keys(workdir: Path) -> None:
    config = workdir / "config.toml"
    config.write_text(
        config.read_text().replace(
            'path = "impero"',
            'path = "impero"\nglobal_access = ["Albus_Dumbledore"]\nbasic_console_only = true\n'
            'identity = "email_local_part"',
        )
    )
    app = App(config_path=str(config), plugins=load_plugins(entry_points=False))
    for running in serve(app, workdir):
        vera = running.signed_in("vera")
        page = vera.get("/p/impero_csv/").text
        assert setting(page, "Import from")[0].startswith("CSV")
        assert setting(page, "Folder") == (str(workdir / "impero"), "[sources.school] path")
        assert setting(page, "Global access users")[0].startswith("Albus_Dumbledore")
        assert setting(page, "Global access users")[1] == "[sources.school] global_access"
        assert setting(page, "Basic Console Only")[0].startswith("on")
        assert setting(page, "Basic Console Only")[1] == "[sources.school] basic_console_only"
        assert setting(page, "Restrict customisation")[0].startswith("off")
        assert setting(page, "Identity")[0].startswith("Email: the part before")
        assert "present" in setting(page, "Students file")[0]
        assert "Import Groups needs the operator role." in page
        refused = vera.post(f"{IMPERO}/import", data={"csrf_token": csrf_of(vera, IMPERO)})
        assert refused.status_code == 403
        assert vera.get("/p/impero_csv/other").status_code == 404


def test_import_groups_is_a_sync_now(console: Running) -> None:
    oscar = console.signed_in("oscar")
    assert 'href="/p/impero_csv/"' in oscar.get("/").text
    started = oscar.post(f"{IMPERO}/import", data={"csrf_token": csrf_of(oscar, IMPERO)})
    assert started.status_code == 303
    run = started.headers["location"]
    assert re.fullmatch(r"/runs/\d+", run)
    console.asgi.state.console.runner.join(60)
    assert "badge ok" in oscar.get(run).text
    audit = console.signed_in("alice").get("/audit", params={"who": "oscar"}).text
    assert "<td>sync</td>" in audit


def test_a_clever_source_shows_what_it_has(workdir: Path) -> None:
    config = workdir / "config.toml"
    config.write_text(
        config.read_text()
        + '\n[sources.district]\nplugin = "clever"\ntoken = "t"\nurl = "http://127.0.0.1:9"\n'
        'identity = "email"\n'
    )
    app = App(config_path=str(config), plugins=load_plugins(entry_points=False))
    for running in serve(app, workdir):
        page = running.signed_in("vera").get("/p/clever/").text
        assert setting(page, "Import from")[0].startswith("Clever")
        assert setting(page, "Clever API") == ("http://127.0.0.1:9", "[sources.district] url")
        assert setting(page, "Identity") == ("Email", "[sources.district] identity")
        assert setting(page, "Basic Console Only")[1] == "not an option of this source"
        assert "No sync lists district in its sources" in page


def test_no_clever_source(console: Running) -> None:
    page = console.signed_in("vera").get("/p/clever/")
    assert page.status_code == 200
    assert 'table with <code>plugin = "clever"</code> is configured' in page.text
