"""The ``manual`` source: what an admin typed in with ``rostersync manual ...``."""

from __future__ import annotations

from plugins import people as rules
from plugins.manual.options import ManualOptions
from plugins.manual.store import ManualStore
from plugins.permissions import load_edits
from sync.api import (
    AccessGrant,
    Group,
    Issue,
    Membership,
    Person,
    PluginContext,
    Role,
    Roster,
    Severity,
    SourceRead,
    StaffProfile,
)


def group_of(key: str, defined: dict[str, str]) -> Group | None:
    """A group the manual store defines, or a registration/year group named by its key."""
    if key in defined:
        return Group(key, defined[key])
    if key.startswith("reg:"):
        return rules.group_for("registration_group", key.removeprefix("reg:"))
    if key.startswith("year:"):
        return rules.group_for("year_group", key.removeprefix("year:"))
    return None


class ManualSource:
    """Reads the manual store as a roster."""

    def __init__(self, options: ManualOptions, context: PluginContext) -> None:
        self.options = options
        self.context = context
        self.store = ManualStore(context.database(options.url))
        self.user_groups = options.user_groups_for(
            context.name, load_edits(context.state_url, context.name)
        )

    def close(self) -> None:
        """The store's engine is pooled per URL and shared; nothing to close per run."""

    def read(self) -> SourceRead:
        contents = self.store.contents()
        name = self.context.name
        issues: list[Issue] = []
        people: list[Person] = []
        groups: dict[str, Group] = {}
        memberships: list[Membership] = []
        grants: list[AccessGrant] = []
        profiles: list[StaffProfile] = []
        for entry in contents.people:
            people.append(
                Person(
                    entry.id,
                    entry.role,
                    entry.given_name,
                    entry.family_name,
                    entry.email,
                    dict(entry.attributes),
                )
            )
            if entry.role is Role.STUDENT:
                for kind in self.options.groups:
                    group = rules.group_for(kind, entry.attributes.get(kind, ""))
                    if group is not None:
                        groups.setdefault(group.key, group)
                        memberships.append(Membership(group.key, entry.id))
            else:
                profile, warning = self.user_groups.profile(entry.id, entry.user_group)
                profiles.append(profile)
                if warning:
                    issues.append(
                        Issue(
                            Severity.WARNING,
                            warning,
                            source=name,
                            field="user_group",
                            value=entry.user_group,
                        )
                    )
        for key, label in contents.groups.items():
            groups[key] = Group(key, label)
        for key, person, access in contents.members:
            group = group_of(key, contents.groups)
            if group is None:
                issues.append(
                    Issue(
                        Severity.WARNING,
                        f"{person!r} is entered in group {key!r}, which is not defined; add it "
                        f"with 'rostersync manual add-group {key} --name NAME'",
                        source=name,
                        field="group",
                        value=key,
                    )
                )
                continue
            groups.setdefault(group.key, group)
            if access:
                grants.append(AccessGrant(key, person))
            else:
                memberships.append(Membership(key, person))
        return SourceRead(
            roster=Roster.build(
                people, groups.values(), memberships, grants, profiles, contents.blocks
            ),
            issues=tuple(issues),
            records=len(contents.people) + len(contents.members) + len(contents.blocks),
        )
