"""What Impero's SIS Integration tab shows for an ``impero_csv`` source (the console's
**Impero SIS** page, ``plugins.sis_settings``)."""

from __future__ import annotations

from pathlib import Path

from plugins.impero_csv import BASIC_CONSOLE_ONLY, RESTRICT_CUSTOMISATION, ImperoCsvOptions
from plugins.sis_settings import Setting, yes_no
from sync.api import CommandContext

IDENTITY_LABELS = {
    "username": "District username (as written in the files)",
    "email_local_part": "Email: the part before '@' (ChromeOS logins)",
}


def sis_settings(config: CommandContext, source: str, options: ImperoCsvOptions) -> list[Setting]:
    """The tab's settings, each with the config key it comes from."""
    folder = Path(options.path).expanduser()
    if not folder.is_absolute():
        folder = Path(config.config_file).parent / folder

    def file_note(name: str) -> str:
        return "present" if (folder / name).is_file() else "not there yet"

    return [
        Setting("Import from", "CSV", "plugin", "Impero Education Pro's SIS CSV import"),
        Setting("Folder", str(folder), "path"),
        Setting(
            "Students file", options.students_file, "students_file",
            file_note(options.students_file),
        ),
        Setting(
            "Teachers file", options.teachers_file, "teachers_file",
            file_note(options.teachers_file),
        ),
        Setting(
            "Global access users", ", ".join(options.global_access) or "none", "global_access",
            "given access to every imported group, whatever the files say",
        ),
        Setting(
            "Basic Console Only", yes_no(options.basic_console_only), BASIC_CONSOLE_ONLY,
            "imported teachers get the cut-down classroom console",
        ),
        Setting(
            "Restrict customisation", yes_no(options.restrict_customisation),
            RESTRICT_CUSTOMISATION, "teachers cannot customise imported groups",
        ),
        Setting("Identity", IDENTITY_LABELS[options.identity], "identity"),
    ]  # fmt: skip
