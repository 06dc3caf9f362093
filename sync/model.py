"""Domain values shared by sources, the planner and targets.

Everything here is a frozen dataclass or a str-Enum: values that flow one way,
source -> Roster -> Plan -> target -> run record, and are never mutated on the way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import MISSING, dataclass, field, fields
from enum import StrEnum
from itertools import repeat, starmap
from operator import itemgetter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from sync.memberships import Membership as Membership
from sync.memberships import Memberships as Memberships
from sync.memberships import group_members as group_members
from sync.memberships import members_by_group
from sync.memberships import memberships_of_pairs as memberships_of_pairs

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


class Role(StrEnum):
    """What a person is in the school; decides whether they join groups or see them."""

    STUDENT = "student"
    TEACHER = "teacher"
    STAFF = "staff"


class Severity(StrEnum):
    """How bad an issue is: an error rejects a record, a warning only reports it."""

    ERROR = "error"
    WARNING = "warning"


_EMPTY: Mapping[str, Any] = MappingProxyType({})
_Made = TypeVar("_Made", bound="DataclassInstance")


@dataclass(frozen=True, slots=True)
class Person:
    """Someone the target knows by ``id``: the login identity (username or e-mail)."""

    id: str
    role: Role
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    attributes: Mapping[str, str] = field(default_factory=lambda: _EMPTY, hash=False, compare=True)

    @classmethod
    def many(
        cls, ids: Iterable[str], role: Role | Iterable[Role], **columns: Iterable[Any]
    ) -> list[Person]:
        """``Person(id, role, **fields)`` for each id, equal to what the constructor makes:
        ``role`` one for all or one each, ``columns`` each a field's value for each id.

        A district has tens of thousands; this sets each slot for all of them at once
        (the slot's descriptor, mapped) instead of one frozen ``__init__`` call each.
        """
        wanted = list(ids)
        roles = [role] * len(wanted) if isinstance(role, Role) else role
        given: dict[str, Iterable[Any]] = {"id": wanted, "role": roles}
        unknown = set(columns) - {each.name for each in fields(cls)}
        if unknown or given.keys() & columns.keys():
            raise TypeError(f"Person.many got unexpected columns {sorted(columns)}")
        given.update(columns)
        return _many(cls, len(wanted), given)


@dataclass(frozen=True, slots=True)
class Group:
    """A class or section. ``key`` is its stable identity, ``name`` what people see."""

    key: str
    name: str

    @classmethod
    def many(cls, keys: Iterable[str], names: Iterable[str]) -> list[Group]:
        """``Group(key, name)`` for each pair, as ``Person.many`` makes people (a district
        has tens of thousands of classes)."""
        wanted = list(keys)
        return _many(cls, len(wanted), {"key": wanted, "name": names})


def _many(cls: type[_Made], size: int, given: Mapping[str, Iterable[Any]]) -> list[_Made]:
    """``size`` instances of the frozen slotted dataclass ``cls``, equal to what its
    constructor makes: each field from ``given`` (one value each), else its default."""
    made: list[_Made] = list(map(object.__new__, repeat(cls, size)))
    for each in fields(cls):
        values = given.get(each.name)
        if values is not None:
            values = list(values)
            if len(values) != size:
                raise ValueError(f"{cls.__name__}.many: {each.name} has {len(values)} values")
        elif each.default is not MISSING:
            values = repeat(each.default)
        elif each.default_factory is not MISSING:  # called for each, as __init__ does
            values = starmap(each.default_factory, repeat((), size))
        else:
            raise TypeError(f"{cls.__name__}.many cannot fill {each.name}: it has no default")
        any(map(getattr(cls, each.name).__set__, made, values))
    return made


class AccessGrant(NamedTuple):
    """A principal (a teacher, usually) may see and manage a group, with options.

    A NamedTuple for the same reason as ``Membership``.
    """

    group: str
    principal: str
    options: frozenset[str] = frozenset()


# Fast paths read grants by position; the positions are taken from the fields here, once.
GRANT_GROUP: Callable[[AccessGrant], str] = itemgetter(AccessGrant._fields.index("group"))
"""``grant.group`` without a Python call per grant (for ``map`` over many)."""


@dataclass(frozen=True, slots=True)
class StaffProfile:
    """A staff member's user group and the permissions it gives them.

    ``permissions`` are stable snake_case names (see ``docs/permissions.md``);
    ``reason`` says in one line where the set came from, for ``access show``.
    """

    person: str
    user_group: str
    permissions: frozenset[str] = frozenset()
    reason: str = ""


@dataclass(frozen=True, slots=True, order=True)
class Block:
    """A child hidden from one staff member, whatever groups that staff member can see."""

    staff: str
    student: str
    reason: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Issue:
    """Something wrong with one input record or one change, located as precisely as known."""

    severity: Severity
    message: str
    source: str = ""
    file: str = ""
    line: int | None = None
    field: str = ""
    value: str = ""

    def location(self) -> str:
        parts = [p for p in (self.source, self.file) if p]
        where = ": ".join(parts)
        if self.line is not None:
            where += f" line {self.line}"
        if self.field:
            where += f" field {self.field!r}"
        return where.strip()

    def __str__(self) -> str:
        text = self.message
        if self.value:
            text += f" (value {self.value!r})"
        where = self.location()
        return f"{where}: {text}" if where else text


@dataclass(frozen=True, slots=True)
class Roster:
    """People, groups, memberships, access grants, staff profiles and blocked children:
    what a source says should exist.

    Targets describe what exists now with the same type (see ``TargetState``).
    ``rejected_people`` names people whose records the source saw but rejected, so that
    the merge can say when another source (e.g. a manual entry) supplies them instead.
    Blocks compare by (staff, student) only; the reason is carried along.

    ``memberships`` is any set of ``Membership``; ``build`` makes it a ``Memberships``,
    which keeps them by group, as the planner and digests read them.
    """

    people: Mapping[str, Person] = field(default_factory=lambda: _EMPTY, hash=False)
    groups: Mapping[str, Group] = field(default_factory=lambda: _EMPTY, hash=False)
    memberships: Set[Membership] = frozenset()
    grants: frozenset[AccessGrant] = frozenset()
    profiles: Mapping[str, StaffProfile] = field(default_factory=lambda: _EMPTY, hash=False)
    blocks: frozenset[Block] = frozenset()
    rejected_people: frozenset[str] = frozenset()
    _by_group: Mapping[str, Sequence[str]] | None = field(
        default=None, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def build(
        cls,
        people: Iterable[Person] = (),
        groups: Iterable[Group] = (),
        memberships: Iterable[Membership] = (),
        grants: Iterable[AccessGrant] = (),
        profiles: Iterable[StaffProfile] = (),
        blocks: Iterable[Block] = (),
        rejected_people: Iterable[str] = (),
    ) -> Roster:
        return cls(
            people=MappingProxyType({p.id: p for p in people}),
            groups=MappingProxyType({g.key: g for g in groups}),
            memberships=(
                memberships if isinstance(memberships, Memberships) else Memberships(memberships)
            ),
            grants=frozenset(grants),
            profiles=MappingProxyType({p.person: p for p in profiles}),
            blocks=frozenset(blocks),
            rejected_people=frozenset(rejected_people),
        )

    def is_empty(self) -> bool:
        return not (self.groups or self.memberships or self.grants)

    def members_of(self, group: str) -> list[str]:
        return sorted(self.members_by_group().get(group, ()))

    def members_by_group(self) -> Mapping[str, Sequence[str]]:
        """Each group's member ids, in no particular order: kept by a ``Memberships``,
        else built on first use and kept (a roster never changes)."""
        if self._by_group is None:
            object.__setattr__(self, "_by_group", members_by_group(self.memberships))
        assert self._by_group is not None
        return self._by_group


@dataclass(frozen=True, slots=True)
class TargetState:
    """What a target holds now; ``managed`` names the groups this sync created and owns.

    ``managed_profiles`` (person ids) and ``managed_blocks`` ((staff, student) pairs)
    name the profiles and blocks this sync set, which are the only ones it may clear.

    ``members_matched`` names managed groups whose members were not read because the
    target's digest of them equals the desired one (``DigestTarget.read_changed``):
    they hold exactly the desired members, and ``roster.memberships`` leaves them out.
    ``matched_memberships`` counts those members, so the guards see the whole target.
    """

    roster: Roster = field(default_factory=Roster)
    managed: frozenset[str] = frozenset()
    managed_grants: frozenset[tuple[str, str]] = frozenset()
    managed_profiles: frozenset[str] = frozenset()
    managed_blocks: frozenset[tuple[str, str]] = frozenset()
    members_matched: frozenset[str] = frozenset()
    matched_memberships: int = 0

    def is_managed_grant(self, grant: AccessGrant) -> bool:
        return (grant.group, grant.principal) in self.managed_grants


class ChangeKind(StrEnum):
    """One kind of change a plan asks a target to make, in the order they are applied.

    The order is a safety rule: restrictions go in before access appears, and are
    lifted only after access went away. So a block is added before any member or
    grant (a blocked child is never visible, even for the moment between batches),
    profiles are cleared and set (which can lower permissions) before grants, access
    is revoked before members are added (a blocked child joining a class whose teacher
    loses access for it is never visible to that teacher, even if the run stops
    between batches), and a block is removed last, after every removal of the run.
    """

    CREATE_GROUP = "create_group"
    RENAME_GROUP = "rename_group"
    ADD_BLOCK = "add_block"
    CLEAR_PROFILE = "clear_profile"
    SET_PROFILE = "set_profile"
    REVOKE_ACCESS = "revoke_access"
    ADD_MEMBER = "add_member"
    GRANT_ACCESS = "grant_access"
    UPDATE_ACCESS = "update_access"
    REMOVE_MEMBER = "remove_member"
    DELETE_GROUP = "delete_group"
    REMOVE_BLOCK = "remove_block"


APPLY_ORDER: tuple[ChangeKind, ...] = tuple(ChangeKind)


class Change(NamedTuple):
    """One change to a target. ``group`` is the group key (empty for profile and block
    changes); the rest depends on ``kind``. A NamedTuple, as ``Membership`` is: a first
    sync of a district plans hundreds of thousands of them.

    - profiles: ``person`` the staff member, ``name`` the user group, ``options`` the
      permissions, ``reason`` where they came from;
    - blocks: ``person`` the staff member, ``student`` the hidden child, ``reason`` why.
    """

    kind: ChangeKind
    group: str
    name: str = ""
    person: str = ""
    options: frozenset[str] = frozenset()
    student: str = ""
    reason: str = ""

    def describe(self) -> str:
        k = self.kind
        if k is ChangeKind.SET_PROFILE:
            perms = ", ".join(sorted(self.options)) or "no permissions"
            return f"set {self.person}'s user group to {self.name!r} [{perms}]"
        if k is ChangeKind.CLEAR_PROFILE:
            return f"clear {self.person}'s user group and permissions"
        if k is ChangeKind.ADD_BLOCK:
            why = f" ({self.reason})" if self.reason else ""
            return f"block {self.student} from {self.person}{why}"
        if k is ChangeKind.REMOVE_BLOCK:
            return f"unblock {self.student} for {self.person}"
        if k is ChangeKind.CREATE_GROUP:
            return f"create group {self.name!r}"
        if k is ChangeKind.RENAME_GROUP:
            return f"rename group {self.group!r} to {self.name!r}"
        if k is ChangeKind.DELETE_GROUP:
            return f"delete group {self.name or self.group!r}"
        if k is ChangeKind.ADD_MEMBER:
            return f"add {self.person} to {self.name or self.group!r}"
        if k is ChangeKind.REMOVE_MEMBER:
            return f"remove {self.person} from {self.name or self.group!r}"
        opts = f" [{', '.join(sorted(self.options))}]" if self.options else ""
        if k is ChangeKind.GRANT_ACCESS:
            return f"grant {self.person} access to {self.name or self.group!r}{opts}"
        if k is ChangeKind.UPDATE_ACCESS:
            return f"update {self.person}'s access to {self.name or self.group!r}{opts}"
        return f"revoke {self.person}'s access to {self.name or self.group!r}"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value, "group": self.group}
        if self.name:
            data["name"] = self.name
        if self.person:
            data["person"] = self.person
        if self.options:
            data["options"] = sorted(self.options)
        if self.student:
            data["student"] = self.student
        if self.reason:
            data["reason"] = self.reason
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        return cls(
            kind=ChangeKind(data["kind"]),
            group=data["group"],
            name=data.get("name", ""),
            person=data.get("person", ""),
            options=frozenset(data.get("options", ())),
            student=data.get("student", ""),
            reason=data.get("reason", ""),
        )


ChangeFields = tuple[ChangeKind, str, str, str, frozenset[str], str, str]
"""A ``Change``'s fields in their order, as ``changes_of_fields`` takes them."""

# Fast paths read changes by position; the positions are taken from the fields here, once.
_CHANGE_AT = {name: i for i, name in enumerate(Change._fields)}
CHANGE_KIND: Callable[[Change], ChangeKind] = itemgetter(_CHANGE_AT["kind"])
CHANGE_GROUP: Callable[[Change], str] = itemgetter(_CHANGE_AT["group"])
CHANGE_PERSON: Callable[[Change], str] = itemgetter(_CHANGE_AT["person"])
CHANGE_GROUP_PERSON: Callable[[Change], tuple[str, str]] = itemgetter(
    _CHANGE_AT["group"], _CHANGE_AT["person"]
)
CHANGE_ALL_BUT_PERSON: Callable[[Change], tuple[Any, ...]] = itemgetter(
    *(i for name, i in _CHANGE_AT.items() if name != "person")
)
"""A change's fields without its person, in field order (changes to many people at once)."""


def changes_of_fields(rows: Iterable[ChangeFields]) -> Iterator[Change]:
    """``Change``s made from tuples of their fields in order, by ``tuple.__new__``: no
    Python call per change, for plans of hundreds of thousands."""
    made: Iterator[Change] = map(tuple.__new__, repeat(Change), rows)
    return made


@dataclass(frozen=True, slots=True)
class Plan:
    """The changes that bring a target to the desired roster, plus what the planner noticed."""

    changes: tuple[Change, ...] = ()
    issues: tuple[Issue, ...] = ()
    managed_counts: Mapping[str, int] = field(default_factory=lambda: _EMPTY, hash=False)
    _counts: dict[str, int] | None = field(default=None, init=False, repr=False, compare=False)

    def counts(self) -> dict[str, int]:
        """How many changes of each kind (counted once: a plan can hold millions)."""
        if self._counts is None:
            found = Counter(map(CHANGE_KIND, self.changes))
            object.__setattr__(self, "_counts", {kind.value: found[kind] for kind in ChangeKind})
        assert self._counts is not None
        return dict(self._counts)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def __len__(self) -> int:
        return len(self.changes)


@dataclass(frozen=True, slots=True)
class ChangeFailure:
    """A change the target rejected for good, with its reason; the rest of the batch stands."""

    change: Change
    reason: str


class RunStatus(StrEnum):
    """Where a run is, or how it ended (the seed's import status)."""

    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    HELD = "held"
    APPROVED = "approved"
    REJECTED = "rejected"
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        return self is not RunStatus.RUNNING


class Trigger(StrEnum):
    """Who started a run."""

    MANUAL = "manual"
    SCHEDULED = "scheduled"
    APPROVAL = "approval"
    UNDO = "undo"
    WEB = "web"


@dataclass(frozen=True, slots=True)
class RunSummary:
    """How one run went, as the CLI, the status endpoint and notifiers see it."""

    id: int
    sync: str
    trigger: Trigger
    status: RunStatus
    started_at: str
    finished_at: str | None
    counts: Mapping[str, int] = field(default_factory=lambda: _EMPTY, hash=False)
    issues: int = 0
    retries: int = 0
    error: str = ""
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sync": self.sync,
            "trigger": self.trigger.value,
            "status": self.status.value,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "counts": dict(self.counts),
            "issues": self.issues,
            "retries": self.retries,
            "error": self.error,
            "dry_run": self.dry_run,
        }
