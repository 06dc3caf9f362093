"""What Impero's SIS Integration tab shows for a ``clever`` source (the console's
**Clever SIS** page, ``plugins.sis_settings``)."""

from __future__ import annotations

from plugins.clever import CleverOptions
from plugins.sis_settings import Setting, yes_no
from sync.api import CommandContext

IDENTITY_LABELS = {
    "district_username": "District username",
    "email": "Email",
    "email_local_part": "Email: the part before '@' (ChromeOS logins)",
}


def sis_settings(config: CommandContext, source: str, options: CleverOptions) -> list[Setting]:
    """The tab's settings, each with the config key it comes from ('' for none)."""
    return [
        Setting("Import from", "Clever", "plugin", "Clever's v3.0 Data API"),
        Setting("Clever API", options.url, "url"),
        Setting("Roles imported", ", ".join(options.roles), "roles"),
        Setting(
            "Global access users", "none", "",
            "Clever sections give access to their teachers only",
        ),
        Setting("Basic Console Only", "off", ""),
        Setting("Restrict customisation", "off", ""),
        Setting("Identity", IDENTITY_LABELS[options.identity], "identity"),
        Setting(
            "Changes only", yes_no(options.incremental), "incremental",
            f"through /events, with a full read every {options.full_sync_every_hours:g} hours",
        ),
    ]  # fmt: skip
